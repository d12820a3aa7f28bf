"""Expiry (DESIGN §3, approved → expired): an approved return whose parcel has not left
within the policy's `ship_within_days` of the approval expires, and its units become
returnable again. "Left" means the return moved on from `approved` (in transit, or
cancelled); keep-the-item returns have no parcel and never expire.

The same sweep lets exchanges that were not paid by their deadline fall back to the policy's
fallback resolution (`sweep_unpaid`, `return.exchange_payment_expired`), and asks for the
holds of instant exchanges whose parcel is late to be charged (`sweep_holds`; an instant
exchange never expires: the customer has the new items).

`ExpirySweep` runs beside the webhook dispatcher in each worker (`returns-api worker`, or
the API process in embedded mode; see `returns_api.worker`). It finds due returns in bounded
batches, each batch in its own transaction, and moves each through the same transition
machinery as a person would: a timeline entry and a `return.expired` event carrying the
previous status.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import structlog
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.clock import utcnow
from returns_api.core.ids import new_id
from returns_api.policies.service import PolicyVersionNotFound, policy_version
from returns_api.returns import domain, valuation
from returns_api.returns.exceptions import (
    ConcurrentChange,
    HoldNotPending,
    IllegalTransition,
    NothingOwed,
)
from returns_api.returns.expiry_repository import ExpiryRepository
from returns_api.returns.parts import Act
from returns_api.returns.service import save_and_show
from returns_api.returns.store import ReturnStore

log = structlog.get_logger(__name__)
BATCH_SIZE = 100
# What the timeline shows as the actor of an expiry (the sweep holds no API key).
SWEEPER = "returns-api (expiry sweep)"


def expire_unshipped(ret: domain.Return, act: Act, *, ship_within_days: int) -> None:
    """Expire `ret` as the sweep does, saying why; demo data expires its returns the same way."""
    ret.expire(
        act,
        note=f"Not shipped within {ship_within_days} days of approval.",
        data={"ship_within_days": ship_within_days, "policy_version": ret.policy_version},
    )


async def sweep_expired(session: AsyncSession, now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Expire up to `limit` due returns in the caller's transaction; how many expired."""
    repo = ExpiryRepository(session)
    store = ReturnStore(session)
    expired = 0
    for version in await repo.policy_versions_awaiting_parcels():
        if expired >= limit:
            break
        try:
            days = (await policy_version(session, version)).ship_within_days
        except PolicyVersionNotFound:
            log.warning("expiry_unknown_policy_version", policy_version=version)
            continue
        approved_before = now - timedelta(days=days)
        for row in await repo.due(version, approved_before, limit - expired):
            try:
                ret = await store.load(row["id"])  # locked by `due`
                assert ret is not None
                expire_unshipped(
                    ret, Act(actor=SWEEPER, at=utcnow(), new_id=new_id), ship_within_days=days
                )
                await save_and_show(store, ret)
            except (IllegalTransition, ConcurrentChange) as exc:
                # Nothing was written for this one (both are raised before any write).
                log.info("expiry_skipped", return_id=str(row["id"]), reason=exc.detail)
                continue
            expired += 1
    return expired


async def sweep_unpaid(session: AsyncSession, now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Let up to `limit` exchanges unpaid past their deadline fall back to the policy's
    `fallback_resolution` (`difference`), in the caller's transaction; how many fell back."""
    store = ReturnStore(session)
    fell_back = 0
    for row in await ExpiryRepository(session).unpaid(now, limit):
        try:
            ret = await store.load(row["id"])  # locked by `unpaid`
            assert ret is not None
            policy = await policy_version(session, ret.policy_version)
            terms = policy.for_decision(ret.decision).exchanges
            ret.fall_back(
                Act(actor=SWEEPER, at=now, new_id=new_id),
                resolution=terms.fallback_resolution,
                valuation=await valuation.again(session, ret),
                days=terms.payment_deadline_days,
            )
            await save_and_show(store, ret)
        except (NothingOwed, ConcurrentChange, PolicyVersionNotFound) as exc:
            log.info("exchange_fallback_skipped", return_id=str(row["id"]), reason=str(exc))
            continue
        fell_back += 1
    return fell_back


async def sweep_holds(session: AsyncSession, now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Ask for up to `limit` instant exchanges' holds to be charged, their parcel not on its
    way by the deadline (`instant`), in the caller's transaction; how many were asked."""
    store = ReturnStore(session)
    asked = 0
    for row in await ExpiryRepository(session).holds_due(now, limit):
        try:
            ret = await store.load(row["id"])  # locked by `holds_due`
            assert ret is not None
            ret.request_hold_capture(Act(actor=SWEEPER, at=now, new_id=new_id))
            await save_and_show(store, ret)
        except (HoldNotPending, ConcurrentChange) as exc:
            log.info("hold_capture_skipped", return_id=str(row["id"]), reason=exc.detail)
            continue
        asked += 1
    return asked


async def expire_overdue(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int = 10,
) -> tuple[int, bool]:
    """Sweep batch after batch, each committed on its own, until a batch comes back short
    or `max_batches` were done. Returns (expired, more may be due): the dispatcher runs this
    between delivery rounds, and a large backlog must not starve deliveries."""
    total = 0
    moment = now or utcnow()
    for _ in range(max_batches):
        async with sessionmaker() as session, session.begin():
            expired = await sweep_expired(session, moment, limit=batch_size)
            expired += await sweep_unpaid(session, moment, limit=batch_size)
            expired += await sweep_holds(session, moment, limit=batch_size)
        total += expired
        if expired < batch_size:
            return total, False
    return total, True


class ExpirySweep:
    """Every `interval_seconds` (0: never), expire approved returns not shipped in time.
    Several workers may sweep at once: SKIP LOCKED shares the due returns out."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        interval_seconds: float,
        registry: CollectorRegistry | None = None,
        worker_id: str = "",
    ) -> None:
        self.sessionmaker = sessionmaker
        self.interval = interval_seconds
        self.worker_id = worker_id
        self.expired = Counter(
            "returns_expired_total",
            "Approved returns expired by the sweep (not shipped in time).",
            registry=registry or CollectorRegistry(),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep until `stop` is set; a backlog is taken slice after slice without waiting."""
        while self.interval > 0 and not stop.is_set():
            if not await self.sweep_once():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    async def sweep_once(self) -> bool:
        """One bounded sweep; True when more returns may be due."""
        try:
            expired, more = await expire_overdue(self.sessionmaker)
        except Exception as exc:  # a database hiccup must not kill the worker
            log.error("expiry_sweep_error", exc_info=exc)
            return False
        if expired:
            log.info("returns_expired", count=expired, worker=self.worker_id)
            self.expired.inc(expired)
        return more
