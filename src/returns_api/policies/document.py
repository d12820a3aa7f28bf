"""The policy document: the customer-facing terms, the reasons, and the auto-accept rules.

Stored as JSON, one immutable row per version. Every field has a sensible default, so the
default policy of a fresh install is ``PolicyDocument()``: 30 days, merchant-fault reasons
waive fees, every return goes to a person for review.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from returns_api.core.locale import Locale, canonical_case
from returns_api.core.messages import CATALOGUE_LOCALES, SOURCE_LOCALE, catalogue
from returns_api.policies.resolutions import RESOLUTIONS, FallbackResolution, Resolution
from returns_api.policies.return_methods import Code, ReturnMethod, Warehouse
from returns_api.policies.rules import Action, Rule, RuleSet
from returns_api.statutory.terms import StatutoryTerms

BasisPoints = Annotated[int, Field(ge=0, le=10_000)]
ReasonLabel = Annotated[str, Field(min_length=1, max_length=200)]
MinorUnits = Annotated[int, Field(ge=0, le=10**12)]


class ReturnReason(BaseModel):
    """Why a customer returns something; merchant-fault reasons waive customer-paid fees.

    `code` is stable (rules, analytics and returns name it); `label` and `labels` are what
    customers read, and may change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    label: str = Field(
        min_length=1,
        max_length=200,
        description="The name shown when no entry of `labels` suits the customer's language.",
    )
    labels: dict[Locale, ReasonLabel] = Field(
        default_factory=dict,
        max_length=50,
        description='The name per language (BCP 47 tag to name), e.g. `{"fr-FR": "Mauvaise '
        'taille"}`. Tags are kept in canonical case; one entry per tag. A customer reading '
        "`de-AT` gets the `de-AT` entry, else `de`, else another region's German (`de-DE`), "
        "else `label`.",
        # A key that is not a language tag is refused: say so in the schema too (pydantic
        # writes the tag pattern as `patternProperties`, which alone lets other keys through).
        json_schema_extra={"additionalProperties": False},
    )
    merchant_fault: StrictBool = False

    @field_validator("labels", mode="before")
    @classmethod
    def _one_name_per_language(cls, labels: Any) -> Any:
        """`de-de` and `de-DE` are one tag: two names for it are refused, not one dropped."""
        if isinstance(labels, Mapping):
            seen: dict[str, str] = {}
            for tag in labels:
                if isinstance(tag, str) and tag.lower() in seen:
                    raise ValueError(
                        f"the language {canonical_case(tag)!r} is named twice "
                        f"({seen[tag.lower()]!r} and {tag!r}); give one name per language"
                    )
                if isinstance(tag, str):
                    seen[tag.lower()] = tag
        return labels


def _reason(code: str, merchant_fault: bool) -> ReturnReason:
    """A default reason, named in every language the service ships messages in (the
    catalogues' `reason.<code>`; `label` is the English)."""
    labels = {language: catalogue(language)[f"reason.{code}"] for language in CATALOGUE_LOCALES}
    return ReturnReason(
        code=code, label=labels[SOURCE_LOCALE], labels=labels, merchant_fault=merchant_fault
    )


DEFAULT_REASONS = (
    _reason("damaged", True),
    _reason("defective", True),
    _reason("wrong_item", True),
    _reason("not_as_described", True),
    _reason("late_delivery", True),
    _reason("poor_quality", False),
    _reason("size_fit", False),
    _reason("changed_mind", False),
)
# The reason of a statutory withdrawal, which needs none (Directive 2011/83/EU, Article 9(1)):
# known to every policy with a statutory profile, whatever its own reasons.
WITHDRAWAL_REASON = ReturnReason(
    code="withdrawal", label="Withdrawal from the contract (no reason needed)"
)
DEFAULT_METHODS = (
    ReturnMethod(
        code="mail",
        label="Send it back by post",
        kind="prepaid_label",
        paid_by="merchant",
        instructions="Pack the items, attach the label you receive and drop the parcel at "
        "any post office. Write the RMA number on the parcel.",
    ),
    ReturnMethod(
        code="drop_off",
        label="Drop off in a store",
        kind="in_store",
        instructions="Bring the items and the RMA number to any of our stores.",
    ),
)


