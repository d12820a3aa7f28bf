"""How a parcel travels back and where it goes: the policy's return methods and warehouses.

A method's `kind`, `carrier` and `paid_by` tell the customer (and, later, the label work)
how the parcel travels; only its `fee` changes money: when set, it replaces the policy-wide
`return_shipping_fee` for returns by that method, under the same waiver (no fee when any
item is the merchant's fault).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from returns_api.orders.schemas import Address

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

# Named aliases: the OpenAPI document (and generated clients) show each as one enum schema.
ReturnMethodKind = TypeAliasType(
    "ReturnMethodKind", Literal["prepaid_label", "drop_off_qr", "customer_ships", "in_store"]
)
ShippingPayer = TypeAliasType("ShippingPayer", Literal["merchant", "customer"])


class ReturnMethod(BaseModel):
    """How the parcel travels back, with the instructions the customer is given."""

    # strict, like the policy: `false` is not a fee.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    code: Code
    label: str = Field(min_length=1, max_length=200)
    instructions: str = Field(default="", max_length=4000)
    kind: ReturnMethodKind = Field(
        default="customer_ships",
        description="`prepaid_label`: the customer gets a label; `drop_off_qr`: a QR code to "
        "show at a drop-off point; `customer_ships`: the customer sends it their own way; "
        "`in_store`: brought to a store.",
    )
    carrier: Code | None = Field(
        default=None, description="The carrier's code (e.g. `dhl`), when one is used."
    )
    paid_by: ShippingPayer = Field(
        default="customer",
        description="Who pays the carrier. Informational: what the refund deducts is `fee`.",
    )
    fee: Annotated[int, Field(ge=0, le=10**12)] | None = Field(
        default=None,
        description="Return-shipping fee of a return by this method, minor units; replaces "
        "the policy's `return_shipping_fee` (waived, as that is, when any item is the "
        "merchant's fault). Null: the policy's fee applies.",
    )


class Warehouse(BaseModel):
    """A return address; `countries` are the shipping countries whose returns go there."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    code: Code
    name: str = Field(min_length=1, max_length=200)
    address: Address
    countries: list[CountryCode] = Field(
        default_factory=list,
        max_length=300,
        description="ISO 3166-1 alpha-2 codes; empty: the default warehouse.",
    )
