"""Alembic migrations of the store; run by `enlace init` and `upgrade_schema`."""
