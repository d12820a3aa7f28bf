"""The dispatcher: routes outbox events to endpoints and delivers them, at least once.

Several dispatchers can run side by side (PostgreSQL): they claim due deliveries with
``FOR UPDATE SKIP LOCKED`` under a lease that a heartbeat extends while a batch is in
flight; a dispatcher that dies simply lets its leases run out and another one takes the
work over. A delivery that may already have reached the receiver is sent again with the
same ``webhook-id`` — consumers deduplicate on it (exactly-once over HTTP is impossible).

Per (endpoint, return) only the oldest unfinished delivery is ever claimed, so one
return's events reach an endpoint one at a time and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.clock import rfc3339, utcnow
from returns_api.core.ids import new_id
from returns_api.core.settings import Settings
from returns_api.webhooks import retry
from returns_api.webhooks.events import record_event
from returns_api.webhooks.repository import OutboxRepository
from returns_api.webhooks.sender import AttemptResult, Sender

log = structlog.get_logger("returns_api.dispatcher")
ROUTING_BATCH = 1000
# Successful deliveries are recorded together, this many per transaction (one round trip
# each for the attempts and the deliveries, instead of four per delivery). A worker killed
# before it records them leaves them to their lease: they are sent again, with the same
# webhook-id (at-least-once, as always).
SETTLE_BATCH = 50


@dataclass(frozen=True, slots=True)
class DispatcherConfig:
    batch_size: int = 200
    concurrency: int = 64
    poll_seconds: float = 0.25
    lease: timedelta = timedelta(seconds=60)
    timeout_seconds: float = 10.0
    schedule: tuple[timedelta, ...] = retry.DEFAULT_SCHEDULE
    disable_after: timedelta = timedelta(days=5)
    allow_private_urls: bool = False
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatcherConfig:
        return cls(
            batch_size=settings.dispatcher_batch_size,
            concurrency=settings.dispatcher_concurrency,
            poll_seconds=settings.dispatcher_poll_seconds,
            lease=timedelta(seconds=settings.dispatcher_lease_seconds),
            timeout_seconds=settings.webhooks_timeout_seconds,
            schedule=tuple(timedelta(seconds=s) for s in settings.webhooks_retry_schedule_seconds),
            disable_after=timedelta(hours=settings.webhooks_disable_after_hours),
            allow_private_urls=settings.webhooks_allow_private_urls,
        )


class DispatcherMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "returns_webhook_deliveries_total",
            "Finished webhook deliveries by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.attempts = Counter(
            "returns_webhook_attempts_total",
            "Webhook delivery attempts by result.",
            ["result"],
            registry=registry,
        )
        self.oldest_pending = Gauge(
            "returns_webhook_oldest_pending_seconds",
            "Age of the oldest delivery not yet finished.",
            registry=registry,
        )


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        config: DispatcherConfig,
        metrics: DispatcherMetrics | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.config = config
        self.metrics = metrics or DispatcherMetrics(CollectorRegistry())
        self._rng = random.Random()
        self.sender = Sender(
            timeout_seconds=config.timeout_seconds,
            concurrency=config.concurrency,
            allow_private_urls=config.allow_private_urls,
        )

    async def aclose(self) -> None:
        await self.sender.aclose()

    async def attempt(self, work: Mapping[Any, Any]) -> AttemptResult:
        return await self.sender.attempt(work)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; then finish the batch in flight and return."""
        log.info("dispatcher_started", worker=self.config.worker_id)
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception as exc:  # a database hiccup must not kill the worker
                log.error("dispatcher_error", exc_info=exc)
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.config.poll_seconds)
        log.info("dispatcher_stopped", worker=self.config.worker_id)

    async def run_once(self) -> int:
        """Route new events, then claim and deliver one batch. Returns deliveries finished."""
        await self.route_events()
        ids = await self._claim()
        if not ids:
            await self._observe_backlog()
            return 0
        heartbeat = asyncio.create_task(self._heartbeat(ids))
        try:
            async with self.sessionmaker() as session:
                work = await OutboxRepository(session).claimed_work(ids)
            limiter = asyncio.Semaphore(self.config.concurrency)
            delivered: list[tuple[Mapping[Any, Any], AttemptResult]] = []

            async def one(item: Mapping[Any, Any]) -> None:
                async with limiter:
                    await self._deliver(item, delivered)

            await asyncio.gather(*(one(item) for item in work))
            await self._record_delivered(delivered)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return len(ids)

    async def route_events(self) -> int:
        """Fan new events out into one delivery per subscribed endpoint."""
        async with self.sessionmaker() as session, session.begin():
            repo = OutboxRepository(session)
            if not await repo.try_routing_lock():
                return 0
            events = await repo.unrouted_events(ROUTING_BATCH)
            if not events:
                return 0
            endpoints = await repo.enabled_endpoints()
            now = utcnow()
            rows = [
                delivery_row(event, endpoint["id"], now)
                for event in events
                for endpoint in endpoints
                if subscribed(endpoint, event)
            ]
            await repo.add_deliveries(rows)
            await repo.mark_routed([event["id"] for event in events])
            return len(events)

    async def _claim(self) -> list[uuid.UUID]:
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            return await OutboxRepository(session).claim(
                self.config.worker_id, now, now + self.config.lease, self.config.batch_size
            )

    async def _heartbeat(self, ids: Sequence[uuid.UUID]) -> None:
        while True:
            await asyncio.sleep(self.config.lease.total_seconds() / 3)
            async with self.sessionmaker() as session, session.begin():
                await OutboxRepository(session).extend_leases(
                    self.config.worker_id, ids, utcnow() + self.config.lease
                )

    async def _observe_backlog(self) -> None:
        async with self.sessionmaker() as session:
            oldest = await OutboxRepository(session).oldest_pending()
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        self.metrics.oldest_pending.set(max(0.0, age))

    async def _deliver(
        self, work: Mapping[Any, Any], delivered: list[tuple[Mapping[Any, Any], AttemptResult]]
    ) -> None:
        if not work["enabled"]:
            await self._settle(work, AttemptResult(None, "endpoint disabled", 0), final=True)
            return
        result = await self.attempt(work)
        if retry.classify(result.status_code) != "success" or work["failing_since"] is not None:
            await self._settle(work, result)  # a failure or a recovery: endpoint health too
            return
        delivered.append((work, result))
        if len(delivered) >= SETTLE_BATCH:
            batch = delivered[:]
            delivered.clear()
            await self._record_delivered(batch)

    async def _record_delivered(
        self, delivered: Sequence[tuple[Mapping[Any, Any], AttemptResult]]
    ) -> None:
        """Record successful deliveries (of endpoints not failing) in one transaction."""
        if not delivered:
            return
        now = utcnow()
        owner = self.config.worker_id
        async with self.sessionmaker() as session, session.begin():
            repo = OutboxRepository(session)
            await repo.add_attempts(
                [self._attempt_row(work, result, now) for work, result in delivered]
            )
            await repo.finish_many(
                owner,
                [(work["id"], self._outcome(work, result, now)[1]) for work, result in delivered],
            )
        self.metrics.attempts.labels("ok").inc(len(delivered))
        self.metrics.deliveries.labels("succeeded").inc(len(delivered))

    async def _settle(
        self, work: Mapping[Any, Any], result: AttemptResult, *, final: bool = False
    ) -> None:
        """Record the attempt and what comes next, in one transaction."""
        now = utcnow()
        outcome, values = self._outcome(work, result, now, final=final)
        async with self.sessionmaker() as session, session.begin():
            repo = OutboxRepository(session)
            if not final:
                await repo.add_attempts([self._attempt_row(work, result, now)])
            await repo.finish(work["id"], self.config.worker_id, values)
            disable_reason = await self._endpoint_health(repo, work, outcome, now)
            if disable_reason is not None and await repo.disable_endpoint(
                work["endpoint_id"], disable_reason, now
            ):
                await record_event(
                    session,
                    "webhook_endpoint.disabled",
                    {"object": {"id": str(work["endpoint_id"]), "reason": disable_reason}},
                )
        self.metrics.attempts.labels(
            "ok" if outcome == "success" else ("error" if result.status_code is None else "http")
        ).inc()
        if values.get("status") in ("succeeded", "failed"):
            self.metrics.deliveries.labels(values["status"]).inc()

    def _attempt_row(
        self, work: Mapping[Any, Any], result: AttemptResult, now: datetime
    ) -> dict[str, Any]:
        return {
            "id": new_id(),
            "delivery_id": work["id"],
            "attempted_at": now,
            "status_code": result.status_code,
            "latency_ms": result.latency_ms,
            "error": result.error,
            "worker": self.config.worker_id,
        }

    def _outcome(
        self, work: Mapping[Any, Any], result: AttemptResult, now: datetime, *, final: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """How the attempt counts (success, retry, disable, failed) and the delivery's new
        columns: done, or the time of the next attempt."""
        outcome = "failed" if final else retry.classify(result.status_code)
        attempts = int(work["attempts"]) + (0 if final else 1)
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": result.status_code,
            "last_error": result.error,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }
        if outcome == "success":
            values.update(status="succeeded", delivered_at=now)
        elif outcome in ("disable", "failed"):
            values["status"] = "failed"
        else:
            delay = retry.next_delay(
                attempts, self.config.schedule, rng=self._rng, retry_after=result.retry_after
            )
            if delay is None:
                values["status"] = "failed"
            else:
                values.update(status="pending", next_attempt_at=now + delay)
        return outcome, values

    async def _endpoint_health(
        self, repo: OutboxRepository, work: Mapping[Any, Any], outcome: str, now: datetime
    ) -> str | None:
        """Track how long the endpoint has been failing; the reason to disable it, if any."""
        if outcome == "success":
            if work["failing_since"] is not None:
                await repo.endpoint_recovered(work["endpoint_id"], now)
            return None
        if outcome == "disable":
            return "the receiver answered 410 Gone"
        if outcome == "failed" and not work["enabled"]:
            return None
        failing_since = await repo.endpoint_failing(work["endpoint_id"], now)
        if now - failing_since >= self.config.disable_after:
            return f"failing continuously since {rfc3339(failing_since)}"
        return None


def delivery_row(event: Mapping[Any, Any], endpoint_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "event_id": event["id"],
        "endpoint_id": endpoint_id,
        "ordering_key": str(event["return_id"]) if event["return_id"] else None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
        "created_at": now,
        "updated_at": now,
    }


def subscribed(endpoint: Mapping[Any, Any], event: Mapping[Any, Any]) -> bool:
    if event["type"] == "ping":  # a test ping goes to the endpoint that asked for it only
        return str(event["data"].get("endpoint_id")) == str(endpoint["id"])
    types = endpoint["event_types"]
    return "*" in types or event["type"] in types
