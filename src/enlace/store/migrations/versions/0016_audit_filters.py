"""Indexes for the audit page's filters (issue 20): by actor, subject (a record id, a user, a
partner) or action, in sequence order, and by time.

Without them, every filtered page of the log and its count read the whole log: about half a
second at a million entries on SQLite, ten times that at ten million.
"""

from alembic import op

revision = "0016_audit_filters"
down_revision = "0015_fast_lists"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_audit_log_actor_seq": ["actor", "seq"],
    "ix_audit_log_subject_seq": ["subject", "seq"],
    "ix_audit_log_action_seq": ["action", "seq"],
    "ix_audit_log_at": ["at"],
}


def upgrade() -> None:
    """Create the audit log's filter indexes."""
    for name, columns in _INDEXES.items():
        op.create_index(name, "audit_log", columns)


def downgrade() -> None:
    """Drop them (the page still works, reading the whole log per filtered page)."""
    for name in _INDEXES:
        op.drop_index(name, table_name="audit_log")
