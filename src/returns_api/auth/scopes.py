"""The scopes an API key can carry (DESIGN §7) and what each one implies."""

from __future__ import annotations

from typing import Literal, get_args

Scope = Literal[
    "orders:write",
    "returns:read",
    "returns:write",
    "returns:manage",
    "policy:manage",
    "webhooks:manage",
    "analytics:read",
]
ALL_SCOPES: tuple[Scope, ...] = get_args(Scope)

# Whoever may create or manage returns may also read them.
_IMPLIED: dict[str, frozenset[str]] = {
    "returns:write": frozenset({"returns:read"}),
    "returns:manage": frozenset({"returns:read"}),
}


def effective_scopes(granted: frozenset[str]) -> frozenset[str]:
    implied = (_IMPLIED.get(scope, frozenset()) for scope in granted)
    return granted.union(*implied)
