"""The policy engine: rule documents validated as data, evaluated per item, traced."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from returns_api.policies.engine import (
    Decision,
    FactValue,
    ItemFacts,
    ReturnFacts,
    evaluate,
)
from returns_api.policies.rules import (
    FACTS,
    MAX_RULE_INT,
    MAX_RULES,
    NUMERIC_KINDS,
    OPERATORS_BY_KIND,
    Action,
    Fact,
    Rule,
    RuleSet,
)

ACTIONS: tuple[Action, ...] = ("approve", "review", "reject", "approve_keep_item")
CAUTION: dict[Action, int] = {"approve_keep_item": 0, "approve": 1, "review": 2, "reject": 3}


def cond(fact: str, op: str, value: Any) -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value}


def rule(
    rule_id: str, *conditions: dict[str, Any], action: str = "approve", name: str | None = None
) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": name or rule_id.replace("-", " "),
        "conditions": list(conditions),
        "action": action,
    }


def rule_set(*rules: dict[str, Any], default_action: str = "review") -> RuleSet:
    return RuleSet.model_validate({"rules": list(rules), "default_action": default_action})


def one_return(
    return_values: dict[str, FactValue] | None = None,
    **items: dict[str, FactValue],
) -> ReturnFacts:
    return ReturnFacts(
        values=return_values or {},
        items=[ItemFacts(key=key, values=values) for key, values in items.items()],
    )


def holds(condition: dict[str, Any], actual: FactValue | None) -> bool:
    """Whether a one-condition rule matches when its fact has value `actual` (None: missing)."""
    fact = FACTS[condition["fact"]]
    known = {} if actual is None else {fact.name: actual}
    facts = one_return(item=known) if fact.scope == "item" else one_return(known, item={"x": 1})
    rules = rule_set(rule("only", condition, action="reject"), default_action="approve")
    return evaluate(rules, facts, policy_version=1).action == "reject"


# --- operators -----------------------------------------------------------------------------

OPERATOR_CASES: list[tuple[str, str, Any, FactValue, bool]] = [
    # money
    ("return_value", "eq", 5000, 5000, True),
    ("return_value", "eq", 5000, 5001, False),
    ("return_value", "ne", 5000, 5001, True),
    ("return_value", "ne", 5000, 5000, False),
    ("return_value", "lt", 5000, 4999, True),
    ("return_value", "lt", 5000, 5000, False),
    ("return_value", "lte", 5000, 5000, True),
    ("return_value", "lte", 5000, 5001, False),
    ("return_value", "gt", 5000, 5001, True),
    ("return_value", "gt", 5000, 5000, False),
    ("return_value", "gte", 5000, 5000, True),
    ("return_value", "gte", 5000, 4999, False),
    ("item_value", "in", [100, 200], 200, True),
    ("item_value", "in", [100, 200], 300, False),
    ("item_unit_price", "not_in", [100, 200], 300, True),
    ("item_unit_price", "not_in", [100, 200], 100, False),
    # int and days
    ("customer_returns_count", "gte", 3, 3, True),
    ("customer_returns_count", "gte", 3, 2, False),
    ("customer_return_rate_bps", "gt", 2500, 2501, True),
    ("customer_return_rate_bps", "gt", 2500, 2500, False),
    ("customer_returns_count", "eq", 0, 0, True),
    ("customer_returns_count", "ne", 0, 1, True),
    ("customer_returned_value", "lt", 100_00, 99_99, True),
    ("item_quantity", "lt", 2, 1, True),
    ("item_quantity", "lte", 2, 3, False),
    ("item_quantity", "in", [1], 1, True),
    ("item_quantity", "not_in", [1, 2], 3, True),
    ("days_since_delivery", "eq", 14, 14, True),
    ("days_since_delivery", "ne", 0, 0, False),
    ("days_since_delivery", "lt", 14, 14, False),
    ("days_since_delivery", "lte", 30, 30, True),
    ("days_since_delivery", "lte", 30, 31, False),
    ("days_since_delivery", "gt", 30, 31, True),
    ("days_since_delivery", "gte", 30, 29, False),
    ("days_since_delivery", "in", [0, 1], 0, True),
    ("days_since_delivery", "not_in", [0, 1], 1, False),
    # bool
    ("reason_is_merchant_fault", "eq", True, True, True),
    ("reason_is_merchant_fault", "eq", True, False, False),
    ("reason_is_merchant_fault", "ne", True, False, True),
    ("reason_is_merchant_fault", "ne", False, False, False),
    # str
    ("reason", "eq", "damaged", "damaged", True),
    ("reason", "eq", "damaged", "Damaged", False),
    ("reason", "ne", "damaged", "too_small", True),
    ("reason", "ne", "damaged", "damaged", False),
    ("order_country", "in", ["DE", "AT"], "AT", True),
    ("order_country", "in", ["DE", "AT"], "FR", False),
    ("order_country", "not_in", ["DE", "AT"], "FR", True),
    ("order_country", "not_in", ["DE", "AT"], "DE", False),
    ("item_category", "contains", "shoe", "running-shoes", True),
    ("item_category", "contains", "shoe", "shirts", False),
    ("resolution", "eq", "store_credit", "store_credit", True),
    ("resolution", "in", ["refund", "exchange"], "store_credit", False),
    # str_list: a set of tags
    ("item_tags", "contains", "fragile", ("sale", "fragile"), True),
    ("item_tags", "contains", "fragile", ("fragile-ish",), False),
    ("item_tags", "in", ["fragile", "hazmat"], ("sale", "hazmat"), True),
    ("item_tags", "in", ["fragile", "hazmat"], ("sale",), False),
    ("item_tags", "in", ["fragile"], (), False),
    ("item_tags", "not_in", ["fragile", "hazmat"], ("sale",), True),
    ("item_tags", "not_in", ["fragile", "hazmat"], ("sale", "fragile"), False),
    ("item_tags", "not_in", ["fragile"], (), True),
    ("item_tags", "eq", ["a", "b"], ("b", "a", "a"), True),
    ("item_tags", "eq", ["a", "b"], ("a",), False),
    ("item_tags", "ne", ["a"], ("a", "b"), True),
    ("item_tags", "ne", ["a"], ["a"], False),
]


@pytest.mark.parametrize(("fact", "op", "value", "actual", "expected"), OPERATOR_CASES)
def test_operator_compares_fact_with_value(
    fact: str, op: str, value: Any, actual: FactValue, expected: bool
) -> None:
    assert holds(cond(fact, op, value), actual) is expected


def test_every_operator_of_every_kind_is_covered() -> None:
    covered = {(FACTS[fact].kind, op) for fact, op, *_ in OPERATOR_CASES}
    kinds = {fact.kind for fact in FACTS.values()}
    expected = {(kind, op) for kind in kinds for op in OPERATORS_BY_KIND[kind]}
    assert expected <= covered


@pytest.mark.parametrize(
    "condition",
    [
        cond("return_value", "lt", 5000),
        cond("return_value", "ne", 5000),
        cond("reason", "not_in", ["damaged"]),
        cond("reason", "ne", "damaged"),
        cond("item_tags", "not_in", ["fragile"]),
        cond("reason_is_merchant_fault", "ne", True),
    ],
)
def test_missing_fact_never_holds_even_for_negative_operators(condition: dict[str, Any]) -> None:
    assert holds(condition, None) is False


@pytest.mark.parametrize(
    ("condition", "actual"),
    [
        (cond("return_value", "lt", 5000), True),
        (cond("return_value", "lt", 5000), "10"),
        (cond("return_value", "in", [1]), True),
        (cond("reason_is_merchant_fault", "eq", True), 1),
        (cond("reason", "contains", "a"), ("a",)),
        (cond("item_tags", "contains", "a"), "a"),
        (cond("item_tags", "in", ["a"]), [1, "a"]),
    ],
)
def test_fact_of_the_wrong_type_does_not_hold_and_does_not_raise(
    condition: dict[str, Any], actual: Any
) -> None:
    assert holds(condition, actual) is False


# --- validation ----------------------------------------------------------------------------

VALID_FIRST = cond("return_value", "lt", 10_000)


@pytest.mark.parametrize(
    ("condition", "field", "message"),
    [
        (cond("colour", "eq", "red"), "fact", "unknown fact 'colour'"),
        (
            cond("reason", "lt", "damaged"),
            "op",
            "operator 'lt' does not apply to fact 'reason' (str)",
        ),
        (cond("return_value", "contains", 5), "op", "operator 'contains' does not apply"),
        (cond("reason_is_merchant_fault", "in", [True]), "op", "does not apply"),
        (cond("reason_is_merchant_fault", "gt", False), "op", "does not apply"),
        (cond("item_tags", "gte", "a"), "op", "does not apply to fact 'item_tags' (str_list)"),
        (cond("return_value", "lt", "5000"), "value", "must be an integer, got str"),
        (cond("return_value", "lt", 50.0), "value", "must be an integer, got float"),
        (cond("customer_returns_count", "gte", True), "value", "must be an integer, got bool"),
        (cond("item_quantity", "in", [1, True]), "value", "list of integers, got one with bool"),
        (cond("item_quantity", "in", 1), "value", "must be a list of integers, got int"),
        (cond("reason_is_merchant_fault", "eq", 1), "value", "must be a boolean, got int"),
        (cond("reason_is_merchant_fault", "eq", "true"), "value", "must be a boolean, got str"),
        (cond("reason", "eq", 3), "value", "must be a string, got int"),
        (cond("reason", "in", "damaged"), "value", "must be a list of strings, got str"),
        (cond("item_tags", "contains", ["a"]), "value", "must be a string, got list"),
        (cond("item_tags", "eq", "a"), "value", "must be a list of strings, got str"),
        (cond("resolution", "eq", "refunds"), "value", "fact 'resolution' is never 'refunds'"),
        (cond("resolution", "not_in", ["cash"]), "value", "is never 'cash'"),
    ],
)
def test_invalid_condition_is_refused_naming_rule_and_condition(
    condition: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValueError, match="validation error") as raised:
        rule_set(rule("low-value", VALID_FIRST, condition))

    assert isinstance(raised.value, ValidationError)
    errors = raised.value.errors()
    assert errors[0]["loc"] == ("rules", 0, "conditions", 1, field)
    assert errors[0]["msg"].startswith("Value error, rule 'low-value' condition 1: ")
    assert message in errors[0]["msg"]
    assert message in str(raised.value)


def test_invalid_condition_in_a_later_rule_points_at_that_rule() -> None:
    with pytest.raises(ValidationError) as raised:
        rule_set(rule("fine"), rule("broken", cond("reason", "gt", "a")))

    [error] = raised.value.errors()
    assert error["loc"] == ("rules", 1, "conditions", 0, "op")
    assert "rule 'broken' condition 0: operator 'gt'" in error["msg"]


def test_duplicate_rule_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="rule 'cheap' is defined twice \\(rules 0 and 2\\)"):
        rule_set(rule("cheap"), rule("other"), rule("cheap", action="reject"))


@pytest.mark.parametrize("rule_id", ["", "Cheap", "cheap items", "-cheap", "cheap-", "x" * 65])
def test_rule_id_must_be_a_short_slug(rule_id: str) -> None:
    with pytest.raises(ValidationError) as raised:
        rule_set(rule(rule_id))
    assert raised.value.errors()[0]["loc"] == ("rules", 0, "id")


def test_too_many_rules_are_refused() -> None:
    rule_set(*(rule(f"r-{n}") for n in range(MAX_RULES)))
    with pytest.raises(ValidationError, match="at most 200"):
        rule_set(*(rule(f"r-{n}") for n in range(MAX_RULES + 1)))


@pytest.mark.parametrize(
    "document",
    [
        {"rules": [], "version": 3},
        {"rules": [{**rule("a"), "priority": 1}]},
        {"rules": [rule("a", {**cond("reason", "eq", "x"), "negate": True})]},
        {"rules": [rule("a", action="accept")]},
    ],
)
def test_unknown_keys_and_actions_are_refused(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RuleSet.model_validate(document)


def test_rule_set_is_frozen_and_round_trips_through_json() -> None:
    rules = rule_set(
        rule("cheap", cond("item_value", "lt", 1500), cond("item_tags", "not_in", ["fragile"])),
        rule("fault", cond("reason_is_merchant_fault", "eq", True)),
        default_action="reject",
    )

    assert RuleSet.model_validate_json(rules.model_dump_json()) == rules
    with pytest.raises(ValidationError):
        rules.rules[0].action = "reject"  # type: ignore[misc]


def test_rule_without_conditions_always_matches() -> None:
    rules = rule_set(rule("everything", action="reject"))
    decision = evaluate(rules, one_return(), policy_version=1)
    assert decision.action == "reject"
    assert decision.matched_rule_id == "everything"


# --- ordering and default ------------------------------------------------------------------


def test_first_matching_rule_wins_and_later_rules_are_not_checked() -> None:
    rules = rule_set(
        rule("big", cond("return_value", "gt", 50_000), action="review"),
        rule("small", cond("return_value", "lte", 5_000), action="approve", name="Small"),
        rule("any", action="reject"),
    )

    decision = evaluate(rules, one_return({"return_value": 1_000}, a={}), policy_version=7)

    assert decision.action == "approve"
    assert decision.matched_rule_id == "small"
    assert decision.matched_rule_name == "Small"
    assert decision.policy_version == 7
    assert [check.rule_id for check in decision.trace[0].checks] == ["big", "small"]
    assert [check.matched for check in decision.trace[0].checks] == [False, True]


def test_default_action_decides_when_no_rule_matches() -> None:
    rules = rule_set(rule("big", cond("return_value", "gt", 50_000)), default_action="reject")

    decision = evaluate(rules, one_return({"return_value": 1}, a={}), policy_version=1)

    assert decision.action == "reject"
    assert decision.matched_rule_id is None
    assert decision.matched_rule_name is None
    assert decision.deciding_item_key == "a"


def test_default_action_is_review() -> None:
    assert RuleSet.model_validate({"rules": []}).default_action == "review"
    assert evaluate(RuleSet(), one_return(), policy_version=1).action == "review"


# --- per-item aggregation ------------------------------------------------------------------


def test_one_item_needing_review_sends_the_return_to_review() -> None:
    rules = rule_set(
        rule("fault", cond("reason_is_merchant_fault", "eq", True), action="approve"),
        rule("changed-mind", cond("reason", "eq", "changed_mind"), action="review"),
    )
    facts = one_return(
        {"return_value": 9_000},
        shoes={"reason": "damaged", "reason_is_merchant_fault": True},
        shirt={"reason": "changed_mind", "reason_is_merchant_fault": False},
    )

    decision = evaluate(rules, facts, policy_version=1)

    assert decision.action == "review"
    assert decision.deciding_item_key == "shirt"
    assert decision.matched_rule_id == "changed-mind"
    assert [(item.item_key, item.action, item.matched_rule_id) for item in decision.trace] == [
        ("shoes", "approve", "fault"),
        ("shirt", "review", "changed-mind"),
    ]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("approve_keep_item", "approve", "approve"),
        ("approve", "approve_keep_item", "approve"),
        ("approve_keep_item", "approve_keep_item", "approve_keep_item"),
        ("approve", "review", "review"),
        ("review", "reject", "reject"),
        ("reject", "approve_keep_item", "reject"),
    ],
)
def test_return_takes_the_most_cautious_item_action(
    first: Action, second: Action, expected: Action
) -> None:
    rules = rule_set(
        rule("first", cond("item_category", "eq", "first"), action=first),
        rule("second", cond("item_category", "eq", "second"), action=second),
    )
    facts = one_return(a={"item_category": "first"}, b={"item_category": "second"})

    assert evaluate(rules, facts, policy_version=1).action == expected


def test_cheap_items_are_kept_only_when_every_item_is_cheap() -> None:
    rules = rule_set(
        rule("cheap", cond("item_value", "lt", 1_000), action="approve_keep_item"),
        rule("rest", action="approve"),
    )

    all_cheap = one_return(a={"item_value": 500}, b={"item_value": 999})
    one_dear = one_return(a={"item_value": 500}, b={"item_value": 1_000})

    assert evaluate(rules, all_cheap, policy_version=1).action == "approve_keep_item"
    mixed = evaluate(rules, one_dear, policy_version=1)
    assert mixed.action == "approve"
    assert mixed.deciding_item_key == "b"
    assert mixed.matched_rule_id == "rest"


def test_tie_goes_to_the_first_item() -> None:
    rules = rule_set(
        rule("hazmat", cond("item_tags", "contains", "hazmat"), action="review"),
        default_action="review",
    )
    facts = one_return(a={"item_tags": ()}, b={"item_tags": ("hazmat",)})

    decision = evaluate(rules, facts, policy_version=1)

    assert decision.deciding_item_key == "a"
    assert decision.matched_rule_id is None


def test_return_scope_rule_applies_to_every_item() -> None:
    serial = cond("customer_return_rate_bps", "gte", 5_000)
    rules = rule_set(rule("serial", serial, action="reject"))
    facts = one_return({"customer_return_rate_bps": 6_000}, a={}, b={})

    decision = evaluate(rules, facts, policy_version=1)

    assert decision.action == "reject"
    assert [item.action for item in decision.trace] == ["reject", "reject"]


def test_return_without_items_is_decided_once_with_return_facts_only() -> None:
    rules = rule_set(
        rule("cheap-item", cond("item_value", "lt", 1_000), action="approve_keep_item"),
        rule("small", cond("return_value", "lt", 1_000), action="approve"),
    )

    decision = evaluate(rules, one_return({"return_value": 10}), policy_version=1)

    assert decision.action == "approve"
    assert decision.deciding_item_key is None
    [only] = decision.trace
    assert only.item_key is None
    assert only.checks[0].failed is not None
    assert only.checks[0].failed.actual is None


def test_fact_is_looked_up_in_its_own_scope_only() -> None:
    rules = rule_set(
        rule("cheap-item", cond("item_value", "lt", 1_000), action="approve"),
        rule("small", cond("return_value", "lt", 1_000), action="reject"),
        default_action="review",
    )
    misplaced = one_return({"item_value": 1}, a={"return_value": 1})

    assert evaluate(rules, misplaced, policy_version=1).action == "review"


# --- trace ---------------------------------------------------------------------------------


def test_trace_names_the_first_failing_condition_and_what_it_saw() -> None:
    rules = rule_set(
        rule(
            "cheap-fragile",
            cond("item_value", "lt", 1_000),
            cond("item_tags", "in", ["fragile"]),
            cond("order_country", "eq", "DE"),
            action="approve_keep_item",
        ),
        rule("late", cond("days_since_delivery", "gt", 30), action="reject"),
    )
    facts = one_return(
        {"order_country": "FR"},
        vase={"item_value": 900, "item_tags": ("glass", "sale")},
    )

    decision = evaluate(rules, facts, policy_version=1)

    first, second = decision.trace[0].checks
    assert first.matched is False
    assert first.failed is not None
    assert (first.failed.index, first.failed.fact, first.failed.op) == (1, "item_tags", "in")
    assert first.failed.expected == ["fragile"]
    assert first.failed.actual == ["glass", "sale"]
    assert second.failed is not None
    assert (second.failed.index, second.failed.fact, second.failed.actual) == (
        0,
        "days_since_delivery",
        None,
    )


def test_a_matched_rule_records_every_condition_with_the_value_that_made_it_hold() -> None:
    rules = rule_set(
        rule(
            "big-fault",
            cond("return_value", "gte", 5000),
            cond("reason", "in", ["damaged", "defective"]),
            action="review",
        ),
    )
    facts = one_return({"return_value": 7500}, a={"reason": "damaged"})

    check = evaluate(rules, facts, policy_version=1).trace[0].checks[0]

    assert check.matched
    assert [(c.index, c.fact, c.op, c.expected, c.actual) for c in check.held] == [
        (0, "return_value", "gte", 5000, 7500),
        (1, "reason", "in", ["damaged", "defective"], "damaged"),
    ]


def test_a_rule_that_failed_records_only_the_condition_that_failed() -> None:
    rules = rule_set(
        rule("big", cond("return_value", "gte", 0), cond("return_value", "gte", 9000)),
    )

    as_dict = evaluate(rules, one_return({"return_value": 10}), policy_version=1).to_dict()

    trace: Any = as_dict["trace"]
    check = trace[0]["checks"][0]
    assert "held" not in check
    assert check["failed"]["index"] == 1


def test_decision_to_dict_is_plain_json() -> None:
    rules = rule_set(
        rule("tags", cond("item_tags", "contains", "x"), action="approve"),
        rule("fault", cond("reason_is_merchant_fault", "eq", True), action="review"),
    )
    facts = one_return(
        {"return_value": 100},
        a={"item_tags": ("b", "a"), "reason_is_merchant_fault": True},
    )

    as_dict = evaluate(rules, facts, policy_version=4).to_dict()

    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict == {
        "action": "review",
        "policy_version": 4,
        "matched_rule_id": "fault",
        "matched_rule_name": "fault",
        "deciding_item_key": "a",
        "trace": [
            {
                "item_key": "a",
                "action": "review",
                "matched_rule_id": "fault",
                "matched_rule_name": "fault",
                "checks": [
                    {
                        "rule_id": "tags",
                        "rule_name": "tags",
                        "matched": False,
                        "failed": {
                            "index": 0,
                            "fact": "item_tags",
                            "op": "contains",
                            "expected": "x",
                            "actual": ["b", "a"],
                        },
                    },
                    {
                        "rule_id": "fault",
                        "rule_name": "fault",
                        "matched": True,
                        "failed": None,
                        "held": [
                            {
                                "index": 0,
                                "fact": "reason_is_merchant_fault",
                                "op": "eq",
                                "expected": True,
                                "actual": True,
                            }
                        ],
                    },
                ],
            }
        ],
    }


def test_odd_fact_values_are_recorded_as_plain_json() -> None:
    rules = rule_set(
        rule("a", cond("return_value", "gt", 0)),
        rule("b", cond("item_tags", "contains", "x")),
        rule("c", cond("reason", "eq", "x")),
    )
    facts = ReturnFacts(
        values={"return_value": 1.5},  # type: ignore[dict-item]
        items=[ItemFacts("i", {"item_tags": {"z", "y"}, "reason": None})],  # type: ignore[dict-item]
    )

    as_dict = evaluate(rules, facts, policy_version=1).to_dict()

    stored: Any = json.loads(json.dumps(as_dict))
    assert stored == as_dict
    checks = stored["trace"][0]["checks"]
    assert [check["failed"]["actual"] for check in checks] == ["1.5", ["y", "z"], None]


# --- properties ----------------------------------------------------------------------------

WORDS = st.sampled_from(["", "a", "b", "ab", "fragile", "sale", "DE", "damaged"]) | st.text(
    max_size=4
)
SMALL_INTS = st.integers(min_value=-2, max_value=12) | st.integers()
# A rule's numbers are bounded (what JSON carries exactly); the facts they meet are not.
RULE_INTS = st.integers(min_value=-2, max_value=12) | st.integers(
    min_value=-MAX_RULE_INT, max_value=MAX_RULE_INT
)


def scalar_values(fact: Fact, *, in_rule: bool = False) -> st.SearchStrategy[Any]:
    if fact.kind in NUMERIC_KINDS:
        return RULE_INTS if in_rule else SMALL_INTS
    if fact.kind == "bool":
        return st.booleans()
    if fact.choices is not None:
        return st.sampled_from(sorted(fact.choices))
    return WORDS


def fact_values(fact: Fact) -> st.SearchStrategy[Any]:
    if fact.kind == "str_list":
        return st.lists(WORDS, max_size=4).map(tuple)
    return scalar_values(fact)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    fact = draw(st.sampled_from(list(FACTS.values())))
    op = draw(st.sampled_from(sorted(OPERATORS_BY_KIND[fact.kind])))
    value: Any
    if op in ("in", "not_in"):
        value = draw(st.lists(scalar_values(fact, in_rule=True), max_size=4))
    elif fact.kind == "str_list":
        value = draw(WORDS) if op == "contains" else draw(st.lists(WORDS, max_size=4))
    elif op == "contains":
        value = draw(WORDS)
    else:
        value = draw(scalar_values(fact, in_rule=True))
    return cond(fact.name, op, value)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    specs = draw(
        st.lists(
            st.tuples(st.lists(conditions(), max_size=3), st.sampled_from(ACTIONS)), max_size=8
        )
    )
    rules = [
        rule(f"rule-{n}", *condition_list, action=action)
        for n, (condition_list, action) in enumerate(specs)
    ]
    return rule_set(*rules, default_action=draw(st.sampled_from(ACTIONS)))


def scope_values(scope: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={fact.name: fact_values(fact) for fact in FACTS.values() if fact.scope == scope},
    )


@st.composite
def return_facts(draw: st.DrawFn) -> ReturnFacts:
    item_values = draw(st.lists(scope_values("item"), max_size=3))
    items = [ItemFacts(key=f"item-{n}", values=values) for n, values in enumerate(item_values)]
    return ReturnFacts(values=draw(scope_values("return")), items=items)


ANY_VALUE = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)
ODD_VALUES = (
    ANY_VALUE | st.lists(ANY_VALUE, max_size=3) | st.lists(ANY_VALUE, max_size=3).map(tuple)
)


@st.composite
def odd_return_facts(draw: st.DrawFn) -> ReturnFacts:
    names = st.sampled_from([*FACTS, "not_a_fact"])
    mappings: st.SearchStrategy[Any] = st.dictionaries(names, ODD_VALUES, max_size=6)
    items = [ItemFacts(key=f"item-{n}", values=v) for n, v in enumerate(draw(st.lists(mappings)))]
    return ReturnFacts(values=draw(mappings), items=items)


@given(rules=rule_sets(), facts=return_facts())
def test_evaluate_is_deterministic_and_picks_an_item_action_or_the_default(
    rules: RuleSet, facts: ReturnFacts
) -> None:
    decision = evaluate(rules, facts, policy_version=2)

    assert evaluate(rules, facts, policy_version=2) == decision
    assert json.loads(json.dumps(decision.to_dict())) == decision.to_dict()
    assert len(decision.trace) == max(1, len(facts.items))
    item_actions = [item.action for item in decision.trace]
    possible = {r.action for r in rules.rules} | {rules.default_action}
    assert decision.action in item_actions
    assert set(item_actions) <= possible
    assert CAUTION[decision.action] == max(CAUTION[action] for action in item_actions)
    _assert_trace_is_consistent(rules, decision)


def _assert_trace_is_consistent(rules: RuleSet, decision: Decision) -> None:
    by_id: dict[str, Rule] = {r.id: r for r in rules.rules}
    for item in decision.trace:
        checked = [check.rule_id for check in item.checks]
        assert checked == [r.id for r in rules.rules[: len(checked)]]
        assert all(check.failed is not None for check in item.checks[:-1])
        if item.matched_rule_id is None:
            assert len(checked) == len(rules.rules)
            assert item.action == rules.default_action
        else:
            assert item.checks[-1].matched
            assert item.checks[-1].failed is None
            assert by_id[item.matched_rule_id].action == item.action


@given(rules=rule_sets(), facts=return_facts())
def test_each_item_is_decided_as_if_it_were_returned_alone(
    rules: RuleSet, facts: ReturnFacts
) -> None:
    decision = evaluate(rules, facts, policy_version=1)

    if not facts.items:
        return
    for item, trace in zip(facts.items, decision.trace, strict=True):
        alone = evaluate(rules, ReturnFacts(facts.values, [item]), policy_version=1)
        assert alone.trace == (trace,)


@given(rules=rule_sets())
def test_generated_rule_sets_round_trip_through_json(rules: RuleSet) -> None:
    assert RuleSet.model_validate_json(rules.model_dump_json()) == rules


@given(rules=rule_sets(), facts=odd_return_facts())
def test_evaluate_never_raises_on_facts_of_the_wrong_type(
    rules: RuleSet, facts: ReturnFacts
) -> None:
    decision = evaluate(rules, facts, policy_version=1)

    assert evaluate(rules, facts, policy_version=1).to_dict() == decision.to_dict()
    json.dumps(decision.to_dict(), allow_nan=False)
