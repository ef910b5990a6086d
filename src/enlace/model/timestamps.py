"""STIX timestamps: UTC, RFC 3339, microsecond precision (STIX 2.1 section 3.2)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from enlace.model.errors import RecordError


def format_timestamp(moment: datetime) -> str:
    """Format as STIX wants it: UTC with a 'Z', six fractional digits so versions sort as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(raw: object, *, field: str) -> datetime:
    """Parse an RFC 3339 timestamp (or a date, taken as midnight UTC); raise RecordError."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if not isinstance(raw, str) or not raw.strip():
        raise RecordError(field, raw, "an RFC 3339 timestamp such as 2025-09-01T12:00:00Z")
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(
            field, raw, "an RFC 3339 timestamp such as 2025-09-01T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the calendar's end in UTC
        raise RecordError(
            field, raw, "an RFC 3339 timestamp such as 2025-09-01T12:00:00Z"
        ) from None


def parse_date(raw: object, *, field: str) -> date:
    """Parse an ISO 8601 calendar date YYYY-MM-DD; raise RecordError."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip()[:10])
        except ValueError:
            pass
    raise RecordError(field, raw, "a date as YYYY-MM-DD, e.g. 2025-09-01")


def utc_now() -> datetime:
    """The current moment in UTC (one place to freeze in tests)."""
    return datetime.now(UTC)
