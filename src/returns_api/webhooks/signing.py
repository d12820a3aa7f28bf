"""Standard Webhooks signatures for outgoing deliveries.

Consumers verify with any Standard Webhooks library: HMAC-SHA256 over
``{webhook-id}.{webhook-timestamp}.{body}`` keyed with the endpoint's ``whsec_`` secret.
"""

import base64
import binascii
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from secrets import token_bytes

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def sign_headers(
    *, msg_id: str, body: bytes, secrets: Sequence[str], timestamp: datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt.

    ``msg_id`` stays the same on every retry (consumers deduplicate on it);
    ``timestamp`` is the time of *this* attempt. Every secret in ``secrets`` signs,
    so during a rotation a consumer holding either the old or the new secret can
    verify. ``body`` must be the exact bytes sent, UTF-8 encoded (JSON is).

    Raises ValueError on a naive ``timestamp``, an empty ``msg_id``, no secrets,
    a malformed secret, or a body that is not UTF-8.
    """
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    if not msg_id:
        raise ValueError("msg_id must not be empty")
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    for secret in secrets:
        _check_secret(secret)

    # standardwebhooks does `timestamp.replace(tzinfo=utc)`, which silently shifts an
    # aware non-UTC time; converting first keeps the header and the signature in step.
    utc_timestamp = timestamp.astimezone(UTC)
    # The library signs `str`; strict UTF-8 decoding round-trips to the same bytes,
    # so the signature still covers exactly what goes on the wire.
    payload = body.decode("utf-8")
    signatures = [Webhook(secret).sign(msg_id, utc_timestamp, payload) for secret in secrets]
    return {
        "webhook-id": msg_id,
        # floor, as the library does when it builds the signed content.
        "webhook-timestamp": str(math.floor(utc_timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def _check_secret(secret: str) -> None:
    """Refuse a secret the library would decode leniently into a different key.

    ``Webhook`` decodes non-strict base64, which drops stray characters: a mangled
    secret would sign with a key nobody expects instead of failing loudly.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("webhook secret is not valid base64") from exc
    if not key:
        raise ValueError("webhook secret must not be empty")
