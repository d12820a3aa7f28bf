"""Auto-accept policy rules as data: the fact registry and the pydantic rule document.

A rule document is plain JSON. Nothing in it is ever evaluated as code: each condition names
a fact from the registry below, an operator that fits the fact's kind, and a literal value
of the fact's type. Everything is checked when the document is validated, so the engine
never meets a rule it cannot evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, TypeAlias, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails
from typing_extensions import TypeAliasType

from returns_api.policies.resolutions import RESOLUTIONS

# Named aliases: each is one enum schema in the OpenAPI document (and in generated clients).
Action = TypeAliasType("Action", Literal["approve", "review", "reject", "approve_keep_item"])
Operator = TypeAliasType(
    "Operator", Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains"]
)
FactKind = Literal["money", "int", "bool", "str", "str_list", "days"]
FactScope = Literal["item", "return"]

# What a rule may compare a fact with. Strict: a bool is not an int, "5" is not a number.
ConditionValue: TypeAlias = bool | int | str | list[int] | list[str]

MAX_RULES: Final = 200
MAX_CONDITIONS_PER_RULE: Final = 50

NUMERIC_KINDS: Final[frozenset[FactKind]] = frozenset({"money", "int", "days"})

OPERATORS_BY_KIND: Final[Mapping[FactKind, frozenset[Operator]]] = MappingProxyType(
    {
        "money": frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"}),
        "int": frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"}),
        "days": frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"}),
        "bool": frozenset({"eq", "ne"}),
        "str": frozenset({"eq", "ne", "in", "not_in", "contains"}),
        "str_list": frozenset({"eq", "ne", "in", "not_in", "contains"}),
    }
)


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact a condition may test.

    `item` facts differ per returned item; `return` facts are the same for the whole return.
    `choices`, when set, lists every value the fact can take, so a typo in a rule is refused
    instead of silently never matching.
    """

    name: str
    kind: FactKind
    scope: FactScope
    description: str
    choices: frozenset[str] | None = None


_FACT_LIST: Final = (
    Fact("return_value", "money", "return", "Value of everything in the return, minor units."),
    Fact("order_total", "money", "return", "Total paid for the order, minor units."),
    Fact("days_since_delivery", "days", "return", "Whole days from delivery to the request."),
    Fact("order_country", "str", "return", "Shipping country, ISO 3166-1 alpha-2 (e.g. 'DE')."),
    Fact(
        "customer_returns_count",
        "int",
        "return",
        "Returns the customer opened over the look-back window.",
    ),
    Fact(
        "customer_returned_value",
        "money",
        "return",
        "Value the customer returned over the look-back window, minor units.",
    ),
    Fact(
        "customer_return_rate_bps",
        "int",
        "return",
        "Returned value / ordered value over the look-back window, in basis points "
        "(0..10000; 2500 = 25%).",
    ),
    Fact("item_unit_price", "money", "item", "Price paid for one unit, minor units."),
    Fact(
        "item_value",
        "money",
        "item",
        "Price share of the units being returned (unit price x quantity), minor units.",
    ),
    Fact("item_quantity", "int", "item", "Units of this item being returned."),
    Fact("item_category", "str", "item", "Catalogue category of the item."),
    Fact("item_tags", "str_list", "item", "Catalogue tags of the item (e.g. 'fragile')."),
    Fact("reason", "str", "item", "Reason code the customer chose for this item."),
    Fact(
        "reason_is_merchant_fault",
        "bool",
        "item",
        "Whether the reason code blames the merchant (damaged, wrong item, ...).",
    ),
    Fact(
        "resolution",
        "str",
        "item",
        "Requested resolution: refund, store_credit or exchange.",
        choices=frozenset(RESOLUTIONS),
    ),
    Fact(
        "exchange_same_product",
        "bool",
        "item",
        "Exchanged for a variant of the returned item's own product (exchanged items only).",
    ),
    Fact(
        "exchange_new_value",
        "money",
        "item",
        "Catalog price of the new units with their tax (exchanged items only), minor units.",
    ),
    Fact("instant_exchange", "bool", "return", "The customer asks for an instant exchange."),
)

