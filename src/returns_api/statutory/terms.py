"""The policy's statutory terms: which profile applies, which product tags fall under an
Article 16 exception, and the delivery rule of a partial withdrawal."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

StatutoryProfile = TypeAliasType("StatutoryProfile", Literal["none", "EU"])
LegalBasis = TypeAliasType("LegalBasis", Literal["statutory_withdrawal", "commercial_policy"])
# Directive 2011/83/EU, Article 16: the exceptions that concern goods.
WithdrawalException = TypeAliasType(
    "WithdrawalException",
    Literal[
        "financial_market_price",
        "made_to_specification",
        "perishable",
        "sealed_hygiene",
        "inseparably_mixed",
        "alcohol_market_price",
        "sealed_media",
        "newspaper",
        "public_auction",
        "digital_content",
    ],
)
PartialWithdrawalDelivery = TypeAliasType(
    "PartialWithdrawalDelivery", Literal["not_refunded", "refunded"]
)
Tag = Annotated[str, Field(min_length=1, max_length=64)]


class StatutoryTerms(BaseModel):
    """Off (`none`) by default; `EU` gives consumers in the EU/EEA their 14-day right of
    withdrawal beside the policy (docs/withdrawal.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    profile: StatutoryProfile = Field(
        default="none",
        description="`EU`: orders shipped to an EU/EEA country whose buyer is a consumer get "
        "the statutory right of withdrawal (Directive 2011/83/EU, Articles 9-16).",
    )
    exception_tags: dict[Tag, WithdrawalException] = Field(
        default_factory=dict,
        max_length=200,
        description="The shop's own product tags that fall under an Article 16 exception, "
        "beside the exception codes themselves (a line tagged `perishable` is one already).",
    )
    partial_withdrawal_delivery: PartialWithdrawalDelivery = Field(
        default="not_refunded",
        description="What a withdrawal from part of an order does with the standard delivery "
        "paid: `not_refunded` (refunded once the whole order is withdrawn) or `refunded` (in "
        "full, with the first withdrawal). A whole-order withdrawal always refunds it.",
    )
