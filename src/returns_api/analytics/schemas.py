"""What the analytics endpoints answer. Money is integer minor units with its currency;
rates are integer basis points (1 % = 100 bps), so every figure is exact and the same on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from returns_api.policies.resolutions import Resolution
from returns_api.returns.refund_schemas import RefundMethod
from returns_api.returns.status import ReturnStatus


class Period(BaseModel):
    start: datetime = Field(description="Included (`from`).")
    end: datetime = Field(description="Excluded (`to`).")
    currency: str | None = Field(description="Only figures in this currency; null for all.")


class Amount(BaseModel):
    currency: str = Field(examples=["EUR"])
    amount: int = Field(description="Minor units.", examples=[125_000])


class ReturnCounts(BaseModel):
    total: int = Field(description="Returns requested in the period.")
    by_status: dict[ReturnStatus, int] = Field(description="Their status now.")


class Decisions(BaseModel):
    decided: int = Field(
        description="Returns of the period that were approved or rejected, by the policy "
        "at once or later by a person (cancelled while waiting for review: not decided)."
    )
    auto_approved: int = Field(
        description="Approved by the policy when requested (a rule or the default action), "
        "keep-the-item approvals included."
    )
    auto_approved_keep_item: int = Field(description="Of those, approved as keep-the-item.")
    auto_approval_rate_bps: int = Field(description="auto_approved / decided.")


class Durations(BaseModel):
    """Whole seconds. Nearest-rank percentiles: always a real observed value."""

    count: int = Field(description="Returns of the period that got this far.")
    median_seconds: int | None
    p90_seconds: int | None
    max_seconds: int | None


class Timings(BaseModel):
    request_to_approval: Durations = Field(
        description="From the request to the approval (0 when the policy approved at once)."
    )
    request_to_receipt: Durations = Field(description="From the request to the inspection.")
    request_to_refund: Durations = Field(description="From the request to the first refund.")


class ReviewBacklog(BaseModel):
    """Returns waiting for a person now (whatever the period), and how long they have
    waited, in whole seconds (nearest-rank percentiles)."""

    count: int
    median_age_seconds: int | None
    p90_age_seconds: int | None
    oldest_age_seconds: int | None


class RefundedAmount(BaseModel):
    currency: str = Field(examples=["EUR"])
    method: RefundMethod
    amount: int = Field(description="Minor units refunded in the period.")
    refunds: int = Field(description="How many refunds.")


class ResolutionMix(BaseModel):
    """How the returns of the period that still count (not rejected, cancelled or expired)
    are resolved, in one currency: the revenue exchanges keep against what goes back as
    money or store credit."""

    currency: str = Field(examples=["EUR"])
    returns: int = Field(description="Returns requested in the period that still count.")
    exchange_returns: int = Field(description="Of those, returns with an item to exchange.")
    exchange_share_bps: int = Field(description="exchange_returns / returns.")
    value_by_resolution: dict[Resolution, int] = Field(
        description="Minor units, per resolution the items ask for: what was paid for the "
        "units the return's breakdown values (the accepted ones once inspected), discount "
        "and tax shares included, before fees and bonuses. `exchange` is revenue kept; "
        "`refund` goes back to the original payment; `store_credit` stays as credit."
    )


class ReturnRate(BaseModel):
    units_sold: int = Field(description="Units of the orders placed in the period.")
    units_returned: int = Field(
        description="Units of those orders in returns that still count (not rejected, "
        "cancelled or expired)."
    )
    rate_bps: int


class FeedbackSummary(BaseModel):
    count: int = Field(description="Ratings left in the period.")
    average_rating: float | None = Field(description="Rounded to 2 decimals.", examples=[4.25])
    by_rating: dict[int, int] = Field(description="How many of each rating, 1 to 5.")


class AnalyticsSummary(BaseModel):
    """How returns and the policy perform in a period (`from` included, `to` excluded)."""

    period: Period
    returns: ReturnCounts
    decisions: Decisions
    timings: Timings
    review_backlog: ReviewBacklog
    refunded: list[RefundedAmount] = Field(description="Refunds recorded in the period.")
    resolutions: list[ResolutionMix] = Field(
        description="Per currency: the value of the period's returns by resolution and the "
        "share of returns resolved by exchange."
    )
    return_rate: ReturnRate
    feedback: FeedbackSummary
    refunds_overdue: int = Field(
        default=0,
        description="Statutory withdrawals not refunded by their `refund_due_by` and still "
        "owed something, now (`return.refund_overdue`; not limited to the period).",
    )


class ReasonStats(BaseModel):
    reason: str = Field(examples=["size_fit"])
    label: str | None = Field(description="From the current policy; null for an old code.")
    returns: int = Field(description="Returns with at least one item for this reason.")
    units: int
    value: list[Amount] = Field(description="Units x unit price, per currency.")
    share_bps: int = Field(description="This reason's units / all units returned.")
    merchant_fault_share_bps: int = Field(
        description="Units whose reason was the merchant's fault when they were returned."
    )


class ReasonTotals(BaseModel):
    returns: int
    units: int
    value: list[Amount]
    merchant_fault_share_bps: int


class ReasonReport(BaseModel):
    """Why things come back: returns requested in the period that still count (not
    rejected, cancelled or expired), per reason, most units first."""

    period: Period
    data: list[ReasonStats]
    totals: ReasonTotals


class ReasonUnits(BaseModel):
    reason: str
    units: int


class ProductStats(BaseModel):
    sku: str | None = Field(description="The SKU (null when grouping by product).")
    product_id: str | None
    units_sold: int
    units_returned: int
    return_rate_bps: int
    refunded: list[Amount] = Field(
        description="Refunds of these units: each return's refunds shared among its items "
        "in proportion to their value."
    )
    top_reasons: list[ReasonUnits] = Field(description="Up to 3, most units first.")


class ProductPage(BaseModel):
    """Per SKU (or product): orders placed in the period, and how many of their units came
    back (returns that still count)."""

    period: Period
    data: list[ProductStats]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


# Named aliases: one enum schema each in the OpenAPI document (and in generated clients).
ProductSort = TypeAliasType(
    "ProductSort",
    Literal[
        "units_sold",
        "-units_sold",
        "units_returned",
        "-units_returned",
        "return_rate",
        "-return_rate",
        "refunded",
        "-refunded",
    ],
)
ProductGrouping = TypeAliasType("ProductGrouping", Literal["sku", "product"])
