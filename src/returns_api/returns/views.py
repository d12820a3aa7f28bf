"""Stored rows to the API's shapes. No queries here: callers load, this only maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from returns_api.core.db import Row
from returns_api.returns.schemas import (
    Acceptance,
    DecisionOut,
    Instructions,
    MatchedRule,
    Money,
    Reception,
    RefundBreakdownOut,
    RefundOut,
    ReturnItemOut,
    ReturnOut,
    ReturnSummary,
    TimelineEntry,
)


def item_out(item: Row) -> ReturnItemOut:
    return ReturnItemOut(
        id=item["id"],
        line_item_id=item["line_item_id"],
        sku=item["sku"],
        title=item["title"],
        quantity=item["quantity"],
        unit_price=item["unit_price"],
        reason=item["reason"],
        reason_is_merchant_fault=item["merchant_fault"],
        comment=item["comment"],
        resolution=item["resolution"],
        reception=Reception(
            status=item["reception_status"], received_quantity=item["received_quantity"]
        ),
        acceptance=Acceptance(
            status=item["acceptance_status"], accepted_quantity=item["accepted_quantity"]
        ),
        condition=item["condition"],
        disposition=item["disposition"],
    )


def decision_out(decision: Mapping[str, Any]) -> DecisionOut:
    rule_id = decision.get("matched_rule_id")
    return DecisionOut(
        policy_version=decision["policy_version"],
        action=decision["action"],
        matched_rule=MatchedRule(id=rule_id, name=decision.get("matched_rule_name") or rule_id)
        if rule_id
        else None,
        deciding_item=decision.get("deciding_item_key"),
        trace=list(decision.get("trace", [])),
        facts=dict(decision.get("facts", {})),
    )


def money_out(row: Row) -> Money:
    refundable, refunded = int(row["refundable_amount"]), int(row["refunded_amount"])
    return Money(refundable=refundable, refunded=refunded, remaining=max(0, refundable - refunded))


def return_out(
    row: Row,
    items: Sequence[Row],
    refunds: Sequence[Row],
    timeline: Sequence[Row],
) -> ReturnOut:
    return ReturnOut(
        id=row["id"],
        rma_number=row["rma_number"],
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        status=row["status"],
        currency=row["currency"],
        return_method=row["return_method"],
        keep_item=row["keep_item"],
        instructions=Instructions.model_validate(row["instructions"])
        if row["instructions"]
        else None,
        items=[item_out(item) for item in items],
        decision=decision_out(row["decision"]),
        refund_breakdown=RefundBreakdownOut.model_validate(row["refund_breakdown"]),
        amounts=money_out(row),
        refunds=[
            RefundOut(
                id=r["id"],
                amount=r["amount"],
                currency=r["currency"],
                method=r["method"],
                external_reference=r["external_reference"],
                note=r["note"],
                created_by=r["actor"],
                created_at=r["created_at"],
            )
            for r in refunds
        ],
        timeline=[
            TimelineEntry(
                at=c["created_at"],
                actor=c["actor"],
                kind=c["kind"],
                from_status=c["from_status"],
                to_status=c["to_status"],
                note=c["note"],
                data=c["data"],
            )
            for c in timeline
        ],
        version=row["version"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def summary_out(row: Row, items: Sequence[Row]) -> ReturnSummary:
    return ReturnSummary(
        id=row["id"],
        rma_number=row["rma_number"],
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        status=row["status"],
        currency=row["currency"],
        keep_item=row["keep_item"],
        items=[item_out(item) for item in items],
        amounts=money_out(row),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
