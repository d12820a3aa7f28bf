"""Example data moved to the present: the committed examples carry fixed dates (the OpenAPI
drift test compares them), but whatever *sends* them must not depend on today's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

ORDER_DATES = ("placed_at", "fulfilled_at", "delivered_at")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def recent_order(order: dict[str, Any], *, delivered_days_ago: float = 2) -> dict[str, Any]:
    """The order with its dates shifted together so that it was delivered
    `delivered_days_ago` days before now (the gaps between its dates are kept)."""
    delivered = _parse(order["delivered_at"])
    shift = datetime.now(UTC) - timedelta(days=delivered_days_ago) - delivered
    moved = {
        field: (_parse(order[field]) + shift).strftime("%Y-%m-%dT%H:%M:%SZ")
        for field in ORDER_DATES
        if order.get(field)
    }
    return {**order, **moved}


def raise_with_problem(response: httpx.Response) -> httpx.Response:
    """`raise_for_status`, but the error names the problem body that says why."""
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} answered {response.status_code}:"
            f"\n{response.text}"
        )
    return response
