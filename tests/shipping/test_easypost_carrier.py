"""The EasyPost adapter, through the official SDK, against a local server that answers with the
responses EasyPost recorded (tests/fixtures/easypost)."""

from __future__ import annotations

import dataclasses
import socket
import uuid
from typing import Any

import pytest

from returns_api.shipping.carrier import (
    CarrierError,
    Label,
    LabelRequest,
    Party,
)
from returns_api.shipping.easypost_carrier import EasyPostCarrier
from tests.shipping.conftest import EASYPOST_API_KEY
from tests.shipping.easypost_server import EasyPostServer, load_fixture

RECORDED_BUY = load_fixture("shipment_buy.json")
RECORDED_SHIPMENT_ID = RECORDED_BUY["id"]

CUSTOMER = Party(
    name="Ada Lovelace",
    address={
        "lines": ["179 N Harbor Dr", "Apt 2", "Back entrance"],
        "city": "Redondo Beach",
        "postal_code": "90277",
        "region": "CA",
        "country": "US",
    },
    email="ada@example.com",
    phone="5555555555",
)
WAREHOUSE = Party(
    name="Returns Desk",
    address={
        "lines": ["388 Townsend St"],
        "city": "San Francisco",
        "postal_code": "94107",
        "region": "CA",
        "country": "US",
    },
)
REQUEST = LabelRequest(
    shipment_id=uuid.UUID("0b9f6d9e-5d1c-4c53-9a55-3c1d2f0e7a10"),
    rma_number="RMA-1001",
    order_number="1001",
    kind="prepaid_label",
    carrier="usps",
    service=None,
    sender=CUSTOMER,
    recipient=WAREHOUSE,
)


@pytest.fixture
def carrier(easypost_server: EasyPostServer) -> EasyPostCarrier:
    return EasyPostCarrier(EASYPOST_API_KEY, webhook_secret=None, api_base=easypost_server.url)


def buy_request(server: EasyPostServer) -> dict[str, Any]:
    [buy] = server.calls_to("/buy")
    body: dict[str, Any] = buy.body
    return body


# Buying a label


def test_buying_a_label_returns_the_recorded_tracking_number_and_label(
    carrier: EasyPostCarrier,
) -> None:
    label = carrier.create_return_shipment(REQUEST)

    assert label == Label(
        carrier="usps",
        tracking_number="9400100105442285876350",
        carrier_shipment_id=RECORDED_SHIPMENT_ID,
        # The recorded label is a PNG: there is no `label_pdf_url` to prefer.
        label_url=RECORDED_BUY["postage_label"]["label_url"],
    )


