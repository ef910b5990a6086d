"""Repositories: typed reads and writes over the connection of one unit of work.

Each owns the tables of one thing (records, partners, releases, users, ...); none commits.
The unit of work (`enlace.store.unit_of_work`) builds them all and exposes them as attributes.
"""
