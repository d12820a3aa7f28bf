from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.core.settings import SettingsDep
from returns_api.orders import service
from returns_api.orders.exceptions import LineStillReturned, OrderNotFound, OrderNumberTaken
from returns_api.orders.schemas import OrderOut, OrderUpsert

router = APIRouter(prefix="/v1/orders", tags=["Orders"], route_class=UnitOfWorkRoute)
OrderId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$", examples=["ord_1001"])
]


@router.put(
    "/{order_id}",
    operation_id="upsertOrder",
    response_model=OrderOut,
    responses={
        201: {"model": OrderOut, "description": "Created"},
        **problems(Unauthorized, Forbidden, OrderNumberTaken, LineStillReturned, 422),
    },
)
async def upsert_order(
    order_id: OrderId,
    body: OrderUpsert,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: Caller = require("orders:write"),
) -> OrderOut:
    """Create or replace an order (idempotent): 201 when new, 200 when updated.

    Send the order whenever it changes (delivery, fulfilment); money is in minor units of its
    currency. A line that returns hold (refunded ones included) may grow, but a re-sync may
    not drop it, shrink it or change its `unit_price`, `discount` or `tax`, nor the order's
    `currency` (409 `line-still-returned`, each field named); nor may it reuse another
    order's number (409 `order-number-taken`).
    """
    order, created = await service.upsert_order(
        session,
        order_id,
        body,
        transit_buffer_days=settings.return_transit_buffer_days,
        default_locale=settings.default_locale,
    )
    response.status_code = 201 if created else 200
    return order


@router.get(
    "/{order_id}",
    operation_id="getOrder",
    response_model=OrderOut,
    responses=problems(Unauthorized, Forbidden, OrderNotFound),
)
async def get_order(
    order_id: OrderId,
    session: SessionDep,
    settings: SettingsDep,
    caller: Caller = require("returns:read", "orders:write"),
) -> OrderOut:
    """Read an order with, per line, what can still be returned and until when."""
    return await service.get_order(
        session, caller, order_id, transit_buffer_days=settings.return_transit_buffer_days
    )
