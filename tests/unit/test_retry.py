import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.webhooks.retry import (
    DEFAULT_SCHEDULE,
    RETRY_AFTER_CAP,
    classify,
    next_delay,
    parse_retry_after,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_default_schedule_spans_about_three_days() -> None:
    assert DEFAULT_SCHEDULE[0] == timedelta(seconds=5)
    assert DEFAULT_SCHEDULE[-1] == timedelta(hours=24)
    assert len(DEFAULT_SCHEDULE) == 9
    assert timedelta(days=3) < sum(DEFAULT_SCHEDULE, timedelta()) < timedelta(days=3, hours=4)


def test_delay_follows_the_schedule_within_jitter() -> None:
    for attempt, scheduled in enumerate(DEFAULT_SCHEDULE, start=1):
        delay = next_delay(attempt, DEFAULT_SCHEDULE, rng=random.Random(attempt))
        assert delay is not None
        assert scheduled * 0.9 <= delay <= scheduled * 1.1


def test_schedule_exhausted_gives_none() -> None:
    assert next_delay(len(DEFAULT_SCHEDULE) + 1, DEFAULT_SCHEDULE) is None
    assert next_delay(1, ()) is None


def test_jitter_actually_varies() -> None:
    rng = random.Random(7)
    delays = {next_delay(3, DEFAULT_SCHEDULE, rng=rng) for _ in range(20)}
    assert len(delays) > 1


def test_attempt_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        next_delay(0, DEFAULT_SCHEDULE)


def test_longer_retry_after_wins() -> None:
    delay = next_delay(1, DEFAULT_SCHEDULE, retry_after=timedelta(minutes=2))
    assert delay == timedelta(minutes=2)


def test_shorter_retry_after_does_not_shorten_the_schedule() -> None:
    delay = next_delay(5, DEFAULT_SCHEDULE, retry_after=timedelta(seconds=1))
    assert delay is not None
    assert delay >= timedelta(hours=5) * 0.9


def test_retry_after_is_capped_at_a_day() -> None:
    delay = next_delay(1, DEFAULT_SCHEDULE, retry_after=timedelta(days=30))
    assert delay == RETRY_AFTER_CAP == timedelta(hours=24)


def test_tiny_schedule_for_tests_works() -> None:
    schedule = (timedelta(milliseconds=1), timedelta(milliseconds=2))
    delay = next_delay(2, schedule, rng=random.Random(0))
    assert delay is not None
    assert timedelta(microseconds=1800) <= delay <= timedelta(microseconds=2200)


durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3))
retry_afters = st.timedeltas(min_value=timedelta(days=-1), max_value=timedelta(days=40))


@given(
    schedule=st.lists(durations, min_size=1, max_size=12),
    data=st.data(),
    retry_after=st.none() | retry_afters,
    seed=st.integers(),
)
def test_delay_is_jittered_schedule_or_capped_retry_after(
    schedule: list[timedelta], data: st.DataObject, retry_after: timedelta | None, seed: int
) -> None:
    attempt = data.draw(st.integers(min_value=1, max_value=len(schedule)))
    scheduled = schedule[attempt - 1]

    delay = next_delay(attempt, schedule, rng=random.Random(seed), retry_after=retry_after)

    assert delay is not None
    assert delay >= timedelta(0)
    within_jitter = scheduled * 0.9 <= delay <= scheduled * 1.1
    if retry_after is None:
        assert within_jitter
    else:
        honoured = min(retry_after, RETRY_AFTER_CAP)
        assert delay >= honoured
        assert within_jitter or delay == honoured


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Sat, 01 Mar 2025 12:05:00 GMT", timedelta(minutes=5)),
        ("Saturday, 01-Mar-25 12:00:30 GMT", timedelta(seconds=30)),
        ("Sat Mar  1 13:00:00 2025", timedelta(hours=1)),
    ],
)
def test_retry_after_forms_are_parsed(header: str, expected: timedelta) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "-5",
        "1.5",
        "+5",
        "soon",
        "Sat, 01 Mar",
        "Fri, 28 Feb 2025 12:00:00 GMT",  # in the past
        "9" * 40,  # beyond timedelta's range
    ],
)
def test_bad_or_past_retry_after_is_ignored(header: str | None) -> None:
    assert parse_retry_after(header, now=NOW) is None


def test_retry_after_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_retry_after("5", now=datetime(2025, 3, 1))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "success"),
        (202, "success"),
        (204, "success"),
        (299, "success"),
        (410, "disable"),
        (None, "retry"),
        (199, "retry"),
        (301, "retry"),
        (302, "retry"),
        (304, "retry"),
        (400, "retry"),
        (404, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
    ],
)
def test_classify(status: int | None, outcome: str) -> None:
    assert classify(status) == outcome
