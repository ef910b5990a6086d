"""Errors a user can meet when asking for a report."""

from __future__ import annotations


class ReportError(Exception):
    """A report cannot be written; the message says why and what to do."""


class NoMeeting(ReportError):
    """The node holds no meeting to report on, or not the one asked for."""


class UnknownLanguage(ReportError):
    """A report language other than Spanish or English was asked for."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__(f"report language {language!r} is not available: expected es or en")
