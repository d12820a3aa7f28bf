"""One way of writing a date-time: input is read in UTC, `rfc3339` writes what pydantic writes
in a response, and a date-time put in a JSON column comes back written the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from returns_api.core.clock import rfc3339
from returns_api.core.db import _json_dumps
from returns_api.core.timestamps import Timestamp

_AS_RESPONSE = TypeAdapter(datetime)
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(8999, 12, 31), timezones=offsets
)


@given(moments)
def test_rfc3339_writes_utc_with_z_as_a_response_does(moment: datetime) -> None:
    written = rfc3339(moment)
    assert written == _AS_RESPONSE.dump_python(moment.astimezone(UTC), mode="json")
    assert written.endswith("Z")
    assert datetime.fromisoformat(written) == moment


def test_rfc3339_examples() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2026, 11, 20, 10, 15, tzinfo=plus_two)) == "2026-11-20T08:15:00Z"
    assert rfc3339(datetime(2026, 11, 20, 8, 15, 0, 250_000, tzinfo=UTC)) == (
        "2026-11-20T08:15:00.250000Z"
    )
    assert rfc3339(datetime(2026, 11, 20, 8, 15)) == "2026-11-20T08:15:00Z"  # stored: UTC


def test_json_columns_write_date_times_as_the_api_does() -> None:
    at = datetime(2026, 11, 20, 10, 15, tzinfo=timezone(timedelta(hours=2)))
    assert orjson.loads(_json_dumps({"at": at, "n": [1, "x"]})) == {
        "at": "2026-11-20T08:15:00Z",
        "n": [1, "x"],
    }


def test_a_date_time_is_read_in_utc_and_one_outside_it_is_refused() -> None:
    read = TypeAdapter(Timestamp)
    assert read.validate_python("2026-11-20T10:15:00+02:00").tzinfo is UTC
    with pytest.raises(ValidationError, match="year must be from 1970"):
        read.validate_python("0001-01-01T00:30:00+01:00")
