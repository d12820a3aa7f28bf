from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.catalog import service
from returns_api.catalog.exceptions import VariantNotFound
from returns_api.catalog.schemas import VariantOut, VariantPage, VariantUpsert
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.orders.schemas import ExternalId

router = APIRouter(prefix="/v1/variants", tags=["Catalog"], route_class=UnitOfWorkRoute)
_ID_PATTERN = r"^[A-Za-z0-9._:\-]+$"
VariantId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=_ID_PATTERN, examples=["var_tshirt_l"])
]


@router.put(
    "/{variant_id}",
    operation_id="upsertVariant",
    response_model=VariantOut,
    responses={
        201: {"model": VariantOut, "description": "Created"},
        **problems(Unauthorized, Forbidden, 422),
    },
)
async def upsert_variant(
    variant_id: VariantId,
    body: VariantUpsert,
    response: Response,
    session: SessionDep,
    caller: Caller = require("catalog:write"),
) -> VariantOut:
    """Create or replace a variant (idempotent): 201 when new, 200 when updated.

    Send it whenever its price, stock or state changes. Exchanges take the new item's price
    from here, in the order's currency, never from the request.
    """
    variant, created = await service.upsert_variant(session, variant_id, body)
    response.status_code = 201 if created else 200
    return variant


@router.get(
    "/{variant_id}",
    operation_id="getVariant",
    response_model=VariantOut,
    responses=problems(Unauthorized, Forbidden, VariantNotFound),
)
async def get_variant(
    variant_id: VariantId,
    session: SessionDep,
    caller: Caller = require("returns:read", "catalog:write"),
) -> VariantOut:
    """Read a variant. A portal token reads only active variants it could exchange for."""
    return await service.get_variant(session, caller, variant_id)


@router.get(
    "",
    operation_id="listVariants",
    response_model=VariantPage,
    responses=problems(Unauthorized, Forbidden, 422),
)
async def list_variants(
    session: SessionDep,
    product_id: Annotated[
        list[ExternalId] | None,
        Query(max_length=50, description="Only these products' variants (repeatable)."),
    ] = None,
    active: Annotated[bool | None, Query()] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=64, pattern=_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    caller: Caller = require("returns:read", "catalog:write"),
) -> VariantPage:
    """List variants by id, filtered by product and state.

    A portal token gets the active variants of the products on its order (of every product
    when the policy's `exchanges.any_product` is on): what it may choose from for an exchange.
    """
    return await service.list_variants(
        session, caller, product_ids=product_id or [], active=active, cursor=cursor, limit=limit
    )
