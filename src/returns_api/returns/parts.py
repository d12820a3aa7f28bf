"""The parts of a return (items, refunds, timeline entries, pending events), who makes a
change (`Act`), and the summary of a return that lists read. Plain typed data: the rules
live in `returns.domain`; field names are the tables' columns."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any, Final, Protocol

from returns_api.returns.status import ReturnStatus


@dataclass(frozen=True, slots=True)
class Act:
    """Who makes a change, when, and where its new ids come from."""

    actor: str
    at: datetime
    new_id: Callable[[], uuid.UUID]


class ExchangeDeadlines(Protocol):
    """The policy's deadlines for exchanges (`policies.document.ExchangeTerms` has them)."""

    @property
    def payment_deadline_days(self) -> int: ...
    @property
    def hold_deadline_days(self) -> int: ...


class Asked(Protocol):
    """What a return request says beside its items (`schemas.ReturnRequest` has it)."""

    @property
    def return_method(self) -> str: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def instant_exchange(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Ask:
    """An `Asked` for writers with no HTTP request: demo data and benchmark seeds."""

    return_method: str
    locale: str | None = None
    instant_exchange: bool = False


@dataclass(frozen=True, slots=True)
class Exchange:
    """The catalog variant an item is exchanged for, with its price in the order's currency
    as it was when the return was made."""

    variant_id: str
    unit_price: int
    tax: int
    like_for_like: bool
    """A variant of the returned line's product at the same list price."""
    same_product: bool = True
    """A variant of the returned line's product (the rules' `exchange_same_product`)."""


@dataclass(slots=True)
class Item:
    """One returned order line: what was paid for it when the return was made, and the two
    tracks of what happened to it (reception and acceptance), kept apart."""

    id: uuid.UUID
    order_id: str
    line_item_id: str
    position: int
    sku: str | None
    title: str
    line_quantity: int
    unit_price: int
    line_discount: int
    line_tax: int
    quantity: int
    reason: str
    merchant_fault: bool
    comment: str | None
    resolution: str
    # Copies of the order's, for analytics (see the model).
    order_placed_at: datetime
    order_currency: str
    reception_status: str = "awaiting"
    received_quantity: int = 0
    acceptance_status: str = "pending"
    accepted_quantity: int = 0
    condition: str | None = None
    disposition: str | None = None
    # Diminished value found at inspection, taken off the refund, with why (Article 14(2)).
    deduction: int = 0
    deduction_reason: str | None = None
    # What the return's current breakdown takes of the line (`refund_math.Taken`): the
    # units it values and their discount and tax shares. The line's other returns are
    # valued against these, so a line is never paid back more than once.
    units_taken: int = 0
    discount_taken: int = 0
    tax_taken: int = 0
    exchange_variant_id: str | None = None
    exchange_unit_price: int | None = None
    exchange_tax: int | None = None
    exchange_like_for_like: bool | None = None

    @classmethod
    def of_line(
        cls,
        item_id: uuid.UUID,
        order: Mapping[str, Any],
        line: Mapping[str, Any],
        *,
        position: int,
        quantity: int,
        reason: str,
        merchant_fault: bool,
        comment: str | None,
        resolution: str,
        exchange: Exchange | None = None,
    ) -> Item:
        """A new item of an order line: what was paid for the line, copied (later order
        re-syncs never change the money of an existing return), and nothing happened yet."""
        return cls(
            id=item_id,
            order_id=order["id"],
            line_item_id=line["id"],
            position=position,
            sku=line["sku"],
            title=line["title"],
            line_quantity=line["quantity"],
            unit_price=line["unit_price"],
            line_discount=line["discount"],
            line_tax=line["tax"],
            quantity=quantity,
            reason=reason,
            merchant_fault=merchant_fault,
            comment=comment,
            resolution=resolution,
            order_placed_at=order["placed_at"],
            order_currency=order["currency"],
            exchange_variant_id=exchange.variant_id if exchange else None,
            exchange_unit_price=exchange.unit_price if exchange else None,
            exchange_tax=exchange.tax if exchange else None,
            exchange_like_for_like=exchange.like_for_like if exchange else None,
        )


# What an item of a new return has been through: nothing yet.
NEW_ITEM_STATE: Final[dict[str, Any]] = {
    f.name: f.default for f in fields(Item) if f.default is not MISSING
}


@dataclass(slots=True)
class Refund:
    """A refund to carry out (`pending`) or carried out: `succeeded`, or `failed`, which gives
    its amount back to what is left to refund. `executor` is who moves the money."""

    id: uuid.UUID
    amount: int
    currency: str
    method: str
    external_reference: str | None
    note: str | None
    actor: str
    created_at: datetime
    status: str = "succeeded"
    executor: str = "record"
    failure_reason: str | None = None
    settled_at: datetime | None = None
    # A payment provider's executor: the payment it is refunded against, and the refund
    # worker's bookkeeping (attempts made, when to try or look again, what went wrong).
    payment_reference: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """Money the customer paid in for the return (`kind`: `exchange_difference`, what an
    exchange costs more; `hold_capture`, what was charged of an instant exchange's hold),
    at `provider` where the platform named it. Written once, never changed."""

    id: uuid.UUID
    kind: str
    provider: str | None
    reference: str | None
    amount: int
    currency: str
    note: str | None
    actor: str
    created_at: datetime


@dataclass(slots=True)
class Change:
    """A timeline entry: who changed what, when, from which status to which."""

    id: uuid.UUID
    kind: str
    actor: str
    from_status: str | None
    to_status: str | None
    note: str | None
    data: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event a change raised, to be written to the outbox with the return as it is now."""

    type: str
    previous_status: str | None
    data: dict[str, Any] | None = None
    """Beside the return itself, what the event's `data` carries (`restocked`)."""


class Summary(Protocol):
    """What a list shows of a return: `Return` has it, and so does `ReturnSummary`."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def rma_number(self) -> str: ...
    @property
    def order_id(self) -> str: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def status(self) -> ReturnStatus: ...
    @property
    def currency(self) -> str: ...
    @property
    def keep_item(self) -> bool: ...
    @property
    def items(self) -> list[Item]: ...
    @property
    def refundable_amount(self) -> int: ...
    @property
    def refunded_amount(self) -> int: ...
    @property
    def refunds_pending(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class ReturnSummary:
    """A return as a list reads it: no decision, instructions, refunds or timeline (the
    largest parts of a return, which lists never show)."""

    id: uuid.UUID
    rma_number: str
    order_id: str
    customer_id: str | None
    status: ReturnStatus
    currency: str
    keep_item: bool
    items: list[Item]
    refundable_amount: int
    refunded_amount: int
    refunds_pending: int
    version: int
    created_at: datetime
    updated_at: datetime


# The valuation of a return's items (the refund breakdown as stored): computed by the
# service from the policy and the order, handed in so that the aggregate stays pure.
Valuation = Callable[[Sequence[Item]], dict[str, Any]]
