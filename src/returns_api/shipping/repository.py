"""The label worker's queries and the stored label files. A shipment's own fields are written
with its return (`returns.store`); only the worker's lease is written here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.core.db import table_of
from returns_api.core.driver import Row, fetch_all, fetch_one, run
from returns_api.core.leases import claim, claim_statement
from returns_api.returns.tables import shipments
from returns_api.shipping.models import ShipmentLabel

labels = table_of(ShipmentLabel)

# The label worker's jobs: labels to buy, and bought labels to give back.
_CLAIM = claim_statement(
    shipments, or_(shipments.c.label_state == "pending", shipments.c.carrier_void_due)
)
_BY_TRACKING_NUMBER = select(shipments.c.id, shipments.c.return_id).where(
    shipments.c.tracking_number == bindparam("tracking_number")
)
_LABEL = select(labels.c.content).where(labels.c.shipment_id == bindparam("id"))


class ShipmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Row]:
        """Up to `limit` shipments with a label to buy or give back, leased to the caller:
        (id, return_id) rows."""
        return await claim(self.session, _CLAIM, now, lease_until, limit)

    async def extend_lease(self, shipment_id: uuid.UUID, until: datetime) -> None:
        """Hold one claimed shipment for a whole carrier call (a batch is claimed at once,
        and worked one shipment after the other)."""
        await run(
            self.session,
            update(shipments).where(shipments.c.id == shipment_id).values(next_attempt_at=until),
        )

    async def by_tracking_number(self, tracking_number: str) -> Sequence[Row]:
        return await fetch_all(
            self.session, _BY_TRACKING_NUMBER, {"tracking_number": tracking_number}
        )

    async def save_label(self, shipment_id: uuid.UUID, content: bytes) -> None:
        await run(self.session, delete(labels).where(labels.c.shipment_id == shipment_id))
        await run(self.session, insert(labels).values(shipment_id=shipment_id, content=content))

    async def label(self, shipment_id: uuid.UUID) -> bytes | None:
        row = await fetch_one(self.session, _LABEL, {"id": shipment_id})
        return bytes(row["content"]) if row is not None else None
