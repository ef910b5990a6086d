"""Alembic environment: runs on the connection the caller passes in (no URL of its own)."""

from __future__ import annotations

from alembic import context

from enlace.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations through enlace.store.schema.upgrade_schema")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
