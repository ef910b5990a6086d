"""Errors a user can meet while ingesting communiqués or confirming what was proposed."""

from __future__ import annotations


class TrackingError(ValueError):
    """Something about a communiqué or a proposal that Enlace cannot accept."""


class UnsupportedLanguage(TrackingError):
    """The communiqué is in neither Spanish nor English."""

    def __init__(self, source: str, language: str | None) -> None:
        self.source = source
        self.language = language
        found = f"it reads as {language}" if language else "its language could not be told"
        super().__init__(
            f"{source}: {found}; communiqués are read in Spanish (es) or English (en) only "
            "— ingest the Spanish or English version of the document"
        )


class ProposalFileError(TrackingError):
    """A proposal read back from JSON is not what `enlace tracking ingest --json` writes."""
