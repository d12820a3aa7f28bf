"""Inspection: what the warehouse found per item, turned into each item's two tracks
(reception and acceptance). Pure; `Return.receive` applies it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from returns_api.core.errors import FieldError
from returns_api.returns.exceptions import InvalidInspection
from returns_api.returns.parts import Item


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the warehouse found for one item, named by item id or by order line."""

    received_quantity: int
    item_id: uuid.UUID | None = None
    line_item_id: str | None = None
    accepted_quantity: int | None = None  # defaults to the units received
    condition: str | None = None
    disposition: str | None = None
    wrong_item: bool = False
    deduction: int = 0  # diminished value, with its reason (Article 14(2))
    deduction_reason: str | None = None


_MISSING: Final[dict[str, Any]] = {
    "reception_status": "missing",
    "received_quantity": 0,
    "acceptance_status": "rejected",
    "accepted_quantity": 0,
    "condition": None,
    "disposition": None,
}


def inspect(
    items: Sequence[Item], inspections: Sequence[Inspection]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The two tracks of each item after inspection; items not in the parcel are missing."""
    by_id = {item.id: item for item in items}
    by_line = {item.line_item_id: item for item in items}
    errors: list[FieldError] = []
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for index, entry in enumerate(inspections):
        where = f"body.items.{index}"
        item = by_id.get(entry.item_id) if entry.item_id else by_line.get(entry.line_item_id or "")
        if item is None:
            errors.append(FieldError(location=where, message="no such item in this return"))
            continue
        if item.id in found:
            errors.append(FieldError(location=where, message="item listed twice"))
            continue
        if entry.received_quantity > item.quantity:
            errors.append(
                FieldError(
                    location=f"{where}.received_quantity",
                    message=f"only {item.quantity} unit(s) were in this return",
                )
            )
            continue
        accepted = 0 if entry.wrong_item else entry.accepted_quantity
        accepted = entry.received_quantity if accepted is None else accepted
        if entry.wrong_item:
            reception = "wrong_item"
        elif entry.received_quantity == item.quantity:
            reception = "received"
        elif entry.received_quantity > 0:
            reception = "partially_received"
        else:
            reception = "missing"
        found[item.id] = {
            "reception_status": reception,
            "received_quantity": entry.received_quantity,
            "acceptance_status": "accepted" if accepted > 0 else "rejected",
            "accepted_quantity": accepted,
            "condition": entry.condition,
            "disposition": entry.disposition,
        }
        if entry.deduction and accepted > 0:  # only then: the timeline shows what was found
            found[item.id] |= {
                "deduction": entry.deduction,
                "deduction_reason": entry.deduction_reason,
            }
    if errors:
        raise InvalidInspection("The inspection does not match the return.", errors=errors)
    return {item.id: found.get(item.id, _MISSING) for item in items}


def restocked(
    items: Sequence[Item], inspected: Mapping[uuid.UUID, Mapping[str, Any]], warehouse: str | None
) -> list[dict[str, Any]]:
    """The accepted units an inspection (`inspect`) puts back on the shelf (disposition
    `restock`): what `return.items_restocked` tells the platform or WMS to add to stock."""
    return [
        {
            "item_id": str(item.id),
            "line_item_id": item.line_item_id,
            "sku": item.sku,
            "quantity": values["accepted_quantity"],
            "warehouse": warehouse,
        }
        for item in items
        if (values := inspected[item.id])["disposition"] == "restock"
        and values["accepted_quantity"] > 0
    ]
