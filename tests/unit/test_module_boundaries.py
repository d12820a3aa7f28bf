"""Dependencies point one way, and each contract is written once."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, fields

from pydantic import TypeAdapter

from returns_api.returns.refund_math import FeeTerms, ItemBreakdown, compute_refund
from returns_api.returns.schemas import ItemRefundLine
from tests.unit.test_refund_math import make_item, make_line


def loaded_by(module: str) -> set[str]:
    """The returns_api modules that importing `module` loads, in a fresh interpreter."""
    script = (
        f"import sys, {module}; "
        "print(__import__('json').dumps(sorted(m for m in sys.modules "
        "if m.startswith('returns_api'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


def test_the_policy_document_does_not_depend_on_returns() -> None:
    loaded = loaded_by("returns_api.policies.document")
    assert not {m for m in loaded if m.startswith("returns_api.returns")}


def test_the_refund_arithmetic_needs_only_the_resolution_vocabulary() -> None:
    loaded = loaded_by("returns_api.returns.refund_math")
    assert loaded == {
        "returns_api",
        "returns_api.policies",
        "returns_api.policies.resolutions",
        "returns_api.returns",
        "returns_api.returns.refund_math",
    }


def test_the_api_refund_line_is_the_domain_breakdown_field_for_field() -> None:
    schema = TypeAdapter(ItemRefundLine).json_schema()
    names = [f.name for f in fields(ItemBreakdown)]
    assert list(schema["properties"]) == names
    assert schema["required"] == names


def test_a_computed_breakdown_line_is_shown_as_it_is() -> None:
    line = make_line(quantity=2, unit_price=1000, discount=100, tax=190)
    item = make_item(line, quantity=1, resolution="store_credit")
    computed = compute_refund([item], FeeTerms(restocking_fee_bps=1000)).items[0]
    shown = TypeAdapter(ItemRefundLine).validate_python(asdict(computed))
    assert asdict(shown) == asdict(computed)
    assert TypeAdapter(ItemRefundLine).dump_python(shown) == asdict(computed)
