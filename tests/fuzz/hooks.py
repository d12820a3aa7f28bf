"""schemathesis extensions for `scripts/fuzz.sh` (loaded through `hooks` in schemathesis.toml).

`map_case` keeps Idempotency-Keys from colliding. `schema_valid_input_passes_validation`:
`positive_data_acceptance` is configured to accept 422 (see schemathesis.toml), as this API
refuses some schema-valid requests for business reasons, with typed problems. That must not
hide a real disagreement between the document and the validator, so this check fails when
schema-valid input is refused as *invalid* (`validation-error`), except for the two kinds of
rule JSON Schema cannot state, which the document describes in words instead.
"""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis

from returns_api.core.http import IDEMPOTENCY_KEY_RE

VALIDATION_ERROR = "urn:returns-api:problem:validation-error"
_requests = itertools.count(1)


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    """A valid Idempotency-Key becomes unique to its request.

    Generated keys repeat ("0", the documented example …) across different requests, and the
    API rightly refuses a key reused for another request (422) — which would stop most POSTs
    before they reach their logic. Invalid keys are left as generated, so they stay invalid.
    """
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY_RE.fullmatch(key) and len(key) < 240:
        headers["Idempotency-Key"] = f"{key}-{next(_requests)}"
    return case


@schemathesis.check
def schema_valid_input_passes_validation(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem = response.json()
    except ValueError:
        return None
    if not isinstance(problem, dict) or problem.get("type") != VALIDATION_ERROR:
        return None  # a business refusal (not-returnable, unsafe-webhook-url, …): allowed
    unexplained = [e for e in problem.get("errors", []) if not _beyond_json_schema(e, case)]
    if unexplained:
        raise AssertionError(
            "Schema-valid input was refused as invalid: "
            + "; ".join(f"{e.get('location')}: {e.get('message')}" for e in unexplained)
        )
    return None


def _beyond_json_schema(error: dict[str, Any], case: Any) -> bool:
    """Rules the validator applies that no JSON Schema keyword expresses."""
    kind = error.get("type")
    if kind == "value_error":
        # Cross-field and registry rules from model validators (exactly one of item_id /
        # line_item_id, accepted <= received, unique line ids, a known currency, rule
        # conditions that fit their fact, a line's value and an order's total within one
        # amount …), described in the schemas' descriptions.
        return True
    if kind == "int_type":
        # Money and quantities are strict: 1250.0 is refused although JSON Schema counts it
        # as an integer (a float there means the client did float arithmetic on money).
        value = _value_at(case, str(error.get("location", "")))
        return isinstance(value, float) and value.is_integer()
    return False


def _value_at(case: Any, location: str) -> Any:
    """The request value at a problem location such as `body.items.0.quantity` (keys may
    contain dots themselves: `body.policy.category_windows.e.g`)."""
    if not location.startswith("body."):
        return None
    return _find(case.body, location.removeprefix("body."))


def _find(value: Any, rest: str) -> Any:
    if isinstance(value, list):
        head, _, tail = rest.partition(".")
        if head.isdigit() and int(head) < len(value):
            return _find(value[int(head)], tail) if tail else value[int(head)]
        return None
    if isinstance(value, dict):
        for key, inner in value.items():
            if rest == key:
                return inner
            if rest.startswith(f"{key}."):
                found = _find(inner, rest[len(key) + 1 :])
                if found is not None:
                    return found
    return None
