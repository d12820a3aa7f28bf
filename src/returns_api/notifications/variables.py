"""What a template sees: the return as the event carried it, its amounts formatted for the
customer's locale, and the signed links. Plain data (dicts, strings, one formatting
function): the sandbox gives templates nothing else to reach into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from returns_api.notifications.money import format_money


def template_variables(
    event_type: str, shown: Mapping[str, Any], *, locale: str, portal_url: str, public_url: str
) -> dict[str, Any]:
    """`shown` is the return as the event's `data.object` holds it (the API's view)."""
    currency = str(shown["currency"])

    def money(minor: int) -> str:
        return format_money(int(minor), currency, locale)

    refunds = [r for r in shown.get("refunds", []) if r.get("status", "succeeded") == "succeeded"]
    latest = refunds[-1] if refunds else None
    amounts = shown.get("amounts") or {}
    fulfillment = shown.get("exchange_fulfillment") or {}
    return {
        "event_type": event_type,
        "locale": locale,
        "ret": dict(shown),
        "rma_number": shown["rma_number"],
        "status": shown["status"],
        "items": [_item(item, money) for item in shown.get("items", [])],
        "amounts": {key: money(value) for key, value in amounts.items() if isinstance(value, int)},
        "refund": (
            {
                "amount": money(latest["amount"]),
                "method": latest["method"],
                "reference": latest.get("external_reference"),
            }
            if latest is not None
            else None
        ),
        "rejection_reason": _rejection_reason(shown),
        "instructions": shown.get("instructions"),
        "replacement_tracking_number": fulfillment.get("tracking_number"),
        "money": money,
        "portal_url": portal_url,
        **_document_links(shown, public_url),
    }


def _item(item: Mapping[str, Any], money: Callable[[int], str]) -> dict[str, Any]:
    return {
        "title": item["title"],
        "sku": item.get("sku"),
        "quantity": item["quantity"],
        "unit_price": money(item["unit_price"]),
        "reason": item["reason"],
        "resolution": item["resolution"],
    }


def _rejection_reason(shown: Mapping[str, Any]) -> str | None:
    """The note of the person who rejected it, or the policy's customer-facing message for a
    return rejected at once (never the rule, which is the merchant's)."""
    if shown["status"] != "rejected":
        return None
    for entry in reversed(shown.get("timeline", [])):
        if entry.get("to_status") == "rejected" and entry.get("kind") != "created":
            note = entry.get("note")
            return str(note) if note else None
    message = (shown.get("decision") or {}).get("message")
    return str(message) if message else None


def _document_links(shown: Mapping[str, Any], public_url: str) -> dict[str, Any]:
    """`label_url`: a label the merchant gave at approval (a page anyone can open).
    `label_document_url` / `qr_document_url`: the latest parcel's label and drop-off code as
    the API serves them; they answer to the return link's token as a Bearer credential (the
    portal page shows them), not to a bare click. `has_label`: either exists."""
    label = qr = None
    for shipment in shown.get("shipments", []):
        links = shipment.get("links") or {}
        if links.get("label"):
            label = public_url + links["label"]
        if links.get("qr_code"):
            qr = public_url + links["qr_code"]
    given = (shown.get("instructions") or {}).get("label_url")
    return {
        "label_url": given,
        "label_document_url": label,
        "qr_document_url": qr,
        "has_label": bool(given or label or qr),
    }