def test_the_shipment_is_created_as_a_return_with_our_shipment_id_as_reference(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    carrier.create_return_shipment(REQUEST)

    create = easypost_server.requests[0]
    assert (create.method, create.path) == ("POST", "/v2/shipments")
    shipment = create.body["shipment"]
    assert shipment["is_return"] is True
    assert shipment["reference"] == str(REQUEST.shipment_id)
    assert shipment["options"] == {"label_format": "PDF"}
    assert shipment["parcel"]["weight"] > 0
    # Named as for the outbound parcel; EasyPost swaps them for a return.
    assert shipment["to_address"] == {
        "name": "Ada Lovelace",
        "street1": "179 N Harbor Dr",
        "street2": "Apt 2, Back entrance",
        "city": "Redondo Beach",
        "state": "CA",
        "zip": "90277",
        "country": "US",
        "email": "ada@example.com",
        "phone": "5555555555",
    }
    assert shipment["from_address"]["name"] == "Returns Desk"
    assert "street2" not in shipment["from_address"]
    assert create.headers["authorization"] == f"Bearer {EASYPOST_API_KEY}"


def test_the_cheapest_rate_of_the_carrier_is_bought(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    carrier.create_return_shipment(REQUEST)

    # 5.93 three times over; the first listed, as EasyPost's own recording bought.
    assert buy_request(easypost_server) == {"rate": {"id": "rate_b936eae682e543b1a6550ea120e81a3e"}}
    assert easypost_server.calls_to("/buy")[0].path == f"/v2/shipments/{RECORDED_SHIPMENT_ID}/buy"


def test_a_named_service_is_bought_even_when_dearer(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    carrier.create_return_shipment(dataclasses.replace(REQUEST, service="Priority"))

    assert buy_request(easypost_server) == {"rate": {"id": "rate_7eb8606e070a4df19b70de813f9bea9d"}}


def test_a_carrier_without_a_rate_is_not_retryable_and_nothing_is_bought(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(dataclasses.replace(REQUEST, carrier="fedex"))

    assert raised.value.retryable is False
    assert "DhlEcs" in str(raised.value)  # the shipment's rate messages say why
    assert easypost_server.calls_to("/buy") == []


def test_the_pdf_label_and_the_drop_off_code_are_taken_when_easypost_has_them(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    bought = load_fixture("shipment_buy.json")
    bought["postage_label"]["label_pdf_url"] = "https://files.example/label.pdf"
    bought["forms"] = [
        {
            "object": "Form",
            "id": "form_0c1d2e3f",
            "mode": "test",
            "form_type": "label_qr_code",
            "form_url": "https://files.example/qr.png",
            "submitted_electronically": None,
            "created_at": "2023-11-28T22:08:53Z",
            "updated_at": "2023-11-28T22:08:53Z",
        }
    ]
    easypost_server.responses["buy"] = bought

    label = carrier.create_return_shipment(dataclasses.replace(REQUEST, kind="drop_off_qr"))

    assert label.label_url == "https://files.example/label.pdf"
    assert label.qr_url == "https://files.example/qr.png"


# Failures


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_server_error_or_a_rate_limit_is_retryable(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer, status: int
) -> None:
    easypost_server.fail_next(1, status=status)

    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(REQUEST)

    assert raised.value.retryable is True
    assert f"HTTP {status}" in str(raised.value)
    assert len(easypost_server.requests) == 1  # the SDK does not retry by itself


def test_once_the_failures_pass_the_label_is_bought(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    easypost_server.fail_next(2)

    for _ in range(2):
        with pytest.raises(CarrierError):
            carrier.create_return_shipment(REQUEST)
    label = carrier.create_return_shipment(REQUEST)

    assert label.tracking_number == "9400100105442285876350"


def test_a_failed_buy_names_the_shipment_it_may_have_bought(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    easypost_server.fail_next(1, status=504, path_suffix="/buy")

    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(REQUEST)

    assert raised.value.retryable is True
    assert f"could not buy {RECORDED_SHIPMENT_ID}" in str(raised.value)
    assert [r.path for r in easypost_server.requests] == [
        "/v2/shipments",
        f"/v2/shipments/{RECORDED_SHIPMENT_ID}/buy",
    ]


def test_a_rejected_request_is_not_retryable_and_says_why(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    easypost_server.fail_next(1, status=422)

    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(REQUEST)

    assert raised.value.retryable is False
    assert "Missing required parameter. [shipment: cannot be blank] (HTTP 422)" in str(raised.value)


def test_a_wrong_api_key_is_refused_and_not_retryable(easypost_server: EasyPostServer) -> None:
    wrong_key = "EZTK_not_the_right_one"
    carrier = EasyPostCarrier(wrong_key, webhook_secret=None, api_base=easypost_server.url)

    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(REQUEST)

    assert raised.value.retryable is False
    assert "HTTP 401" in str(raised.value)
    assert wrong_key not in str(raised.value)
    assert easypost_server.requests[0].headers["authorization"] == f"Bearer {wrong_key}"


def test_an_unreachable_easypost_is_retryable() -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    carrier = EasyPostCarrier(
        EASYPOST_API_KEY, webhook_secret=None, api_base=f"http://127.0.0.1:{port}/v2"
    )

    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(REQUEST)

    assert raised.value.retryable is True
    assert EASYPOST_API_KEY not in str(raised.value)


def test_a_timeout_is_retryable(easypost_server: EasyPostServer) -> None:
    carrier = EasyPostCarrier(
        EASYPOST_API_KEY, webhook_secret=None, api_base=easypost_server.url, timeout=1
    )
    easypost_server.stall_next(3)

    with pytest.raises(CarrierError) as raised:
        carrier.create_return_shipment(REQUEST)

    assert raised.value.retryable is True
