"""Return methods and warehouses of the policy, pure: which fee a return by a method is
charged, which warehouse a country's returns go to, and what a quote offers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from returns_api.policies.document import PolicyDocument
from returns_api.returns.breakdown import fee_terms
from returns_api.returns.return_options import return_address, return_options


def methods(*fees: int | None) -> list[dict[str, Any]]:
    return [{"code": f"m{i}", "label": f"Method {i}", "fee": fee} for i, fee in enumerate(fees)]


def warehouse(code: str, *countries: str) -> dict[str, Any]:
    address = {"lines": ["Street 1"], "city": "City", "country": "DE"}
    return {"code": code, "name": code.upper(), "address": address, "countries": list(countries)}


def test_a_stored_method_without_the_new_fields_still_validates() -> None:
    stored = {"return_methods": [{"code": "mail", "label": "By post", "instructions": "Go"}]}
    method = PolicyDocument.model_validate(stored).return_methods[0]
    assert (method.kind, method.carrier, method.paid_by, method.fee) == (
        "customer_ships",
        None,
        "customer",
        None,
    )
    assert PolicyDocument.model_validate(stored).warehouses == []


def test_a_methods_fee_replaces_the_policy_fee_and_none_keeps_it() -> None:
    policy = PolicyDocument.model_validate(
        {"return_shipping_fee": 300, "return_methods": methods(450, 0, None)}
    )
    assert [policy.return_shipping_fee_for(code) for code in ("m0", "m1", "m2")] == [450, 0, 300]
    assert policy.return_shipping_fee_for("unknown") == 300
    assert fee_terms(policy, "m0").return_shipping_fee == 450
    assert fee_terms(policy, "m2").return_shipping_fee == 300


def test_options_carry_each_methods_fee_unless_the_merchant_is_at_fault() -> None:
    policy = PolicyDocument.model_validate(
        {"return_shipping_fee": 300, "return_methods": methods(450, None)}
    )
    assert [o.fee for o in return_options(policy, ["size_fit"])] == [450, 300]
    assert [o.fee for o in return_options(policy, ["size_fit", "damaged"])] == [0, 0]
    assert [o.fee for o in return_options(policy, ["no_such_reason"])] == [450, 300]


@pytest.mark.parametrize(
    ("warehouses", "country", "chosen"),
    [
        ([warehouse("uk", "GB"), warehouse("eu")], "GB", "uk"),
        ([warehouse("uk", "GB"), warehouse("eu")], "FR", "eu"),
        ([warehouse("uk", "GB"), warehouse("eu")], None, "eu"),
        ([warehouse("uk", "GB"), warehouse("nl", "NL")], "FR", "uk"),  # no default: the first
        ([], "FR", None),
    ],
)
def test_the_warehouse_is_the_countrys_else_the_default_else_the_first(
    warehouses: list[dict[str, Any]], country: str | None, chosen: str | None
) -> None:
    policy = PolicyDocument.model_validate({"warehouses": warehouses})
    found = return_address(policy, country)
    assert (found.code if found else None) == chosen


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"return_methods": methods(-1)}, "greater than or equal to 0"),
        ({"return_methods": [{"code": "x", "label": "X", "kind": "pigeon"}]}, "kind"),
        ({"warehouses": [warehouse("a"), warehouse("a", "FR")]}, "codes must be unique"),
        ({"warehouses": [warehouse("a", "FR"), warehouse("b", "FR")]}, "one warehouse only"),
    ],
)
def test_bad_methods_and_warehouses_are_refused(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PolicyDocument.model_validate(document)
