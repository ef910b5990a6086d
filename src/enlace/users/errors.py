"""Errors about users a person can meet (on the command line or in the web)."""

from __future__ import annotations


class UserError(ValueError):
    """A user, role, password or token cannot be used or changed as asked; the message says
    what was wrong and what to do."""


class PasswordRefused(UserError):
    """A password that breaks one of the password rules: `rule` names which ("length",
    "spaces", "username" or "common"), the message says it in a sentence."""

    def __init__(self, username: str, rule: str, problem: str) -> None:
        super().__init__(f"password for {username!r} not accepted: {problem}")
        self.username = username
        self.rule = rule
