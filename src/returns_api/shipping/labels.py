"""The label worker: buys the labels approvals asked for, and gives back the labels of
returns called off, outside any request.

A shipment is born `pending` in the approval's transaction (the same one that writes the
approval's outbox event), with `next_attempt_at` = now: that row is the job. The worker
claims due shipments (a lease), reads what the carrier needs, calls the carrier off the
event loop (the SDKs are synchronous), then records the outcome on the return in a
transaction of its own: `return.label_created`, or the failure with the next attempt
(exponential back-off), or `return.label_failed` once it gives up or the carrier refuses.

At least once: a worker that dies after the carrier answered and before the outcome is
saved leaves the shipment to be claimed again when its lease ends, and the label may be
bought twice. Each purchase carries our shipment id as the carrier's reference, so the
duplicate can be found; the built-in carrier gives the same tracking number again.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from returns_api.returns.shipments import BoughtLabel, Shipment
from returns_api.returns.store import ReturnStore
from returns_api.shipping.carrier import (
    Carrier,
    CarrierError,
    Label,
    LabelLine,
    LabelRequest,
    Party,
)
from returns_api.shipping.repository import ShipmentRepository

log = structlog.get_logger(__name__)
WORKER = "system:label-worker"


class LabelWorker(PollingJob):
    name = "label_worker"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        carrier: Carrier,
        config: JobConfig,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(config)
        self.sessionmaker = sessionmaker
        self.carrier = carrier
        self.clock = clock

    async def run_once(self) -> int:
        """Claim the due shipments and work each; how many were claimed."""
        now = self.clock()
        lease = now + timedelta(seconds=self.config.lease_seconds)
        async with self.sessionmaker() as session, session.begin():
            claimed = await ShipmentRepository(session).claim_due(
                now, lease, self.config.batch_size
            )
        for row in claimed:
            try:
                await self._work(row["return_id"], row["id"])
            except Exception as exc:  # one shipment's bug must not stop the others
                log.error("label_work_failed", shipment_id=str(row["id"]), exc_info=exc)
        return len(claimed)

    async def _work(self, return_id: uuid.UUID, shipment_id: uuid.UUID) -> None:
        # Read, then let go of the session before the carrier is called: no transaction
        # (nor SQLite's read lock) is held across a network call.
        async with self.sessionmaker() as session:
            ret = await ReturnStore(session).load(return_id)
            if ret is None:
                return
            shipment = ret.shipment(shipment_id)
            buy = shipment.label_state == "pending" and not shipment.carrier_void_due
            request = await _label_request(session, ret, shipment) if buy else None
        await self._extend_lease(shipment_id)
        if shipment.carrier_void_due:
            await self._void(return_id, shipment)
        elif request is not None:
            try:
                label = await asyncio.to_thread(self.carrier.create_return_shipment, request)
            except CarrierError as exc:
                await self._failed(return_id, shipment_id, str(exc), give_up=not exc.retryable)
                return
            except Exception as exc:  # an adapter's bug: logged, retried like an outage
                log.error("label_carrier_error", shipment_id=str(shipment_id), exc_info=exc)
                await self._failed(return_id, shipment_id, type(exc).__name__, give_up=False)
                return
            await self._bought(return_id, shipment_id, label)

    async def _extend_lease(self, shipment_id: uuid.UUID) -> None:
        until = self.clock() + timedelta(seconds=self.config.lease_seconds)
        async with self.sessionmaker() as session, session.begin():
            await ShipmentRepository(session).extend_lease(shipment_id, until)

    async def _bought(self, return_id: uuid.UUID, shipment_id: uuid.UUID, label: Label) -> None:
        bought = BoughtLabel(
            carrier=label.carrier,
            tracking_number=label.tracking_number,
            carrier_shipment_id=label.carrier_shipment_id,
            label_url=label.label_url,
            qr_payload=label.qr_payload,
            qr_url=label.qr_url,
            has_label_pdf=label.label_pdf is not None,
        )
        async with self.sessionmaker() as session, session.begin():
            store = ReturnStore(session)
            ret = await store.load(return_id, lock=True)
            if ret is None:
                return
            shipment = ret.shipment(shipment_id)
            was, kept = shipment.label_state, shipment.carrier_shipment_id
            ret.record_label(self._act(), shipment_id, bought)
            if label.label_pdf is not None and was != "created":
                await ShipmentRepository(session).save_label(shipment_id, label.label_pdf)
            await save_and_show(store, ret)
        if was == "created" and label.carrier_shipment_id not in (None, kept):
            # Bought twice (a lease ran out mid-purchase): the second one goes back at once.
            log.warning("label_bought_twice", shipment_id=str(shipment_id))
            with contextlib.suppress(CarrierError):
                await asyncio.to_thread(self.carrier.void, label)
            return
        log.info("label_created", shipment_id=str(shipment_id), carrier=label.carrier)

    async def _failed(
        self, return_id: uuid.UUID, shipment_id: uuid.UUID, error: str, *, give_up: bool
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            store = ReturnStore(session)
            ret = await store.load(return_id, lock=True)
            if ret is None:
                return
            act = self._act()
            failures = ret.shipment(shipment_id).attempts + 1
            retry_at = None if give_up else self.config.retry_at(act.at, failures)
            ret.record_label_failure(act, shipment_id, error, retry_at=retry_at)
            await save_and_show(store, ret)
        log.warning(
            "label_attempt_failed",
            shipment_id=str(shipment_id),
            error=error,
            attempt=failures,
            retry_at=retry_at.isoformat() if retry_at else None,
        )

    async def _void(self, return_id: uuid.UUID, shipment: Shipment) -> None:
        label = Label(
            carrier=shipment.carrier or "",
            tracking_number=shipment.tracking_number or "",
            carrier_shipment_id=shipment.carrier_shipment_id,
        )
        error: str | None = None
        give_up = False
        try:
            await asyncio.to_thread(self.carrier.void, label)
        except CarrierError as exc:
            error, give_up = str(exc), not exc.retryable
        async with self.sessionmaker() as session, session.begin():
            store = ReturnStore(session)
            ret = await store.load(return_id, lock=True)
            if ret is None:
                return
            act = self._act()
            failures = ret.shipment(shipment.id).attempts + 1
            retry_at = None if give_up or error is None else self.config.retry_at(act.at, failures)
            ret.record_carrier_void(act, shipment.id, error, retry_at=retry_at)
            await save_and_show(store, ret)
        if error is not None and retry_at is None:
            # Nothing will try again: someone must refund it at the carrier by hand.
            log.warning("label_void_given_up", shipment_id=str(shipment.id), error=error)

    def _act(self) -> Act:
        return Act(actor=WORKER, at=self.clock(), new_id=new_id)


async def _label_request(session: AsyncSession, ret: Return, shipment: Shipment) -> LabelRequest:
    """What the carrier needs: the customer's name and address as the order has them now,
    the warehouse as it was when the shipment was asked for, and the items. Either address
    may be missing (a fresh install has no warehouse): the built-in label does without, a
    carrier refuses."""
    order = await OrderRepository(session).get(ret.order_id)
    assert order is not None  # returns reference their order
    destination = shipment.destination
    return LabelRequest(
        shipment_id=shipment.id,
        rma_number=ret.rma_number,
        order_number=order["order_number"],
        kind="drop_off_qr" if shipment.kind == "drop_off_qr" else "prepaid_label",
        carrier=shipment.carrier,
        service=None,
        sender=Party(
            name=order["customer_name"] or order["customer_email"],
            address=order["shipping_address"],
            email=order["customer_email"],
        ),
        recipient=Party(name=destination["name"], address=destination["address"])
        if destination
        else None,
        lines=tuple(LabelLine(item.sku, item.title, item.quantity) for item in ret.items),
    )
