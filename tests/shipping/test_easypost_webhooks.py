"""EasyPost's tracking webhook: the signature is checked before anything is read, and a tracker's
status becomes our scan. The event is EasyPost's recorded `tracker.updated`
(tests/fixtures/easypost/event_tracker_updated.json); variants change only what they name."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest

from returns_api.shipping.carrier import InvalidSignature, TrackingScan
from returns_api.shipping.easypost_carrier import EasyPostCarrier
from tests.shipping.easypost_server import FIXTURES, sign_webhook

SECRET = "sécret"  # not ASCII: EasyPost normalises the secret (NFKD) before the HMAC
EVENT_BODY = (FIXTURES / "event_tracker_updated.json").read_bytes()


@pytest.fixture
def carrier() -> EasyPostCarrier:
    # No call reaches the API here: the base points nowhere on purpose.
    return EasyPostCarrier("EZTK_unused", webhook_secret=SECRET, api_base="http://127.0.0.1:9/v2")


def variant(*, description: str | None = None, **tracker_changes: Any) -> bytes:
    """The recorded event with the tracker's fields (or the event's description) changed."""
    event = json.loads(EVENT_BODY)
    if description is not None:
        event["description"] = description
    event["result"].update(tracker_changes)
    return json.dumps(event, separators=(",", ":")).encode()


def scans(carrier: EasyPostCarrier, body: bytes) -> list[TrackingScan]:
    return carrier.tracking_scans(body, sign_webhook(body, SECRET))


def test_a_signed_tracker_update_gives_one_in_transit_scan(carrier: EasyPostCarrier) -> None:
    assert scans(carrier, EVENT_BODY) == [
        TrackingScan(
            tracking_number="1",
            status="in_transit",
            occurred_at=datetime(2024, 8, 2, 18, 50, tzinfo=UTC),  # the newest detail
            description="Arrived at FedEx location",
            carrier="fedex",
        )
    ]


def test_the_signature_header_is_found_whatever_its_case(carrier: EasyPostCarrier) -> None:
    [(name, value)] = sign_webhook(EVENT_BODY, SECRET).items()

    assert len(carrier.tracking_scans(EVENT_BODY, {name.lower(): value})) == 1


def test_the_secret_is_compared_in_its_normal_form(carrier: EasyPostCarrier) -> None:
    decomposed = unicodedata.normalize("NFD", SECRET)  # "e" + combining accent
    assert decomposed != SECRET

    assert len(carrier.tracking_scans(EVENT_BODY, sign_webhook(EVENT_BODY, decomposed))) == 1


def test_a_tampered_body_is_refused(carrier: EasyPostCarrier) -> None:
    headers = sign_webhook(EVENT_BODY, SECRET)
    tampered = EVENT_BODY.replace(b'"status":"in_transit"', b'"status":"delivered"', 1)
    assert tampered != EVENT_BODY

    with pytest.raises(InvalidSignature):
        carrier.tracking_scans(tampered, headers)


def test_a_body_signed_with_another_secret_is_refused(carrier: EasyPostCarrier) -> None:
    with pytest.raises(InvalidSignature):
        carrier.tracking_scans(EVENT_BODY, sign_webhook(EVENT_BODY, "not the secret"))


def test_an_unsigned_delivery_is_refused(carrier: EasyPostCarrier) -> None:
    with pytest.raises(InvalidSignature):
        carrier.tracking_scans(EVENT_BODY, {})


def test_without_a_configured_secret_every_delivery_is_refused() -> None:
    carrier = EasyPostCarrier("EZTK_unused", webhook_secret=None)

    with pytest.raises(InvalidSignature):
        carrier.tracking_scans(EVENT_BODY, sign_webhook(EVENT_BODY, ""))


@pytest.mark.parametrize(
    ("easypost_status", "scan_status"),
    [
        ("in_transit", "in_transit"),
        ("out_for_delivery", "in_transit"),
        ("available_for_pickup", "in_transit"),
        ("delivered", "delivered"),
        ("return_to_sender", "exception"),
        ("failure", "exception"),
        ("error", "exception"),
        ("cancelled", "exception"),
    ],
)
def test_a_tracker_status_becomes_our_scan_status(
    carrier: EasyPostCarrier, easypost_status: str, scan_status: str
) -> None:
    [scan] = scans(carrier, variant(status=easypost_status))

    assert scan.status == scan_status


@pytest.mark.parametrize("easypost_status", ["pre_transit", "unknown", "a_status_added_later"])
def test_nothing_moving_yet_gives_no_scan(carrier: EasyPostCarrier, easypost_status: str) -> None:
    assert scans(carrier, variant(status=easypost_status)) == []


def test_a_created_tracker_is_read_as_an_update(carrier: EasyPostCarrier) -> None:
    assert len(scans(carrier, variant(description="tracker.created"))) == 1


def test_an_event_about_something_else_gives_no_scans(carrier: EasyPostCarrier) -> None:
    assert scans(carrier, variant(description="batch.created")) == []


def test_a_tracker_without_details_is_dated_by_the_event(carrier: EasyPostCarrier) -> None:
    [scan] = scans(carrier, variant(tracking_details=[]))

    assert scan.occurred_at == datetime(2024, 8, 2, 19, 26, 52, tzinfo=UTC)
    assert scan.description is None


def test_a_signed_body_that_is_not_json_gives_no_scans(carrier: EasyPostCarrier) -> None:
    assert scans(carrier, b"{not json") == []
    assert scans(carrier, b"[]") == []
