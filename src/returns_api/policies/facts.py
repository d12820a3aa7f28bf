"""Facts as stored with each decision, so a decision can be explained and replayed later
(backtests judge past returns on the facts they had at the time, not today's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returns_api.policies.engine import FactValue, ItemFacts, ReturnFacts


def facts_to_json(facts: ReturnFacts) -> dict[str, Any]:
    return {
        "return": {name: _plain(value) for name, value in facts.values.items()},
        "items": [
            {"key": item.key, "values": {n: _plain(v) for n, v in item.values.items()}}
            for item in facts.items
        ],
    }


def facts_from_json(data: Mapping[str, Any]) -> ReturnFacts:
    return ReturnFacts(
        values=dict(data.get("return", {})),
        items=[
            ItemFacts(key=str(item["key"]), values=dict(item["values"]))
            for item in data.get("items", [])
        ],
    )


def _plain(value: FactValue) -> Any:
    return value if isinstance(value, bool | int | str) else list(value)
