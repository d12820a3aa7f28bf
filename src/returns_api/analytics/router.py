from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from returns_api.analytics import service
from returns_api.analytics.repository import Window
from returns_api.analytics.schemas import (
    AnalyticsSummary,
    ProductGrouping,
    ProductPage,
    ProductSort,
    ReasonReport,
)
from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.core.errors import Forbidden, Unauthorized, problems
from returns_api.core.money import Currency
from returns_api.core.routing import SessionDep, UnitOfWorkRoute
from returns_api.core.timestamps import Timestamp


@dataclass(frozen=True, slots=True)
class PeriodQuery:
    """`from`, `to` and `currency` as given; checked by the service, after authentication
    (a caller without a valid key gets its 401, not a 422 about the period)."""

    start: datetime | None
    end: datetime | None
    currency: str | None

    def window(self) -> Window:
        return service.window_of(self.start, self.end, self.currency)


router = APIRouter(prefix="/v1/analytics", tags=["Analytics"], route_class=UnitOfWorkRoute)
_PROBLEMS = problems(Unauthorized, Forbidden, service.InvalidPeriod, 422)


def period_query(
    start: Annotated[
        Timestamp | None,
        Query(alias="from", description="Start, included (default: 30 days before `to`)."),
    ] = None,
    end: Annotated[
        Timestamp | None, Query(alias="to", description="End, excluded (default: now).")
    ] = None,
    currency: Annotated[
        Currency | None, Query(description="Only this currency (default: all).")
    ] = None,
) -> PeriodQuery:
    return PeriodQuery(start, end, currency)


PeriodDep = Annotated[PeriodQuery, Depends(period_query)]


@router.get(
    "/summary",
    operation_id="getAnalyticsSummary",
    response_model=AnalyticsSummary,
    responses=_PROBLEMS,
)
async def get_analytics_summary(
    period: PeriodDep, session: SessionDep, caller: Caller = require("analytics:read")
) -> AnalyticsSummary:
    """Returns by status, auto-approval rate, backlog, timings, refunds, exchanges, return rate,
    ratings."""
    return await service.summary(session, period.window())


@router.get(
    "/reasons",
    operation_id="getReturnReasons",
    response_model=ReasonReport,
    responses=_PROBLEMS,
)
async def get_return_reasons(
    period: PeriodDep, session: SessionDep, caller: Caller = require("analytics:read")
) -> ReasonReport:
    """Why things come back: per reason, returns, units, value and merchant-fault share."""
    return await service.reasons(session, period.window())


@router.get(
    "/products",
    operation_id="listProductReturnStats",
    response_model=ProductPage,
    responses={**_PROBLEMS, **problems(service.InvalidProductQuery)},
)
async def list_product_return_stats(
    period: PeriodDep,
    session: SessionDep,
    group_by: Annotated[ProductGrouping, Query(description="Per SKU or per product.")] = "sku",
    sort: Annotated[
        ProductSort, Query(description="A column; `-` first for largest first.")
    ] = "-units_returned",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    caller: Caller = require("analytics:read"),
) -> ProductPage:
    """Per SKU (or product): units sold and returned, return rate, refunds, top reasons."""
    return await service.products(
        session, period.window(), group_by=group_by, sort=sort, cursor=cursor, limit=limit
    )
