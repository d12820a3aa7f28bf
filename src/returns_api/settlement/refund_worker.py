"""The refund worker: carries out refunds left pending for a payment provider (Stripe), outside
any request, and applies what the provider reports (its answer, or its webhook).

A pending refund with `next_attempt_at` due is the job, written in the refund's own
transaction. The worker claims due refunds (a lease, as the label worker claims shipments),
then, for each: **looks it up at the provider first** by our refund id in the metadata, and
sends it only when the provider has none. That is the crash safety: a worker that died after
the provider accepted a refund and before the answer was recorded leaves it to be claimed
again when the lease ends, and the next look-up finds it instead of sending it twice
(idempotency keys alone are not enough: Stripe keeps them about 24 hours). Each send has its
own idempotency key (the refund id and the attempt).

The provider's answer settles the refund (`return.refunded` / `return.refund_failed`), or,
still pending there, is looked at again after `recheck_seconds` unless a webhook says first.
Retryable errors back off; a refusal, or the last attempt, fails the refund: its amount is
left to refund again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.core.clock import utcnow
from returns_api.core.ids import new_id
from returns_api.core.jobs import JobConfig, PollingJob
from returns_api.orders.repository import OrderRepository
from returns_api.returns.domain import Return
from returns_api.returns.parts import Act
from returns_api.returns.service import save_and_show
from returns_api.returns.store import ReturnStore
from returns_api.settlement.executor import (
    ExecutorError,
    Payment,
    PaymentExecutor,
    ProviderRefund,
    RefundRequest,
)
from returns_api.settlement.movements_repository import MovementRepository
from returns_api.settlement.repository import RefundRepository

log = structlog.get_logger(__name__)
WORKER = "system:refund-worker"


class RefundWorker(PollingJob):
    name = "refund_worker"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        executor: PaymentExecutor,
        config: JobConfig,
        clock: Callable[[], datetime] = utcnow,
        *,
        recheck_seconds: float = 3600.0,
    ) -> None:
        super().__init__(config)
        self.sessionmaker = sessionmaker
        self.executor = executor
        self.clock = clock
        self.recheck_seconds = recheck_seconds

    async def run_once(self) -> int:
        """Claim the due refunds and work each; how many were claimed."""
        now = self.clock()
        lease = now + timedelta(seconds=self.config.lease_seconds)
        async with self.sessionmaker() as session, session.begin():
            claimed = await RefundRepository(session).claim_due(now, lease, self.config.batch_size)
        for row in claimed:
            try:
                await self._work(row["return_id"], row["id"])
            except Exception as exc:  # one refund's bug must not stop the others
                log.error("refund_work_failed", refund_id=str(row["id"]), exc_info=exc)
        return len(claimed)

    async def _work(self, return_id: uuid.UUID, refund_id: uuid.UUID) -> None:
        async with self.sessionmaker() as session:
            ret = await ReturnStore(session).load(return_id)
            if ret is None:
                return
            refund = ret.refund_of(refund_id)
            if refund.status != "pending" or refund.executor != self.executor.code:
                return
            payment = await _payment(session, ret, refund.payment_reference)
        request = RefundRequest(
            refund_id=refund_id,
            payment=payment,
            amount=refund.amount,
            currency=refund.currency,
            idempotency_key=f"{refund_id}:{refund.attempts}",
            rma_number=ret.rma_number,
        )
        try:
            found = await asyncio.to_thread(self.executor.find, refund_id, payment)
            if found is None and refund.external_reference is None:
                found = await asyncio.to_thread(self.executor.send, request)
        except ExecutorError as exc:
            await self._failed(return_id, refund_id, str(exc), give_up=not exc.retryable)
            return
        if found is None:  # sent before, yet not found now: look again later
            await self._failed(return_id, refund_id, "not found at the provider", give_up=False)
            return
        await self.apply(return_id, refund_id, found)

    async def apply(
        self, return_id: uuid.UUID, refund_id: uuid.UUID, found: ProviderRefund
    ) -> bool:
        """What the provider says of one of our refunds (its answer, or its webhook); False
        when it changed nothing."""
        async with self.sessionmaker() as session, session.begin():
            return await apply_provider_refund(
                session, return_id, refund_id, found, self._act(), self.recheck_seconds
            )

    async def _failed(
        self, return_id: uuid.UUID, refund_id: uuid.UUID, error: str, *, give_up: bool
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            store = ReturnStore(session)
            ret = await store.load(return_id, lock=True)
            if ret is None:
                return
            act = self._act()
            failures = ret.refund_of(refund_id).attempts + 1
            retry_at = None if give_up else self.config.retry_at(act.at, failures)
            if retry_at is None:  # refused, or out of attempts: the amount is left again
                ret.settle_refund(
                    act, refund_id, succeeded=False, external_reference=None, reason=error
                )
            else:
                ret.record_refund_attempt(
                    act, refund_id, provider_reference=None, error=error, retry_at=retry_at
                )
            await save_and_show(store, ret)
        log.warning("refund_attempt_failed", refund_id=str(refund_id), error=error)

    def _act(self) -> Act:
        return Act(actor=WORKER, at=self.clock(), new_id=new_id)


async def apply_provider_refund(
    session: AsyncSession,
    return_id: uuid.UUID,
    refund_id: uuid.UUID,
    found: ProviderRefund,
    act: Act,
    recheck_seconds: float,
) -> bool:
    """Settle the refund as the provider reports it, or note its reference and look again
    later while it is pending there. In the caller's transaction."""
    store = ReturnStore(session)
    ret = await store.load(return_id, lock=True)
    if ret is None or ret.refund_of(refund_id).status != "pending":
        return False
    if found.status == "pending":
        recheck = act.at + timedelta(seconds=recheck_seconds)
        ret.record_refund_attempt(
            act,
            refund_id,
            provider_reference=found.provider_reference,
            error=None,
            retry_at=recheck,
        )
        changed = True
    else:
        changed = ret.settle_refund(
            act,
            refund_id,
            succeeded=found.status == "succeeded",
            external_reference=found.provider_reference,
            reason=found.failure_reason or ("failed" if found.status == "failed" else None),
        )
    if changed:
        await save_and_show(store, ret)
    return changed


async def _payment(session: AsyncSession, ret: Return, reference: str | None) -> Payment:
    order = await OrderRepository(session).get(ret.order_id)
    assert order is not None  # returns reference their order
    for payment in order["payments"] or ():
        if payment["reference"] == reference:
            return Payment(
                payment["provider"], payment["reference"], int(payment["amount"]), order["currency"]
            )
    for paid in await MovementRepository(session).paid_in(ret.id, "stripe"):
        if paid["reference"] == reference:  # what the customer paid for the exchange
            return Payment("stripe", paid["reference"], int(paid["amount"]), ret.currency)
    # The order was re-synced without it: still refund against the payment it was allotted.
    return Payment("stripe", reference or "", 0, order["currency"])
