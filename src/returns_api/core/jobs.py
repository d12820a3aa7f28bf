"""What the worker's job loops share (the label worker, the refund worker): their settings
(`RETURNS_<JOB>_MAX_ATTEMPTS`, `…_RETRY_BASE_SECONDS`, `…_RETRY_MAX_SECONDS`,
`…_LEASE_SECONDS`, `…_POLL_SECONDS`), polling until stopped, and exponential back-off with
a last attempt."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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


@dataclass(frozen=True, slots=True)
class JobConfig:
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 120.0
    poll_seconds: float = 1.0
    batch_size: int = 20

    @classmethod
    def from_settings(cls, settings: Any, job: str) -> JobConfig:
        """The job's settings, named `{job}_max_attempts` and so on."""
        return cls(
            max_attempts=getattr(settings, f"{job}_max_attempts"),
            retry_base_seconds=getattr(settings, f"{job}_retry_base_seconds"),
            retry_max_seconds=getattr(settings, f"{job}_retry_max_seconds"),
            lease_seconds=getattr(settings, f"{job}_lease_seconds"),
            poll_seconds=getattr(settings, f"{job}_poll_seconds"),
        )

    def retry_at(self, now: datetime, failures: int) -> datetime | None:
        """When to try again after `failures` failed attempts; None: give up."""
        return backoff(
            now,
            failures,
            max_attempts=self.max_attempts,
            base_seconds=self.retry_base_seconds,
            max_seconds=self.retry_max_seconds,
        )


class PollingJob:
    """Claims and works batches until stopped; waits `poll_seconds` when a batch came back
    short. Subclasses say what one round does (`run_once`: how many it claimed)."""

    name = "job"

    def __init__(self, config: JobConfig) -> None:
        self.config = config

    async def run_once(self) -> int:
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception as exc:  # a database hiccup must not kill the worker
                log.error(f"{self.name}_error", exc_info=exc)
                done = 0
            if done < self.config.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.config.poll_seconds)
