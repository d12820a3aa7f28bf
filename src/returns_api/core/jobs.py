"""What the worker's job loops share (the label worker, the refund worker): polling until
stopped, and exponential back-off with a last attempt."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import structlog

log = structlog.get_logger(__name__)


def backoff(
    now: datetime, failures: int, *, max_attempts: int, base_seconds: float, max_seconds: float
) -> datetime | None:
    """When to try again after `failures` failed attempts (doubling from `base_seconds`,
    capped); None once `max_attempts` were made: give up."""
    if failures >= max_attempts:
        return None
    delay = min(base_seconds * 2 ** (failures - 1), max_seconds)
    return now + timedelta(seconds=delay)


class PollingJob:
    """Claims and works batches until stopped; waits `poll_seconds` when a batch came back
    short. Subclasses say what one round does (`run_once`: how many it claimed)."""

    name = "job"
    poll_seconds = 1.0
    batch_size = 20

    async def run_once(self) -> int:
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception as exc:  # a database hiccup must not kill the worker
                log.error(f"{self.name}_error", exc_info=exc)
                done = 0
            if done < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_seconds)
