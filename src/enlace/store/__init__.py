"""Persistence: tables, repositories, the unit of work (the only place that commits), migrations."""
