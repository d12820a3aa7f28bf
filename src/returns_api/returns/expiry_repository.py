"""The sweeps' queries (the sweeps themselves are in `returns.expiry`).

Approved returns are found through `ix_returns_status_id` (status, id), their approval
through the timeline's `return_id` index; unpaid exchanges through
`ix_returns_exchange_payment_due_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.driver import Row
from returns_api.returns.models import Return, ReturnChange

STATUTORY = "statutory_withdrawal"
# A tracking event is the consumer's proof of sending (Directive 2011/83/EU, Article 13(3)).
_SENT = ("in_transit", "delivered", "exception")


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
                Return.legal_basis != STATUTORY,
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
                # A statutory withdrawal is never expired: flagged instead (`send_back_due`).
                Return.legal_basis != STATUTORY,
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

    async def refunds_overdue(self, now: datetime, limit: int) -> Sequence[Row]:
        """Statutory withdrawals past `refund_due_by`, not yet flagged, not fully refunded
        and not held (the goods are back, on their way, or kept); locked, skipping rows held
        elsewhere, so two workers never flag one twice."""
        stmt = (
            select(Return.id)
            .where(
                Return.legal_basis == STATUTORY,
                Return.refund_due_by < now,
                Return.refund_overdue_at.is_(None),
                Return.status.not_in(("rejected", "cancelled")),
                Return.refunded_amount < Return.refundable_amount,
                or_(
                    Return.received_at.is_not(None),
                    Return.keep_item.is_(True),
                    Return.tracking_status.in_(_SENT),
                ),
            )
            .order_by(Return.refund_due_by)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Return)
        )
        return (await self.session.execute(stmt)).mappings().all()

    async def send_back_due(self, created_before: datetime, limit: int) -> Sequence[Row]:
        """Statutory withdrawals whose goods are not on their way (approved or waiting for
        review), made before `created_before`, not yet flagged; locked as `due`."""
        stmt = (
            select(Return.id)
            .where(
                Return.legal_basis == STATUTORY,
                Return.status.in_(("approved", "pending_review")),
                Return.keep_item.is_(False),
                Return.send_back_overdue_at.is_(None),
                Return.created_at < created_before,
            )
            .order_by(Return.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Return)
        )
        return (await self.session.execute(stmt)).mappings().all()
