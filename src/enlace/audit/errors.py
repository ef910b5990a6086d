"""Errors of the audit log."""

from __future__ import annotations


class AuditError(ValueError):
    """An audit entry cannot be written as asked (a bad actor or action name, a detail that
    is not JSON); the message says what was wrong."""
