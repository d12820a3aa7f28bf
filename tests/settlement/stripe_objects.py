"""Stripe's JSON for the local server and the webhook tests: Refund objects and Event envelopes
made from the OpenAPI fixtures (tests/fixtures/stripe), error bodies in Stripe's documented
shape, and the `Stripe-Signature` header as Stripe signs deliveries."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe"
# Stripe's fixtures say `created: 1234567890`; ours count up from there, never from today.
FIXTURE_CREATED = 1234567890

# Stripe's error `type` per status (docs.stripe.com/api/errors); 401 is an invalid request.
_ERROR_TYPES = {429: "invalid_request_error", 401: "invalid_request_error"}
_DEFAULT_MESSAGES = {
    429: "Too many requests hit the API too quickly. We recommend an exponential backoff "
    "of your requests.",
    500: "An unknown error occurred",
}


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def refund_object(
    *,
    number: int,
    amount: int,
    currency: str,
    payment_intent: str,
    charge: str,
    status: str,
    metadata: dict[str, str],
) -> dict[str, Any]:
    """Stripe's fixture Refund with what this refund changes in it."""
    refund: dict[str, Any] = load_fixture("refund.json")
    refund.update(
        id=f"re_{number:024d}",
        amount=amount,
        currency=currency,
        payment_intent=payment_intent,
        charge=charge,
        created=FIXTURE_CREATED + number,
        status=status,
        metadata=dict(metadata),
    )
    return refund


def event_body(event_type: str, data_object: dict[str, Any], *, number: int = 1) -> bytes:
    """A webhook delivery's body: Stripe's fixture Event around `data_object`, compact as
    Stripe sends it (the signature is over these bytes)."""
    event: dict[str, Any] = load_fixture("event.json")
    event.update(
        id=f"evt_{number:024d}",
        type=event_type,
        created=FIXTURE_CREATED + number,
        data={"object": copy.deepcopy(data_object)},
    )
    return json.dumps(event, separators=(",", ":")).encode()


def sign_event(payload: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The `Stripe-Signature` header as Stripe documents it (docs.stripe.com/webhooks,
    "Verify signatures manually"): `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`, keyed
    by the endpoint's secret. Now by default: the SDK refuses one older than 300 seconds."""
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={moment},v1={digest}"}


def masked_key(key: str) -> str:
    """A key as Stripe's 401 shows it: the mode prefix and the last four characters."""
    prefix, _, rest = key.rpartition("_")
    return f"{prefix}_{'*' * max(len(rest) - 4, 0)}{rest[-4:]}" if prefix else "*" * len(key)


def error_body(
    status: int, message: str | None = None, *, error_type: str | None = None, code: str = ""
) -> dict[str, Any]:
    """Stripe's error object (`{"error": {"type", "message", "code"?, ...}}`); no recorded
    error body was at hand, so the fields are the documented ones (see the README)."""
    kind = (
        error_type
        or _ERROR_TYPES.get(status)
        or ("api_error" if status >= 500 else "invalid_request_error")
    )
    error: dict[str, Any] = {
        "type": kind,
        "message": message or _DEFAULT_MESSAGES.get(status, "An error occurred."),
    }
    if status == 429:
        code = code or "rate_limit"
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if kind != "api_error":
        error["request_log_url"] = "https://dashboard.stripe.com/test/logs/req_local"
    return {"error": error}
