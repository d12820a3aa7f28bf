"""The ways a return may travel back, as a quote shows them: each of the policy's methods
with the return-shipping fee a return by it would be charged, and where the parcel goes.
Pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable

from returns_api.policies.document import PolicyDocument
from returns_api.returns.parcel_schemas import ReturnAddressOut
from returns_api.returns.quote_schemas import ReturnOption
from returns_api.returns.refund_math import return_shipping_waived
from returns_api.returns.shipments import ShipmentPlan


def return_options(policy: PolicyDocument, reasons: Iterable[str]) -> list[ReturnOption]:
    """Every method of `policy` (each is offered for every return today), with its fee for a
    return of items with these reason codes: waived by the refund's rule, when any reason is
    the merchant's fault (unknown codes count as not)."""
    known = policy.reasons_by_code
    waived = return_shipping_waived(known[r].merchant_fault for r in reasons if r in known)
    return [
        ReturnOption(
            code=method.code,
            label=method.label,
            kind=method.kind,
            carrier=method.carrier,
            paid_by=method.paid_by,
            fee=0 if waived else policy.return_shipping_fee_for(method.code),
        )
        for method in policy.return_methods
    ]


def return_address(policy: PolicyDocument, country: str | None) -> ReturnAddressOut | None:
    """The warehouse a return shipped from `country` goes to; None without warehouses."""
    warehouse = policy.warehouse_for(country)
    if warehouse is None:
        return None
    return ReturnAddressOut(code=warehouse.code, name=warehouse.name, address=warehouse.address)


def shipment_plan(
    policy: PolicyDocument, method_code: str, country: str | None
) -> ShipmentPlan | None:
    """The parcel a return by `method_code` sends: its kind, carrier and warehouse (chosen by
    the order's country). None for a method the policy no longer has."""
    method = policy.methods_by_code.get(method_code)
    if method is None:
        return None
    warehouse = return_address(policy, country)
    return ShipmentPlan(
        method=method.code,
        kind=method.kind,
        carrier=method.carrier,
        destination=warehouse.model_dump(mode="json") if warehouse is not None else None,
    )
