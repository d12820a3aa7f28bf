"""Date-times as the API accepts them: RFC 3339 text with a UTC offset, years 1970 to 8999,
read in UTC.

pydantic would also read a number of seconds since 1970 (`0.5`, `"1700000000"`) as a
date-time; the OpenAPI document promises `format: date-time`, so anything else is refused.
Whatever offset a date-time comes with, it is the same instant in UTC from then on, so that
an answer never echoes an offset back (the API writes every date-time in UTC, with `Z`).

The range keeps everything the service derives from a date-time inside the calendar: near
year 1 or 9999 an offset cannot be converted to UTC, and a return window (up to ten years
after delivery) or the 30-day analytics period before `to` would run past either end. The
year is read as written, so the rule is a plain pattern on the text that clients can check
too; with any offset the instant is still well inside Python's and the databases' range.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

EARLIEST_YEAR: Final = 1970
LATEST_YEAR: Final = 8999
# The same rule for clients (JSON Schema): the text starts with a year from 1970 to 8999.
YEAR_PATTERN: Final = r"^(?:19[7-9][0-9]|[2-8][0-9]{3})-"

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-11-04T15:30:00Z")


def _within_years(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be from {EARLIEST_YEAR} to {LATEST_YEAR}")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # unreachable within the years above; kept as the guard it is
        raise ValueError("must be a date-time that exists in UTC") from None


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_date_time_text),
    AfterValidator(_within_years),
    AfterValidator(_in_utc),
    Field(json_schema_extra={"pattern": YEAR_PATTERN}),
]
