"""EasyPost as a carrier: return labels bought through the official SDK (`easypost` 10.x), and
tracking read from EasyPost's signed `tracker.*` webhooks.

EasyPost is a broker: `request.carrier` names one of the carriers it rates (`"usps"`, `"ups"`),
and the label it sells is that carrier's, so the `Label` names that carrier, not EasyPost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

# From the defining modules: the SDK's package `__init__`s re-export implicitly, which mypy
# --strict does not follow.
from easypost.constant import TIMEOUT as SDK_TIMEOUT
from easypost.easypost_client import EasyPostClient
from easypost.errors.api.http_error import HttpError
from easypost.errors.api.json_error import JsonError
from easypost.errors.api.timeout_error import TimeoutError as EasyPostTimeout
from easypost.errors.general.easypost_error import EasyPostError
from easypost.errors.general.filtering_error import FilteringError
from easypost.errors.general.signature_verification_error import SignatureVerificationError
from easypost.util import validate_webhook

from returns_api.shipping.carrier import (
    CarrierError,
    InvalidSignature,
    Label,
    LabelRequest,
    Party,
    ScanStatus,
    TrackingScan,
)

log = structlog.get_logger(__name__)

# A LabelRequest carries no weights, and EasyPost rates by weight (in ounces): every return is
# rated as one parcel of one pound. The carrier bills what it weighs, so this sets the quote only.
DEFAULT_PARCEL: Mapping[str, float] = {"weight": 16.0}

# EasyPost's tracker statuses. `pre_transit` (a label exists) and `unknown` say nothing has
# moved yet, so they are no scan; a status EasyPost adds later is no scan either, and logged.
_SCAN_STATUS: Mapping[str, ScanStatus | None] = {
    "pre_transit": None,
    "unknown": None,
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "available_for_pickup": "in_transit",
    "delivered": "delivered",
    "return_to_sender": "exception",
    "failure": "exception",
    "error": "exception",
    "cancelled": "exception",
}
_TRACKER_EVENTS = frozenset({"tracker.created", "tracker.updated"})
_SIGNATURE_HEADER = "x-hmac-signature"
# Without an HTTP status the SDK failed to talk to EasyPost or to read its answer: worth a retry.
_TRANSPORT_ERRORS = (HttpError, EasyPostTimeout, JsonError)
_RATE_NOTES_SHOWN = 5


class EasyPostCarrier:
    """The `Carrier` protocol over the EasyPost API (synchronous, as the SDK is)."""

    code = "easypost"

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str | None,
        api_base: str | None = None,
        carrier_accounts: Sequence[str] = (),
        label_format: str = "PDF",
        # Generous, as the SDK's own default: a buy that times out may still have been bought,
        # and the retry would buy a second label.
        timeout: int = SDK_TIMEOUT,
    ) -> None:
        client_options: dict[str, Any] = {"timeout": timeout}
        if api_base is not None:
            client_options["api_base"] = api_base.rstrip("/")
        self._client = EasyPostClient(api_key, **client_options)
        self._api_key = api_key
        self._webhook_secret = webhook_secret or None
        self._carrier_accounts = tuple(carrier_accounts)
        self._label_format = label_format

    def create_return_shipment(self, request: LabelRequest) -> Label:
        """Create the shipment as a return, then buy its cheapest rate of the asked carrier and
        service."""
        try:
            shipment = self._client.shipment.create(**self._shipment_params(request))
        except EasyPostError as exc:
            raise self._carrier_error(exc, "create the return shipment") from exc
        rate = _lowest_rate(shipment, request)
        try:
            bought = self._client.shipment.buy(shipment.id, rate=rate)
        except EasyPostError as exc:  # named: a timed-out buy may have gone through
            raise self._carrier_error(exc, f"buy {shipment.id}") from exc
        return _label(bought, rate)

    def void(self, label: Label) -> None:
        """Ask EasyPost to refund the unused label (its word for voiding one)."""
        if not label.carrier_shipment_id:
            raise CarrierError(
                "an EasyPost label needs its shipment id to be voided", retryable=False
            )
        try:
            shipment = self._client.shipment.refund(label.carrier_shipment_id)
        except EasyPostError as exc:
            raise self._carrier_error(exc, f"void {label.carrier_shipment_id}") from exc
        if shipment.get("refund_status") == "rejected":
            raise CarrierError(
                f"EasyPost rejected the refund of {label.carrier_shipment_id}", retryable=False
            )

    def tracking_scans(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingScan]:
        """The scan a signed `tracker.created`/`tracker.updated` event holds, if any.

        A body that is signed but not a JSON object gives no scans (logged) rather than an
        error: EasyPost would only deliver the same bytes again, and disables a webhook that
        keeps failing."""
        if self._webhook_secret is None:
            raise InvalidSignature(
                "no EasyPost webhook secret is configured: unsigned deliveries are refused"
            )
        signature = next((v for k, v in headers.items() if k.lower() == _SIGNATURE_HEADER), None)
        if signature is not None and not signature.isascii():
            # The SDK's compare_digest raises TypeError on it: refused like any bad signature.
            raise InvalidSignature("the X-Hmac-Signature header is not ASCII")
        try:
            event = validate_webhook(body, {"X-Hmac-Signature": signature}, self._webhook_secret)
        except SignatureVerificationError as exc:
            raise InvalidSignature(str(exc)) from exc
        except ValueError:  # signed, but not JSON (or not UTF-8)
            log.warning("easypost_webhook_unreadable", size=len(body))
            return []
        if not isinstance(event, dict):
            log.warning("easypost_webhook_unreadable", size=len(body))
            return []
        scan = _scan(event)
        return [scan] if scan is not None else []

    def _shipment_params(self, request: LabelRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            # With `is_return` EasyPost swaps the two addresses: they are named as for the
            # outbound parcel (warehouse to customer), and the label carries it back.
            "is_return": True,
            "to_address": _address(request.sender),
            "from_address": _address(request.recipient),
            "parcel": dict(DEFAULT_PARCEL),
            # Ours, on EasyPost's side: a retried purchase can be found there by it.
            "reference": str(request.shipment_id),
            "options": {"label_format": self._label_format},
        }
        if self._carrier_accounts:
            params["carrier_accounts"] = list(self._carrier_accounts)
        return params

    def _carrier_error(self, exc: EasyPostError, doing: str) -> CarrierError:
        status = getattr(exc, "http_status", None)
        if isinstance(status, int):
            retryable = status >= 500 or status in (408, 429)
        else:
            retryable = isinstance(exc, _TRANSPORT_ERRORS)
        message = f"EasyPost: could not {doing}: {_describe(exc)}"
        if isinstance(status, int):
            message += f" (HTTP {status})"
        if self._api_key:  # the SDK never puts it in a message; make sure of it
            message = message.replace(self._api_key, "[redacted]")
        return CarrierError(message, retryable=retryable)


def _address(party: Party | None) -> dict[str, Any]:
    """A Party as an EasyPost Address. EasyPost has two street lines: a third joins the second.
    A carrier cannot do without one (the built-in label can): refused, not worth a retry."""
    if party is None or party.address is None:
        raise CarrierError(
            "EasyPost needs both addresses: the order's shipping address and a warehouse "
            "in the return policy",
            retryable=False,
        )
    address = party.address
    lines = [str(line) for line in address.get("lines") or ()]
    fields = {
        "name": party.name,
        "street1": lines[0] if lines else None,
        "street2": ", ".join(lines[1:]) or None,
        "city": address.get("city"),
        "state": address.get("region"),
        "zip": address.get("postal_code"),
        "country": address.get("country"),
        "email": party.email,
        "phone": party.phone,
    }
    return {name: value for name, value in fields.items() if value is not None}


def _lowest_rate(shipment: Any, request: LabelRequest) -> Any:
    carriers = [request.carrier] if request.carrier else None
    services = [request.service] if request.service else None
    try:
        return shipment.lowest_rate(carriers, services)
    except FilteringError:
        # The shipment's `messages` say why carriers gave no rate (bad address, no service).
        notes = [
            f"{note.get('carrier')}: {note.get('message')}"
            for note in (shipment.get("messages") or [])[:_RATE_NOTES_SHOWN]
        ]
        raise CarrierError(
            f"EasyPost: no rate for carrier {request.carrier!r}, service {request.service!r} on "
            f"{shipment.id}" + (f" ({'; '.join(notes)})" if notes else ""),
            retryable=False,
        ) from None


def _label(bought: Any, rate: Any) -> Label:
    tracking_code = bought.get("tracking_code")
    if not tracking_code:
        raise CarrierError(
            f"EasyPost bought {bought.id} but returned no tracking code", retryable=False
        )
    postage = bought.get("postage_label")
    label_url = (postage.get("label_pdf_url") or postage.get("label_url")) if postage else None
    selected = bought.get("selected_rate") or rate
    qr_url = next(
        (
            form.get("form_url")
            for form in bought.get("forms") or []
            if form.get("form_type") == "label_qr_code"
        ),
        None,
    )
    return Label(
        carrier=str(selected.get("carrier") or rate.carrier).lower(),
        tracking_number=str(tracking_code),
        carrier_shipment_id=bought.id,
        label_url=label_url,
        qr_url=qr_url,
    )


def _describe(exc: EasyPostError) -> str:
    """The carrier's message, with the fields it blames (EasyPost's `FieldError`s)."""
    message = str(getattr(exc, "message", "") or exc)
    blamed: list[str] = []
    for error in getattr(exc, "errors", None) or []:
        if isinstance(error, dict):
            blamed.append(f"{error.get('field')}: {error.get('message')}")
        elif isinstance(error, str):
            blamed.append(error)
    return f"{message} [{'; '.join(blamed)}]" if blamed else message


def _scan(event: Mapping[str, Any]) -> TrackingScan | None:
    if event.get("description") not in _TRACKER_EVENTS:
        return None
    tracker = event.get("result")
    if not isinstance(tracker, dict):
        return None
    tracking_code = tracker.get("tracking_code")
    raw_status = tracker.get("status")
    if raw_status not in _SCAN_STATUS:
        log.warning("easypost_unknown_tracker_status", status=raw_status)
    status = _SCAN_STATUS.get(str(raw_status))
    if status is None or not isinstance(tracking_code, str) or not tracking_code:
        return None
    latest_time, latest_message = _latest_detail(tracker.get("tracking_details"))
    occurred_at = latest_time or _aware(event.get("updated_at")) or _aware(event.get("created_at"))
    if occurred_at is None:
        log.warning("easypost_tracker_event_without_time", event_id=event.get("id"))
        return None
    carrier = tracker.get("carrier")
    return TrackingScan(
        tracking_number=tracking_code,
        status=status,
        occurred_at=occurred_at,
        description=latest_message,
        carrier=carrier.lower() if isinstance(carrier, str) else None,
    )


def _latest_detail(details: object) -> tuple[datetime | None, str | None]:
    """The newest tracking detail's time and message; of equal times, the one listed last."""
    latest: tuple[datetime, int, str | None] | None = None
    for position, detail in enumerate(details if isinstance(details, list) else []):
        if not isinstance(detail, dict):
            continue
        moment = _aware(detail.get("datetime"))
        if moment is None:
            continue
        message = detail.get("message")
        candidate = (moment, position, message if isinstance(message, str) else None)
        if latest is None or candidate[:2] > latest[:2]:
            latest = candidate
    return (latest[0], latest[2]) if latest else (None, None)


def _aware(value: object) -> datetime | None:
    """An EasyPost time (ISO 8601, UTC) as an aware datetime; a naive one is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
