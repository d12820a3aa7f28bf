"""When to try a webhook delivery again, and what a receiver's answer means."""

import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

# Delays after the 1st, 2nd, … failed attempt: ≈ 3 days in all (RELIABILITY.md).
DEFAULT_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)

# Each delay is stretched or shrunk by up to this fraction, uniformly at random, so
# deliveries that failed together (a receiver down for everyone) do not all come back
# in the same second.
JITTER = 0.10
# A receiver's Retry-After is honoured up to this; beyond it, a hostile or broken
# receiver could park deliveries forever.
RETRY_AFTER_CAP = timedelta(hours=24)

Outcome = Literal["success", "retry", "disable"]

_DELTA_SECONDS = re.compile(r"[0-9]+")
_random = random.Random()


def next_delay(
    attempt: int,
    schedule: Sequence[timedelta],
    *,
    rng: random.Random | None = None,
    retry_after: timedelta | None = None,
) -> timedelta | None:
    """How long to wait after failed attempt number ``attempt`` (1-based).

    None when the schedule is exhausted: the delivery has failed for good. Otherwise
    the scheduled delay with ±`JITTER`, or the receiver's ``retry_after`` (capped at
    `RETRY_AFTER_CAP`) when that is longer.
    """
    if attempt < 1:
        raise ValueError("attempt counts failed attempts and starts at 1")
    if attempt > len(schedule):
        return None
    scheduled = schedule[attempt - 1]
    if scheduled < timedelta(0):
        raise ValueError("schedule delays must not be negative")
    delay = scheduled * (rng or _random).uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """The wait a ``Retry-After`` header asks for (RFC 9110 §10.2.3), or None.

    Accepts delay-seconds and HTTP-dates (IMF-fixdate, and the obsolete RFC 850 and
    asctime forms). A date in the past, a negative or fractional number, or anything
    unparseable gives None: the normal schedule applies.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        try:
            return timedelta(seconds=int(value))
        except OverflowError:  # beyond timedelta's range: nonsense, not a wait
            return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # asctime dates carry no zone; HTTP dates are always GMT.
        when = when.replace(tzinfo=UTC)
    delay = when - now
    return delay if delay >= timedelta(0) else None


def classify(status_code: int | None) -> Outcome:
    """What a delivery attempt's HTTP status means; None is a timeout or network error.

    Only 2xx is success; redirects are not followed, so 3xx is a failure like 4xx/5xx.
    410 Gone is the receiver saying the endpoint is gone for good.
    """
    if status_code is not None and 200 <= status_code <= 299:
        return "success"
    if status_code == 410:
        return "disable"
    return "retry"
