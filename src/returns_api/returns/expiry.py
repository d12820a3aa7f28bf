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
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import structlog
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.clock import utcnow
from returns_api.core.driver import Row
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
from returns_api.statutory import eu

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
    expired = 0
    for version in await repo.policy_versions_awaiting_parcels():
        if expired >= limit:
            break
        try:
            days = (await policy_version(session, version)).ship_within_days
        except PolicyVersionNotFound:
            log.warning("expiry_unknown_policy_version", policy_version=version)
            continue

        async def expire(ret: domain.Return, days: int = days) -> None:
            act = Act(actor=SWEEPER, at=utcnow(), new_id=new_id)
            expire_unshipped(ret, act, ship_within_days=days)

        due = await repo.due(version, now - timedelta(days=days), limit - expired)
        expired += await _each(session, due, expire, skip=(IllegalTransition,), what="expiry")
    return expired


async def sweep_unpaid(session: AsyncSession, now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Let up to `limit` exchanges unpaid past their deadline fall back to the policy's
    `fallback_resolution` (`difference`), in the caller's transaction; how many fell back."""

    async def fall_back(ret: domain.Return) -> None:
        policy = await policy_version(session, ret.policy_version)
        terms = policy.for_decision(ret.decision).exchanges
        ret.fall_back(
            Act(actor=SWEEPER, at=now, new_id=new_id),
            resolution=terms.fallback_resolution,
            valuation=await valuation.again(session, ret),
            days=terms.payment_deadline_days,
        )

    unpaid = await ExpiryRepository(session).unpaid(now, limit)
    skip = (NothingOwed, PolicyVersionNotFound)
    return await _each(session, unpaid, fall_back, skip=skip, what="exchange_fallback")


async def sweep_holds(session: AsyncSession, now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Ask for up to `limit` instant exchanges' holds to be charged, their parcel not on its
    way by the deadline (`instant`), in the caller's transaction; how many were asked."""

    async def ask(ret: domain.Return) -> None:
        ret.request_hold_capture(Act(actor=SWEEPER, at=now, new_id=new_id))

    due = await ExpiryRepository(session).holds_due(now, limit)
    return await _each(session, due, ask, skip=(HoldNotPending,), what="hold_capture")


async def sweep_statutory(session: AsyncSession, now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Flag statutory withdrawals whose refund is overdue (`return.refund_overdue`, once) or
    whose goods were not sent back in 14 days (never expired: `statutory_deadlines`)."""
    repo = ExpiryRepository(session)
    act = Act(actor=SWEEPER, at=now, new_id=new_id)

    async def refund_overdue(ret: domain.Return) -> None:
        ret.flag_refund_overdue(act)

    async def send_back_overdue(ret: domain.Return) -> None:
        ret.flag_send_back_overdue(act)

    overdue = await repo.refunds_overdue(now, limit)
    flagged = await _each(session, overdue, refund_overdue, skip=(), what="refund_overdue")
    # Made before this, a withdrawal's 14 days to send back have certainly passed (a weekend
    # and the end of the day added), so each one found is flagged.
    late = await repo.send_back_due(now - timedelta(days=eu.SEND_BACK_DAYS + 3), limit - flagged)
    return flagged + await _each(session, late, send_back_overdue, skip=(), what="send_back")


async def _each(
    session: AsyncSession,
    rows: Sequence[Row],
    change: Callable[[domain.Return], Awaitable[None]],
    *,
    skip: tuple[type[Exception], ...],
    what: str,
) -> int:
    """Make `change` to the return of each row (locked by the query that found it), each in
    a savepoint of its own: one return that cannot change, or fails, is logged and left,
    and never undoes or blocks the others. How many changed."""
    store = ReturnStore(session)
    skipped: tuple[type[Exception], ...] = (*skip, ConcurrentChange)
    done = 0
    for row in rows:
        try:
            async with session.begin_nested():
                ret = await store.load(row["id"])
                assert ret is not None
                await change(ret)
                await save_and_show(store, ret)
        except skipped as exc:
            log.info(f"{what}_skipped", return_id=str(row["id"]), reason=str(exc))
            continue
        except Exception as exc:  # a bug in one return must not stop every sweep
            log.error(f"{what}_failed", return_id=str(row["id"]), exc_info=exc)
            continue
        done += 1
    return done


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
            expired += await sweep_statutory(session, moment, limit=batch_size)
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
