"""Returns as the API shows them, from the aggregate (or a list's summary of one). No
queries here: callers load, this only maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, Final

from pydantic import BaseModel

from returns_api.core.messages import SOURCE_LOCALE, translate
from returns_api.policies.rules import Action
from returns_api.returns.domain import Return
from returns_api.returns.parcel_schemas import ShipmentOut
from returns_api.returns.parts import Item, ReturnSummary, Summary
from returns_api.returns.schemas import (
    CustomerDecision,
    DecisionOut,
    ReturnOut,
    ReturnPage,
)
from returns_api.returns.schemas import ReturnSummary as ReturnSummaryOut
from returns_api.returns.shipments import Shipment
from returns_api.returns.statutory_view import withdrawal_terms


def decision_message(action: Action, locale: str = SOURCE_LOCALE) -> str:
    """What the customer is told of a decision: the outcome in words, never why (the rule, its
    thresholds and the facts are the merchant's). Worded to fit a quote and a return alike."""
    return translate(f"decision.{action}", locale)


def _item(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "line_item_id": item.line_item_id,
        "sku": item.sku,
        "title": item.title,
        "quantity": item.quantity,
        "unit_price": item.unit_price,
        "reason": item.reason,
        "reason_is_merchant_fault": item.merchant_fault,
        "comment": item.comment,
        "resolution": item.resolution,
        "reception": {"status": item.reception_status, "received_quantity": item.received_quantity},
        "acceptance": {
            "status": item.acceptance_status,
            "accepted_quantity": item.accepted_quantity,
        },
        "condition": item.condition,
        "disposition": item.disposition,
        "deduction": item.deduction,
        "deduction_reason": item.deduction_reason,
        "exchange": {
            "variant_id": item.exchange_variant_id,
            "unit_price": item.exchange_unit_price,
            "tax": item.exchange_tax,
            "like_for_like": item.exchange_like_for_like,
        }
        if item.exchange_variant_id is not None
        else None,
    }


def _decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    rule_id = decision.get("matched_rule_id")
    return {
        "audience": "merchant",
        "action": decision["action"],
        "message": decision_message(decision["action"]),
        "policy_version": decision["policy_version"],
        "matched_rule": {"id": rule_id, "name": decision.get("matched_rule_name") or rule_id}
        if rule_id
        else None,
        "deciding_item": decision.get("deciding_item_key"),
        "trace": list(decision.get("trace", [])),
        "facts": dict(decision.get("facts", {})),
        "legal_basis": decision.get("legal_basis", "commercial_policy"),
        "statutory_override": decision.get("statutory_override"),
    }


def _money(ret: Summary) -> dict[str, int]:
    return {
        "refundable": ret.refundable_amount,
        "refunded": ret.refunded_amount - ret.refunds_pending,
        "pending": ret.refunds_pending,
        "remaining": max(0, ret.refundable_amount - ret.refunded_amount),
    }


def decision_out(decision: Mapping[str, Any], locale: str = SOURCE_LOCALE) -> DecisionOut:
    out = DecisionOut.model_validate(_decision(decision))
    if locale == SOURCE_LOCALE:
        return out
    return out.model_copy(update={"message": decision_message(decision["action"], locale)})


def customer_decision(action: Action, locale: str = SOURCE_LOCALE) -> CustomerDecision:
    return CustomerDecision(
        audience="customer", action=action, message=decision_message(action, locale)
    )


def for_customer(result: ReturnOut) -> ReturnOut:
    """The return as its customer (a portal token) sees it: the customer-facing decision, and
    the timeline's birth entry, whose note the service writes from the decision (it names the
    rule), told in the decision's message instead. A copy: nothing is validated again."""
    decision = customer_decision(result.decision.action)
    timeline = [
        entry.model_copy(update={"note": decision.message}) if entry.kind == "created" else entry
        for entry in result.timeline
    ]
    # The carrier's errors are the shop's to read, not the customer's.
    shipments = [s.model_copy(update={"last_error": None}) for s in result.shipments]
    timeline = [
        entry.model_copy(update={"data": None}) if entry.kind == "label_failed" else entry
        for entry in timeline
    ]
    return result.model_copy(
        update={"decision": decision, "timeline": timeline, "shipments": shipments}
    )


# The parts of a return that a view shapes; every other field of a view is the field of the
# same name of the return (or of a list's summary), shown as it is held. A field added to
# both the aggregate and its view is shown with no line here.
_SHAPED: Final = frozenset(
    {
        "items",
        "amounts",
        "instructions",
        "decision",
        "refunds",
        "timeline",
        "exchange_fulfillment",
        "exchange_payment",
        "exchange_hold",
        "shipments",
        "withdrawal",
    }
)


def _as_held(view: type[BaseModel], held: type[Any]) -> tuple[str, ...]:
    names = {f.name for f in fields(held)}
    return tuple(name for name in view.model_fields if name in names and name not in _SHAPED)


_RETURN_AS_HELD: Final = _as_held(ReturnOut, Return)
_SUMMARY_AS_HELD: Final = _as_held(ReturnSummaryOut, ReturnSummary)
_SHIPMENT_AS_HELD: Final = tuple(name for name in ShipmentOut.model_fields if name != "links")


def _summary(ret: ReturnSummary) -> dict[str, Any]:
    """What a list shows of a return."""
    return {
        **{name: getattr(ret, name) for name in _SUMMARY_AS_HELD},
        "items": [_item(item) for item in ret.items],
        "amounts": _money(ret),
    }


def return_out(ret: Return) -> ReturnOut:
    """The return as the API shows it. Built as plain data and validated in one call: one
    pass through pydantic's core instead of a model constructor per item and entry."""
    return ReturnOut.model_validate(
        {
            **{name: getattr(ret, name) for name in _RETURN_AS_HELD},
            "items": [_item(item) for item in ret.items],
            "amounts": _money(ret),
            "instructions": ret.instructions or None,
            "exchange_fulfillment": _fulfillment(ret),
            "exchange_payment": _payment(ret),
            "exchange_hold": _hold(ret),
            "withdrawal": withdrawal_terms(ret),
            "shipments": [_shipment(ret, s) for s in ret.shipments],
            "decision": _decision(ret.decision),
            "refunds": [
                {
                    "id": r.id,
                    "amount": r.amount,
                    "currency": r.currency,
                    "method": r.method,
                    "external_reference": r.external_reference,
                    "note": r.note,
                    "status": r.status,
                    "executor": r.executor,
                    "failure_reason": r.failure_reason,
                    "settled_at": r.settled_at,
                    "created_by": r.actor,
                    "created_at": r.created_at,
                }
                for r in ret.refunds
            ],
            "timeline": [
                {
                    "at": c.created_at,
                    "actor": c.actor,
                    "kind": c.kind,
                    "from_status": c.from_status,
                    "to_status": c.to_status,
                    "note": c.note,
                    "data": c.data,
                }
                for c in ret.timeline
            ],
        }
    )


def _fulfillment(ret: Return) -> dict[str, Any] | None:
    if ret.exchange_order_requested_at is None:
        return None
    return {
        "requested_at": ret.exchange_order_requested_at,
        "ship_to": ret.exchange_ship_to,
        "order_id": ret.exchange_order_id,
        "tracking_number": ret.exchange_tracking_number,
        "carrier": ret.exchange_carrier,
        "fulfilled_at": ret.exchange_fulfilled_at,
    }


def _shipment(ret: Return, shipment: Shipment) -> dict[str, Any]:
    base = f"/v1/returns/{ret.id}/shipments/{shipment.id}"
    created = shipment.label_state == "created"
    has_label = created and (shipment.has_label_pdf or shipment.label_url is not None)
    has_qr = created and (shipment.qr_payload is not None or shipment.qr_url is not None)
    # The label route answers with the PDF we hold before it redirects to the carrier's file.
    carrier_keeps_label = created and not shipment.has_label_pdf
    return {
        **{name: getattr(shipment, name) for name in _SHIPMENT_AS_HELD},
        "links": {
            "label": f"{base}/label" if has_label else None,
            "label_file": shipment.label_url if carrier_keeps_label else None,
            "qr_code": f"{base}/qr" if has_qr else None,
            # The QR route draws the code we hold before it redirects to the carrier's image.
            "qr_code_file": shipment.qr_url if created and shipment.qr_payload is None else None,
        },
    }


def _payment(ret: Return) -> dict[str, Any] | None:
    if ret.amount_due == 0 and ret.exchange_paid == 0:
        return None
    return {
        "amount_due": ret.amount_due,
        "paid": ret.exchange_paid,
        "outstanding": ret.outstanding,
        "due_at": ret.exchange_payment_due_at,
    }


def _hold(ret: Return) -> dict[str, Any] | None:
    if ret.exchange_hold_status is None:
        return None
    return {
        "amount": ret.exchange_hold_amount,
        "due_at": ret.exchange_hold_due_at,
        "status": ret.exchange_hold_status,
        "capture_amount": ret.exchange_hold_capture_amount,
        "captured": ret.exchange_hold_captured,
        "external_reference": ret.exchange_hold_reference,
    }


def page_out(page: Sequence[ReturnSummary], next_cursor: str | None) -> ReturnPage:
    """A page of returns with their items, validated in one call like `return_out`."""
    return ReturnPage.model_validate(
        {"data": [_summary(ret) for ret in page], "next_cursor": next_cursor}
    )
