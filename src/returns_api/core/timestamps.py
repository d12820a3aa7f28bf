"""Date-times as the API accepts them: RFC 3339 text with a UTC offset, read in UTC.

pydantic would also read a number of seconds since 1970 (`0.5`, `"1700000000"`) as a
date-time; the OpenAPI document promises `format: date-time`, so anything else is refused.
Whatever offset a date-time comes with, it is the same instant in UTC from then on, so that
an answer never echoes an offset back (the API writes every date-time in UTC, with `Z`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME.match(value)):
        return value
    raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-11-04T15:30:00Z")


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before the calendar begins
        raise ValueError("must be a date-time that exists in UTC") from None


Timestamp = Annotated[AwareDatetime, BeforeValidator(_date_time_text), AfterValidator(_in_utc)]
