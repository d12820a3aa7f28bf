"""Decide a return from a rule set and the return's facts. Pure: no I/O, no clock, no randomness.

Each item is decided on its own: the ordered rules are checked against the return's facts plus
that item's facts, the first rule whose conditions all hold decides the item, and the default
action decides when none does. The return gets the most cautious of its items' actions
(reject > review > approve > approve_keep_item): one doubtful item is enough to send the whole
return to review. A return-scope rule gives the same answer for every item, so checking it per
item is the same as checking it once. A return with no items is decided once, with no item facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeAlias, TypeGuard

from returns_api.policies.rules import (
    FACTS,
    NUMERIC_KINDS,
    Action,
    ConditionValue,
    Fact,
    Operator,
    Rule,
    RuleSet,
)

FactValue: TypeAlias = bool | int | str | Sequence[str]
JsonValue: TypeAlias = "bool | int | str | list[JsonValue] | dict[str, JsonValue] | None"

# Higher is more cautious; the return takes its most cautious item's action.
_CAUTION: Final[Mapping[Action, int]] = MappingProxyType(
    {"approve_keep_item": 0, "approve": 1, "review": 2, "reject": 3}
)


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """Item-scope facts of one returned item; `key` names the item in the trace."""

    key: str
    values: Mapping[str, FactValue]


@dataclass(frozen=True, slots=True)
class ReturnFacts:
    """Return-scope facts and the returned items.

    Money is int minor units; `customer_return_rate_bps` is int basis points (0..10000).
    A condition looks its fact up in the mapping of the fact's scope only, so an item fact put
    in `values` (or a return fact in an item) counts as missing.
    """

    values: Mapping[str, FactValue]
    items: Sequence[ItemFacts] = ()


@dataclass(frozen=True, slots=True)
class CheckedCondition:
    """A condition of a rule as checked: what it expected, and the fact value it saw."""

    index: int
    fact: str
    op: Operator
    expected: JsonValue
    actual: JsonValue  # None when the fact was missing

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "index": self.index,
            "fact": self.fact,
            "op": self.op,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One rule checked for one item: matched, with every condition and the fact value that
    made it hold (`held`, so a person reviewing the return sees why), or the condition that
    failed."""

    rule_id: str
    rule_name: str
    matched: bool
    failed: CheckedCondition | None
    held: tuple[CheckedCondition, ...] = ()

    def to_dict(self) -> dict[str, JsonValue]:
        as_dict: dict[str, JsonValue] = {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "matched": self.matched,
            "failed": None if self.failed is None else self.failed.to_dict(),
        }
        if self.matched:
            as_dict["held"] = [condition.to_dict() for condition in self.held]
        return as_dict


