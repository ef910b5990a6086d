"""Errors about users a person can meet (on the command line or in the web)."""

from __future__ import annotations


class UserError(ValueError):
    """A user, role, password or token cannot be used or changed as asked; the message says
    what was wrong and what to do."""
