"""The replacement order of an exchange: the part of the return aggregate (`domain.Return`
takes it in) that asks the platform for the new items and records what it reports.

Pure, like the rest of the aggregate. Requested once the return's exchanged units are
accepted and what they cost more is paid (`difference`); then the platform reports the
order it created, and later its shipment (`return.exchange_fulfilled`, once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from returns_api.returns.difference import ExchangeDifference
from returns_api.returns.exceptions import ExchangeNotRequested, ExchangeOrderMismatch
from returns_api.returns.parts import Act, Item
from returns_api.returns.status import ReturnStatus


class ReplacementOrder(ExchangeDifference):
    """What `Return` does about the replacement order; the fields are the return's."""

    __slots__ = ()

    items: list[Item]
    refund_breakdown: dict[str, Any]
    exchange_order_requested_at: datetime | None
    exchange_ship_to: dict[str, Any] | None
    exchange_order_id: str | None
    exchange_tracking_number: str | None
    exchange_carrier: str | None
    exchange_fulfilled_at: datetime | None
    received_at: datetime | None

    def record_exchange_fulfillment(
        self,
        act: Act,
        *,
        order_id: str,
        tracking_number: str | None,
        carrier: str | None,
        note: str | None,
    ) -> None:
        """The platform created the replacement order (`order_id`), and later shipped it
        (`tracking_number`): `return.exchange_fulfilled`, once. Sending what is already
        recorded changes nothing."""
        if self.exchange_order_requested_at is None:
            raise ExchangeNotRequested(
                "No replacement order was requested for this return: it is requested once "
                "exchanged units are accepted and nothing is owed for them."
            )
        if self.exchange_order_id is not None and order_id != self.exchange_order_id:
            raise ExchangeOrderMismatch(
                f"The replacement order is {self.exchange_order_id!r}, not {order_id!r}."
            )
        ships = tracking_number is not None and self.exchange_fulfilled_at is None
        if self.exchange_order_id == order_id and not ships:
            return
        shipped = {
            "exchange_tracking_number": tracking_number,
            "exchange_carrier": carrier,
            "exchange_fulfilled_at": act.at,
        }
        self._change(
            act,
            "exchange_fulfilled" if ships else "exchange_order_created",
            note=note,
            data={"order_id": order_id, "tracking_number": tracking_number, "carrier": carrier},
            event="return.exchange_fulfilled" if ships else None,
            apply=lambda: self._set(exchange_order_id=order_id, **(shipped if ships else {})),
        )

    def _request_replacement_if_due(
        self, act: Act, ship_to: dict[str, Any] | None, *, before_receipt: bool = False
    ) -> None:
        """Once received (and after each payment): ask for the replacement when exchanged
        units were accepted, nothing is owed for them any more, and it was not asked for
        before; `before_receipt`: an instant exchange's, for every unit asked for."""
        balance = self.refund_breakdown.get("exchange")
        variants = self._replacements()
        if self.exchange_order_requested_at is not None or balance is None:
            return
        if self.outstanding > 0 or not variants:
            return
        if self.status is not ReturnStatus.RECEIVED and not before_receipt:
            return
        self._change(
            act,
            "exchange_order_requested",
            note=None,
            data={"variants": variants},
            event="return.exchange_order_requested",
            apply=lambda: self._set(exchange_order_requested_at=act.at, exchange_ship_to=ship_to),
        )

    def _replacements(self) -> list[dict[str, Any]]:
        """The variants to send: as many units as were accepted of each exchanged item (as
        were asked for, before the parcel is received)."""
        return [
            {
                "item_id": str(item.id),
                "variant_id": item.exchange_variant_id,
                "quantity": item.accepted_quantity if self.received_at else item.quantity,
                "unit_price": item.exchange_unit_price,
                "tax": item.exchange_tax,
            }
            for item in self.items
            if item.exchange_variant_id is not None
            and (item.accepted_quantity if self.received_at else item.quantity) > 0
        ]
