"""The scopes an API key can carry (DESIGN §7) and what each one implies."""

from __future__ import annotations

from typing import Literal, get_args

from typing_extensions import TypeAliasType

# A named alias: one enum schema in the OpenAPI document.
Scope = TypeAliasType(
    "Scope",
    Literal[
        "orders:write",
        "catalog:write",
        "returns:read",
        "returns:write",
        "returns:manage",
        "policy:manage",
        "webhooks:manage",
        "analytics:read",
        "refunds:write",
        "store_credit:read",
        "store_credit:write",
    ],
)
ALL_SCOPES: tuple[Scope, ...] = get_args(Scope.__value__)

# What each scope lets a key do (shown in the OpenAPI document's security scheme).
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "orders:write": "Sync orders from the commerce platform (and read them).",
    "catalog:write": "Sync the catalog's variants (what exchanges name) and read them.",
    "returns:read": "Read returns and quote them; read orders.",
    "returns:write": "Request and cancel returns (what a storefront does).",
    "returns:manage": "Approve, reject, track, inspect, refund and complete returns.",
    "policy:manage": "Publish, read, dry-run and backtest the return policy.",
    "webhooks:manage": "Manage webhook endpoints, deliveries and the event log.",
    "analytics:read": "Read return analytics.",
    "refunds:write": "Confirm refunds the platform carried out, and read the refunds list.",
    "store_credit:read": "Read customers' store-credit balances and ledgers.",
    "store_credit:write": "Spend customers' store credit (the platform, at checkout).",
}

# Whoever may create or manage returns may also read them; whoever spends store credit
# reads the balance it spends.
_IMPLIED: dict[str, frozenset[str]] = {
    "returns:write": frozenset({"returns:read"}),
    "returns:manage": frozenset({"returns:read"}),
    "store_credit:write": frozenset({"store_credit:read"}),
}


def effective_scopes(granted: frozenset[str]) -> frozenset[str]:
    implied = (_IMPLIED.get(scope, frozenset()) for scope in granted)
    return granted.union(*implied)
