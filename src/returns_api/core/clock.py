"""The one place that reads the wall clock, so tests and domain code agree on UTC; and the one
way a date-time is written as text."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC, so say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """A date-time as the API writes it: in UTC with `Z`, to the microsecond when there is one
    (`2026-11-20T08:15:00Z`), exactly as pydantic writes a response's date-time fields; for
    the text written outside them (JSON columns, event envelopes, CSV, the CLI)."""
    return as_utc(moment).isoformat().removesuffix("+00:00") + "Z"