@dataclass(frozen=True, slots=True)
class ItemTrace:
    """How one item was decided: the rules checked in order, up to the first match."""

    item_key: str | None  # None for a return without items
    action: Action
    matched_rule_id: str | None  # None when the default action decided
    matched_rule_name: str | None
    checks: tuple[RuleCheck, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        checks: list[JsonValue] = [check.to_dict() for check in self.checks]
        return {
            "item_key": self.item_key,
            "action": self.action,
            "matched_rule_id": self.matched_rule_id,
            "matched_rule_name": self.matched_rule_name,
            "checks": checks,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The return's action, which item and rule drove it, and the full per-item trace.

    On a tie the first item (in the order given) with the most cautious action decides.
    """

    action: Action
    policy_version: int
    matched_rule_id: str | None  # None when the default action decided
    matched_rule_name: str | None
    deciding_item_key: str | None  # None for a return without items
    trace: tuple[ItemTrace, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        """Plain dicts, lists, str, int, bool and None, ready to store as JSON."""
        trace: list[JsonValue] = [item.to_dict() for item in self.trace]
        return {
            "action": self.action,
            "policy_version": self.policy_version,
            "matched_rule_id": self.matched_rule_id,
            "matched_rule_name": self.matched_rule_name,
            "deciding_item_key": self.deciding_item_key,
            "trace": trace,
        }


def evaluate(rules: RuleSet, facts: ReturnFacts, *, policy_version: int) -> Decision:
    """First matching rule decides each item; the most cautious item decides the return."""
    if facts.items:
        traces = tuple(
            _decide_item(rules, facts.values, item.key, item.values) for item in facts.items
        )
    else:
        traces = (_decide_item(rules, facts.values, None, {}),)
    # max() keeps the first of equals, so ties go to the earliest item.
    deciding = max(traces, key=lambda trace: _CAUTION[trace.action])
    return Decision(
        action=deciding.action,
        policy_version=policy_version,
        matched_rule_id=deciding.matched_rule_id,
        matched_rule_name=deciding.matched_rule_name,
        deciding_item_key=deciding.item_key,
        trace=traces,
    )


def _decide_item(
    rules: RuleSet,
    return_values: Mapping[str, FactValue],
    item_key: str | None,
    item_values: Mapping[str, FactValue],
) -> ItemTrace:
    checks: list[RuleCheck] = []
    for rule in rules.rules:
        held, failed = _check_conditions(rule, return_values, item_values)
        matched = failed is None
        checks.append(RuleCheck(rule.id, rule.name, matched, failed, held if matched else ()))
        if matched:
            return ItemTrace(item_key, rule.action, rule.id, rule.name, tuple(checks))
    return ItemTrace(item_key, rules.default_action, None, None, tuple(checks))


def _check_conditions(
    rule: Rule,
    return_values: Mapping[str, FactValue],
    item_values: Mapping[str, FactValue],
) -> tuple[tuple[CheckedCondition, ...], CheckedCondition | None]:
    """The conditions that held, in order, up to the first that failed (None if none did)."""
    held: list[CheckedCondition] = []
    for index, condition in enumerate(rule.conditions):
        fact = FACTS.get(condition.fact)
        actual: object = None
        if fact is not None:
            actual = (item_values if fact.scope == "item" else return_values).get(fact.name)
        outcome = CheckedCondition(
            index=index,
            fact=condition.fact,
            op=condition.op,
            expected=_to_json(condition.value),
            actual=_to_json(actual),
        )
        if fact is None or not _holds(fact, condition.op, condition.value, actual):
            return tuple(held), outcome
        held.append(outcome)
    return tuple(held), None


def _holds(fact: Fact, op: Operator, expected: ConditionValue, actual: object) -> bool:
    """Whether `actual op expected` holds; a missing or mistyped fact never holds."""
    if fact.kind in NUMERIC_KINDS:
        return _is_int(actual) and _holds_int(op, actual, expected)
    if fact.kind == "bool":
        both_bool = isinstance(actual, bool) and isinstance(expected, bool)
        return both_bool and _equality(op, actual, expected)
    if fact.kind == "str":
        return isinstance(actual, str) and _holds_str(op, actual, expected)
    strings = _as_strings(actual)
    return strings is not None and _holds_str_list(op, strings, expected)


def _holds_int(op: Operator, actual: int, expected: ConditionValue) -> bool:
    if op in ("in", "not_in"):
        return isinstance(expected, list) and _membership(op, actual in expected)
    if not _is_int(expected):
        return False
    match op:
        case "eq":
            return actual == expected
        case "ne":
            return actual != expected
        case "lt":
            return actual < expected
        case "lte":
            return actual <= expected
        case "gt":
            return actual > expected
        case "gte":
            return actual >= expected
    return False


def _holds_str(op: Operator, actual: str, expected: ConditionValue) -> bool:
    if op in ("in", "not_in"):
        return isinstance(expected, list) and _membership(op, actual in expected)
    if not isinstance(expected, str):
        return False
    if op == "contains":
        return expected in actual
    return _equality(op, actual, expected)


def _holds_str_list(op: Operator, actual: frozenset[str], expected: ConditionValue) -> bool:
    """Tags are a set: eq/ne ignore order and repeats, in = any tag listed, not_in = none."""
    if op in ("in", "not_in"):
        return isinstance(expected, list) and _membership(op, not actual.isdisjoint(expected))
    if op == "contains":
        return isinstance(expected, str) and expected in actual
    return isinstance(expected, list) and _equality(op, actual, frozenset(expected))


def _membership(op: Operator, is_member: bool) -> bool:
    return is_member if op == "in" else not is_member


def _equality(op: Operator, actual: object, expected: object) -> bool:
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    return False


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_strings(value: object) -> frozenset[str] | None:
    if not isinstance(value, list | tuple | set | frozenset):
        return None
    if not all(isinstance(element, str) for element in value):
        return None
    return frozenset(value)


def _to_json(value: object) -> JsonValue:
    """A plain JSON value for the trace; anything unexpected is recorded as its repr."""
    if isinstance(value, list | tuple):
        return [_scalar_to_json(element) for element in value]
    if isinstance(value, set | frozenset):
        return sorted((_scalar_to_json(element) for element in value), key=repr)
    return _scalar_to_json(value)


def _scalar_to_json(value: object) -> JsonValue:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str.__str__(value)
    return repr(value)
