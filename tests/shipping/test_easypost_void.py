"""Voiding an EasyPost label: EasyPost calls it a refund of the shipment."""

from __future__ import annotations

import pytest

from returns_api.shipping.carrier import CarrierError, Label
from returns_api.shipping.easypost_carrier import EasyPostCarrier
from tests.shipping.conftest import EASYPOST_API_KEY
from tests.shipping.easypost_server import EasyPostServer, load_fixture

RECORDED_BUY = load_fixture("shipment_buy.json")
LABEL = Label(
    carrier="usps",
    tracking_number=RECORDED_BUY["tracking_code"],
    carrier_shipment_id=RECORDED_BUY["id"],
)


@pytest.fixture
def carrier(easypost_server: EasyPostServer) -> EasyPostCarrier:
    return EasyPostCarrier(EASYPOST_API_KEY, webhook_secret=None, api_base=easypost_server.url)


def test_void_asks_easypost_to_refund_the_shipment(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    carrier.void(LABEL)

    [refund] = easypost_server.requests
    assert refund.method == "POST"
    assert refund.path == f"/v2/shipments/{LABEL.carrier_shipment_id}/refund"


def test_a_rejected_refund_is_an_error(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    easypost_server.responses["refund"] = {
        **load_fixture("shipment_refund.json"),
        "refund_status": "rejected",
    }

    with pytest.raises(CarrierError) as raised:
        carrier.void(LABEL)

    assert raised.value.retryable is False


def test_a_void_easypost_fails_is_retryable(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    easypost_server.fail_next(1, status=503)

    with pytest.raises(CarrierError) as raised:
        carrier.void(LABEL)

    assert raised.value.retryable is True


def test_an_unknown_shipment_is_not_retryable(
    carrier: EasyPostCarrier, easypost_server: EasyPostServer
) -> None:
    easypost_server.fail_next(1, status=404)

    with pytest.raises(CarrierError) as raised:
        carrier.void(LABEL)

    assert raised.value.retryable is False


def test_a_label_without_its_shipment_id_cannot_be_voided(carrier: EasyPostCarrier) -> None:
    with pytest.raises(CarrierError) as raised:
        carrier.void(Label(carrier="usps", tracking_number="1"))

    assert raised.value.retryable is False
