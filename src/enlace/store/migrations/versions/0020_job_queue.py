"""The job queue of a PostgreSQL node (issue 19): Procrastinate's tables, types and functions
(``procrastinate_jobs``, ``procrastinate_workers``, ...) next to the node's own tables, so a
job and what it stores commit in the same database. SQLite nodes run everything in process
and get nothing.

The SQL is the schema file of the Procrastinate version installed (pyproject pins its minor
version): a newer Procrastinate ships migration files of its own (``procrastinate/sql/
migrations``), which a new migration here applies when the pin moves.
"""

from importlib.util import find_spec
from pathlib import Path

from alembic import op

revision = "0020_job_queue"
down_revision = "0019_match_modes"
branch_labels = None
depends_on = None

_TABLES = "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, " + (
    "procrastinate_workers"
)
_TYPES = "procrastinate_job_status, procrastinate_job_event_type, procrastinate_job_to_defer_v1"


def upgrade() -> None:
    """Create the job queue on PostgreSQL (in the schema the connection's search_path names)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Read from the installed package without importing it (its import is slow, and runs
    # a program: croniter asks `file` about the interpreter).
    spec = find_spec("procrastinate")
    if spec is None or spec.origin is None:
        raise RuntimeError("Procrastinate is not installed: reinstall Enlace with its dependencies")
    schema = (Path(spec.origin).parent / "sql" / "schema.sql").read_text(encoding="utf-8")
    # The file is many statements (functions with `%` in their bodies): psycopg sends a query
    # without parameters as it is, in the transaction of the migration.
    bind.connection.dbapi_connection.execute(schema)  # type: ignore[union-attr]


def downgrade() -> None:
    """Drop the job queue, jobs included."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    raw = bind.connection.dbapi_connection
    raw.execute(f"DROP TABLE IF EXISTS {_TABLES} CASCADE")  # type: ignore[union-attr]
    raw.execute(  # type: ignore[union-attr]
        """
        DO $$
        DECLARE routine record;
        BEGIN
            FOR routine IN
                SELECT p.oid::regprocedure AS signature
                  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP ROUTINE ' || routine.signature || ' CASCADE';
            END LOOP;
        END $$
        """
    )
    raw.execute(f"DROP TYPE IF EXISTS {_TYPES} CASCADE")  # type: ignore[union-attr]
