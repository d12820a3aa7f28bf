"""A customer's store credit: read by the merchant, spent by the platform at checkout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.cursors import IdCursor
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.http import IdempotencyKeyHeader
from returns_api.core.idempotency import KeyInFlight, KeyReused
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.store_credit import service
from returns_api.store_credit.exceptions import (
    CustomerNotFound,
    InsufficientStoreCredit,
    StoreCreditSpendMismatch,
)
from returns_api.store_credit.schemas import SpendIn, SpendOut, StoreCreditOut

router = APIRouter(prefix="/v1/customers", tags=["Store credit"], route_class=UnitOfWorkRoute)

# `:path`: an address may hold a `/` (sent as `%2F`, which the server decodes before routing).
CustomerKey = Annotated[
    str,
    Path(
        description="The customer's id, as orders name it; for a customer without one (a "
        "guest), `email:` and the e-mail address of the orders, URL-encoded "
        "(`email%3Aada%40example.com`; compared in lower case).",
        examples=["cus_42"],
    ),
]


@router.get(
    "/{customer_id:path}/store-credit",
    operation_id="getStoreCredit",
    response_model=StoreCreditOut,
    responses=problems(Unauthorized, Forbidden, CustomerNotFound, 422),
)
async def get_store_credit(
    customer_id: CustomerKey,
    session: SessionDep,
    cursor: IdCursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    caller: Caller = require("store_credit:read"),
) -> StoreCreditOut:
    """Read a customer's store credit: the balance per currency and the ledger, newest first.

    Needs `store_credit:read` (`store_credit:write` includes it). Refunds by the
    `store_credit` method credit it; spends take from it. `entries` is a page of the ledger:
    follow `next_cursor` for older ones. A customer with no credit has no balances (200); a
    key that can name no customer is a 404 `customer-not-found`.
    """
    return await service.read_ledger(session, customer_id, cursor, limit)


@router.post(
    "/{customer_id:path}/store-credit/spends",
    operation_id="spendStoreCredit",
    status_code=201,
    response_model=SpendOut,
    responses={
        200: {"model": SpendOut, "description": "This `external_reference` was spent before."},
        **problems(
            Unauthorized,
            Forbidden,
            CustomerNotFound,
            InsufficientStoreCredit,
            StoreCreditSpendMismatch,
            KeyInFlight,
            KeyReused,
            422,
        ),
    },
)
async def spend_store_credit(
    customer_id: CustomerKey,
    body: SpendIn,
    response: Response,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
    caller: Caller = require("store_credit:write"),
) -> SpendOut:
    """Spend a customer's store credit at checkout; never more than the balance.

    Needs `store_credit:write` (the platform). Answers the spend and the balance it left
    (201). The same `external_reference` again is the same spend: the first one is answered
    (200) and nothing changes; with another amount or currency it is a 409
    `store-credit-spend-mismatch`. More than the balance is a 409 `insufficient-store-credit`
    whose `balance` says what there is; nothing is taken. Concurrent spends of one balance
    are judged one after the other.
    """
    result, new = await service.spend(session, caller, customer_id, body)
    if not new:
        response.status_code = 200
    return result