FACTS: Final[Mapping[str, Fact]] = MappingProxyType({fact.name: fact for fact in _FACT_LIST})

FactName = TypeAliasType(
    "FactName", Annotated[str, Field(json_schema_extra={"enum": [*sorted(FACTS)]})]
)

_RULE_ID_PATTERN: Final = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


# A number in a rule: what every JSON parser reads exactly (JavaScript's safe integers).
# Every fact fits (amounts are at most 10^12); past 64 bits a policy could not even be
# stored (orjson), a 500. Checked on what callers send (`_value_problem`), not on stored
# documents: a policy published before the bound, with a number up to 2^64, still loads.
MAX_RULE_INT: Final = 2**53 - 1
RuleInt = Annotated[
    StrictInt, Field(json_schema_extra={"minimum": -MAX_RULE_INT, "maximum": MAX_RULE_INT})
]
# Validation context of a document read back from the database (see `RuleInt`).
STORED: Final = {"stored": True}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value: object) -> str:
    return type(value).__name__


def _value_problem(fact: Fact, op: Operator, value: object, *, bounded: bool) -> str | None:
    """Why `value` cannot be compared with `fact` by `op`, or None when it can; `bounded`:
    numbers must be within +-MAX_RULE_INT."""
    where = f"value for fact '{fact.name}' ({fact.kind}) with '{op}'"
    # in / not_in take a list of the fact's scalar type; a str_list compared whole (eq / ne)
    # takes a list of strings.
    if op in ("in", "not_in") or (fact.kind == "str_list" and op != "contains"):
        element_ok, wanted = (
            (_is_int, "integers") if fact.kind in NUMERIC_KINDS else (_is_str, "strings")
        )
        if not isinstance(value, list):
            return f"{where} must be a list of {wanted}, got {_type_name(value)}"
        wrong = [element for element in value if not element_ok(element)]
        if wrong:
            return f"{where} must be a list of {wanted}, got one with {_type_name(wrong[0])}"
        numbers = value if bounded and fact.kind in NUMERIC_KINDS else []
        if any(abs(element) > MAX_RULE_INT for element in numbers):
            return f"{where} must be a list of integers from -{MAX_RULE_INT} to {MAX_RULE_INT}"
        return _choices_problem(fact, value)
    if fact.kind in NUMERIC_KINDS:
        fits, wanted = _is_int(value), "an integer"
    elif fact.kind == "bool":
        fits, wanted = isinstance(value, bool), "a boolean"
    else:
        fits, wanted = isinstance(value, str), "a string"
    if not fits:
        return f"{where} must be {wanted}, got {_type_name(value)}"
    if bounded and fact.kind in NUMERIC_KINDS and abs(cast(int, value)) > MAX_RULE_INT:
        return f"{where} must be from -{MAX_RULE_INT} to {MAX_RULE_INT}"
    return None if op == "contains" else _choices_problem(fact, [value])


def _plain_value(value: object) -> bool:
    """A value some fact could be compared with: what `Condition.value` admits."""
    if isinstance(value, list):
        return all(_is_int(element) for element in value) or all(
            isinstance(element, str) for element in value
        )
    return isinstance(value, bool | int | str)


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _choices_problem(fact: Fact, values: list[Any]) -> str | None:
    if fact.choices is None:
        return None
    unknown = [value for value in values if value not in fact.choices]
    if not unknown:
        return None
    allowed = ", ".join(sorted(fact.choices))
    return f"fact '{fact.name}' is never {unknown[0]!r} (it is one of: {allowed})"


