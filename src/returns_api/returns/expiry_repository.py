"""The sweeps' queries (the sweeps themselves are in `returns.expiry`).

Approved returns are found through `ix_returns_status_id` (status, id), their approval
through the timeline's `return_id` index; unpaid exchanges through
`ix_returns_exchange_payment_due_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.driver import Row
from returns_api.returns.models import Return, ReturnChange


class ExpiryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy_versions_awaiting_parcels(self) -> list[int]:
        stmt = (
            select(Return.policy_version)
            .where(
                Return.status == "approved",
                Return.keep_item.is_(False),
                Return.instant_exchange.is_(False),
            )
            .distinct()
            .order_by(Return.policy_version)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def due(
        self, policy_version: int, approved_before: datetime, limit: int
    ) -> Sequence[Row]:
        """Approved returns of one policy version, not keep-the-item, approved at or before
        `approved_before`; oldest first, locked, skipping rows another sweeper or a request
        holds (PostgreSQL), so several workers never wait for or fight over one return."""
        approved_in_time = exists().where(
            ReturnChange.return_id == Return.id,
            ReturnChange.kind.in_(("created", "approved")),
            ReturnChange.to_status == "approved",
            ReturnChange.created_at <= approved_before,
        )
        stmt = (
            select(*Return.__table__.c)
            .where(
                Return.status == "approved",
                Return.keep_item.is_(False),
                # An instant exchange's hold is charged instead (`holds_due`).
                Return.instant_exchange.is_(False),
                Return.policy_version == policy_version,
                approved_in_time,
            )
            .order_by(Return.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Return)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def holds_due(self, now: datetime, limit: int) -> Sequence[Row]:
        """Instant exchanges still approved (no parcel on its way) past their hold's
        deadline, earliest first, locked and skipping rows held elsewhere (as `due`)."""
        stmt = (
            select(Return.id)
            .where(
                Return.exchange_hold_status == "held",
                Return.exchange_hold_due_at <= now,
                Return.status == "approved",
            )
            .order_by(Return.exchange_hold_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Return)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def unpaid(self, now: datetime, limit: int) -> Sequence[Row]:
        """Returns whose exchange was still owed at its deadline, earliest first, locked and
        skipping rows held elsewhere (as `due`). The aggregate decides (`fall_back`)."""
        stmt = (
            select(Return.id)
            .where(
                Return.exchange_payment_due_at <= now,
                Return.status.in_(("approved", "in_transit", "received")),
                Return.exchange_order_requested_at.is_(None),
            )
            .order_by(Return.exchange_payment_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Return)
        )
        return (await self.session.execute(stmt)).mappings().all()