class ExchangeTerms(BaseModel):
    """How exchanges may be made (grows with the exchange work: bonus, deadlines, holds)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    any_product: bool = Field(
        default=False,
        description="An exchange may name a variant of any product, not only of the returned "
        "item's (a shop-now exchange); customers then see every active variant.",
    )
    bonus_bps: BasisPoints = Field(
        default=0,
        description="Added to what exchanged items are worth (their credit): basis points of "
        "their refund totals, rounded half up. Keeps the revenue: the customer gets more by "
        "exchanging than by a refund.",
    )
    payment_deadline_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="Days the customer has to pay what an exchange costs more "
        "(`return.exchange_payment_requested`) before it falls back to `fallback_resolution`.",
    )
    instant: bool = Field(
        default=False,
        description="Customers may ask for an instant exchange (`instant_exchange` on the "
        "request): the new items are ordered at approval, before the old ones are back, "
        "against a hold on the customer's card (`exchange_hold` on the return).",
    )
    hold_deadline_days: int = Field(
        default=14,
        ge=1,
        le=90,
        description="Days from approval for an instant exchange's parcel to be in transit; "
        "after that the hold is to be charged (`return.exchange_hold_capture_requested`).",
    )
    fallback_resolution: FallbackResolution = Field(
        default="store_credit",
        description="What an exchange left unpaid past its deadline becomes: its items are "
        "valued again with this resolution and their reserved stock is released.",
    )

    def granted(self, grant: Mapping[str, Any] | None) -> ExchangeTerms:
        """These terms as a rule's `exchange` grant (`rules.ExchangeGrant`, stored on the
        decision as `exchange_grant`) sets them for one return."""
        if not grant:
            return self
        update = {name: value for name, value in grant.items() if name != "same_product_only"}
        if grant.get("same_product_only") is not None:
            update["any_product"] = not grant["same_product_only"]
        return self.model_copy(update=update)


class PolicyDocument(BaseModel):
    """One version of the return policy. Money amounts are minor units of the order currency."""

    # strict: `false` or "30" is not a number of days (JSON Schema says integer; so do we).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    window_days: int = Field(default=30, ge=0, le=3650, description="Days from delivery.")
    category_windows: dict[str, Annotated[int, Field(ge=0, le=3650)]] = Field(
        default_factory=dict, description="Per-category return windows, in days."
    )
    non_returnable_tags: list[str] = Field(default_factory=list, max_length=200)
    restocking_fee_bps: BasisPoints = 0
    return_shipping_fee: MinorUnits = 0
    store_credit_bonus_bps: BasisPoints = 0
    allowed_resolutions: list[Resolution] = Field(
        default_factory=lambda: list(RESOLUTIONS), min_length=1
    )
    ship_within_days: int = Field(default=14, ge=1, le=365)
    history_window_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="How far back the customer_* facts (the serial-returner signal) look.",
    )
    return_methods: list[ReturnMethod] = Field(
        default_factory=lambda: list(DEFAULT_METHODS), min_length=1, max_length=20
    )
    reasons: list[ReturnReason] = Field(
        default_factory=lambda: list(DEFAULT_REASONS), min_length=1, max_length=100
    )
    warehouses: list[Warehouse] = Field(
        default_factory=list,
        max_length=50,
        description="Where returns are sent: the first warehouse whose `countries` name the "
        "order's shipping country (`order.country`), else the first that names none (the "
        "default), else the first. None: the quote shows no return address.",
    )
    exchanges: ExchangeTerms = Field(default_factory=ExchangeTerms)
    rules: list[Rule] = Field(default_factory=list)
    default_action: Action = "review"
    statutory: StatutoryTerms = Field(
        default_factory=StatutoryTerms,
        description="The statutory right of withdrawal beside these terms (off by default); "
        "see docs/withdrawal.md.",
    )

    @field_validator("warehouses")
    @classmethod
    def _warehouses_are_distinct(cls, warehouses: list[Warehouse]) -> list[Warehouse]:
        codes = [w.code for w in warehouses]
        if len(codes) != len(set(codes)):
            raise ValueError("warehouse codes must be unique")
        countries = [country for w in warehouses for country in w.countries]
        if len(countries) != len(set(countries)):
            raise ValueError("a country may be named by one warehouse only")
        return warehouses

    @model_validator(mode="after")
    def _codes_are_unique(self) -> PolicyDocument:
        for name, codes in (
            ("reasons", [r.code for r in self.reasons]),
            ("return_methods", [m.code for m in self.return_methods]),
        ):
            if len(codes) != len(set(codes)):
                raise ValueError(f"{name} codes must be unique")
        RuleSet(rules=self.rules, default_action=self.default_action)  # rule-level checks
        return self

    @cached_property
    def uses_customer_history(self) -> bool:
        """Whether any rule looks at customer_* facts (their query is skipped otherwise)."""
        return any(
            condition.fact.startswith("customer_")
            for rule in self.rules
            for condition in rule.conditions
        )

    def for_decision(self, decision: Mapping[str, Any]) -> PolicyDocument:
        """This policy with the exchange terms a return's decision was granted (§ rules)."""
        grant = decision.get("exchange_grant")
        if not grant:
            return self
        return self.model_copy(update={"exchanges": self.exchanges.granted(grant)})

    @cached_property
    def exchange_ceiling(self) -> ExchangeTerms:
        """The most any rule may grant: what a request is checked against before the rules
        decide (and against the terms granted after)."""
        grants = [rule.exchange for rule in self.rules if rule.exchange is not None]
        return self.exchanges.model_copy(
            update={
                "instant": self.exchanges.instant or any(g.instant for g in grants),
                "any_product": self.exchanges.any_product
                or any(g.same_product_only is False for g in grants),
            }
        )

    @cached_property
    def rule_set(self) -> RuleSet:
        return RuleSet(rules=self.rules, default_action=self.default_action)

    @cached_property
    def reasons_by_code(self) -> dict[str, ReturnReason]:
        found = {reason.code: reason for reason in self.reasons}
        if self.statutory.profile != "none":
            found.setdefault(WITHDRAWAL_REASON.code, WITHDRAWAL_REASON)
        return found

    @cached_property
    def methods_by_code(self) -> dict[str, ReturnMethod]:
        return {method.code: method for method in self.return_methods}

    def return_shipping_fee_for(self, method_code: str) -> int:
        """The return-shipping fee of a return by this method: the method's own fee when it
        has one, else the policy-wide `return_shipping_fee` (also for an unknown method)."""
        method = self.methods_by_code.get(method_code)
        if method is None or method.fee is None:
            return self.return_shipping_fee
        return method.fee

    def warehouse_for(self, country: str | None) -> Warehouse | None:
        """Where a return from `country` is sent (see `warehouses`)."""
        fallback = next((w for w in self.warehouses if not w.countries), None)
        chosen = next((w for w in self.warehouses if country in w.countries), fallback)
        return chosen or next(iter(self.warehouses), None)

    def window_for(self, category: str | None) -> int:
        if category is not None and category in self.category_windows:
            return self.category_windows[category]
        return self.window_days