class Condition(BaseModel):
    """`fact op value`, e.g. `return_value lt 5000`; holds or not for one set of facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Checked against the registry below; the enum only documents the names in the schema.
    fact: FactName
    op: Operator
    value: StrictBool | RuleInt | StrictStr | list[RuleInt] | list[StrictStr]

    @field_validator("fact")
    @classmethod
    def _fact_is_known(cls, fact: str) -> str:
        if fact not in FACTS:
            raise ValueError(f"unknown fact '{fact}'")
        return fact

    @field_validator("op")
    @classmethod
    def _op_fits_fact(cls, op: Operator, info: ValidationInfo) -> Operator:
        fact = FACTS.get(info.data.get("fact", ""))
        if fact is not None and op not in OPERATORS_BY_KIND[fact.kind]:
            raise ValueError(f"operator '{op}' does not apply to fact '{fact.name}' ({fact.kind})")
        return op

    @field_validator("value", mode="before")
    @classmethod
    def _value_fits_fact(cls, value: object, info: ValidationInfo) -> object:
        # Checked before the strict union so that the error says what was expected.
        fact = FACTS.get(info.data.get("fact", ""))
        op = info.data.get("op")
        if fact is None or op is None:
            # The fact or the operator is refused already; say in one error, not one per
            # member of the union below, what a value can be at all.
            if not _plain_value(value):
                got = _type_name(value)
                if isinstance(value, list):
                    got = "a list of " + ", ".join(sorted({_type_name(v) for v in value}))
                raise ValueError(
                    "value must be a boolean, an integer, a string, or a list of integers "
                    f"or of strings; got {got}"
                )
            return value
        stored = bool(info.context and info.context.get("stored"))
        problem = _value_problem(fact, op, value, bounded=not stored)
        if problem is not None:
            raise ValueError(problem)
        return value


class ExchangeGrant(BaseModel):
    """What a matching rule sets of the policy's exchange terms for this return (unset:
    the policy's). The first matching rule with a grant gives it, the deciding item's first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instant: StrictBool | None = Field(default=None, description="Instant exchange allowed.")
    bonus_bps: Annotated[StrictInt, Field(ge=0, le=10_000)] | None = Field(
        default=None, description="The exchange bonus, in basis points."
    )
    same_product_only: StrictBool | None = Field(
        default=None, description="Exchanges within the returned item's product only."
    )
    payment_deadline_days: Annotated[StrictInt, Field(ge=1, le=90)] | None = None
    hold_deadline_days: Annotated[StrictInt, Field(ge=1, le=90)] | None = None


class Rule(BaseModel):
    """All `conditions` hold (an empty list always holds) → `action` decides, and
    `exchange`, when set, adjusts the exchange terms of the return."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=_RULE_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    conditions: Annotated[list[Condition], Field(max_length=MAX_CONDITIONS_PER_RULE)] = []
    action: Action
    exchange: ExchangeGrant | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _name_rule_in_condition_errors(
        cls, data: Any, handler: ModelWrapValidatorHandler[Rule]
    ) -> Rule:
        """Prefix a condition's error with the rule id and condition index.

        The error stays at its location (`conditions.<i>.<field>`), so an API can point at the
        field, while the message alone is enough for a person reading a log.
        """
        try:
            return handler(data)
        except ValidationError as exc:
            rule_id = data.get("id", "?") if isinstance(data, dict) else "?"
            errors = [_with_rule_context(error, rule_id) for error in exc.errors()]
            raise ValidationError.from_exception_data(exc.title, errors) from None


def _with_rule_context(error: ErrorDetails, rule_id: object) -> InitErrorDetails:
    loc = tuple(error["loc"])
    details: InitErrorDetails = {"type": error["type"], "loc": loc, "input": error["input"]}
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    if error["type"] == "value_error" and len(loc) >= 2 and loc[0] == "conditions":
        reason = error.get("ctx", {}).get("error", error["msg"])
        message = f"rule {rule_id!r} condition {loc[1]}: {reason}"
        details["ctx"] = {"error": message}
    return details


class RuleSet(BaseModel):
    """An ordered list of rules: the first rule whose conditions hold decides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: Annotated[list[Rule], Field(max_length=MAX_RULES)] = []
    default_action: Action = "review"

    @field_validator("rules")
    @classmethod
    def _rule_ids_are_unique(cls, rules: list[Rule]) -> list[Rule]:
        first_index: dict[str, int] = {}
        for index, rule in enumerate(rules):
            if rule.id in first_index:
                raise ValueError(
                    f"rule '{rule.id}' is defined twice (rules {first_index[rule.id]} and {index})"
                )
            first_index[rule.id] = index
        return rules
