import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from returns_api.webhooks.signing import generate_secret, sign_headers

BODY = b'{"type":"return.approved","data":{"id":"ret_1","note":"caf\xc3\xa9"}}'


def test_generated_secret_is_whsec_base64_of_32_random_bytes() -> None:
    secret = generate_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert generate_secret() != secret


def test_every_secret_verifies_during_rotation() -> None:
    old, new = generate_secret(), generate_secret()

    headers = sign_headers(
        msg_id="msg_1", body=BODY, secrets=[old, new], timestamp=datetime.now(UTC)
    )

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers) is not None


def test_a_secret_that_did_not_sign_fails_verification() -> None:
    headers = sign_headers(
        msg_id="msg_1", body=BODY, secrets=[generate_secret()], timestamp=datetime.now(UTC)
    )

    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


@pytest.mark.parametrize(
    ("field", "tampered"),
    [
        ("body", BODY.replace(b"ret_1", b"ret_2")),
        ("webhook-id", "msg_2"),
    ],
)
def test_tampering_fails_verification(field: str, tampered: bytes | str) -> None:
    secret = generate_secret()
    headers = sign_headers(msg_id="msg_1", body=BODY, secrets=[secret], timestamp=datetime.now(UTC))
    body = BODY
    if field == "body":
        assert isinstance(tampered, bytes)
        body = tampered
    else:
        assert isinstance(tampered, str)
        headers[field] = tampered

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_a_shifted_timestamp_fails_verification() -> None:
    secret = generate_secret()
    now = datetime.now(UTC)
    headers = sign_headers(msg_id="msg_1", body=BODY, secrets=[secret], timestamp=now)
    headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) - 1)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_timestamp_header_is_integer_seconds_of_the_given_time() -> None:
    moment = datetime(2025, 3, 1, 12, 0, 7, 999_999, tzinfo=UTC)

    headers = sign_headers(msg_id="msg_1", body=BODY, secrets=[generate_secret()], timestamp=moment)

    assert headers["webhook-timestamp"] == str(int(moment.timestamp())) == "1740830407"
    assert headers["webhook-id"] == "msg_1"


def test_non_utc_aware_time_signs_the_same_instant() -> None:
    """The library would treat 14:00+02:00 as 14:00 UTC; we must not."""
    secret = generate_secret()
    now_utc = datetime.now(UTC)
    now_in_paris = now_utc.astimezone(timezone(timedelta(hours=2)))

    headers = sign_headers(msg_id="msg_1", body=BODY, secrets=[secret], timestamp=now_in_paris)

    assert headers["webhook-timestamp"] == str(int(now_utc.timestamp()))
    Webhook(secret).verify(BODY, headers)


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_headers(
            msg_id="msg_1", body=BODY, secrets=[generate_secret()], timestamp=datetime.now()
        )


def test_no_secrets_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        sign_headers(msg_id="msg_1", body=BODY, secrets=[], timestamp=datetime.now(UTC))


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not*base64!", ""])
def test_malformed_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        sign_headers(msg_id="msg_1", body=BODY, secrets=[secret], timestamp=datetime.now(UTC))


def _secret_of(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode("ascii")


@pytest.mark.parametrize("stray", ["!", "*", ".", "-", "_", " ", "\n"])
@pytest.mark.parametrize("where", ["middle", "end"])
def test_secret_with_a_stray_character_is_refused(stray: str, where: str) -> None:
    """Loose base64 decoding drops the character and signs with the key anyway."""
    key = bytes(range(32))
    encoded = _secret_of(key).removeprefix("whsec_")
    at = 10 if where == "middle" else len(encoded)
    mangled = encoded[:at] + stray + encoded[at:]
    assert base64.b64decode(mangled + "=" * (-len(mangled) % 4)) == key  # loose: accepted

    with pytest.raises(ValueError, match="not valid base64"):
        sign_headers(
            msg_id="msg_1", body=BODY, secrets=["whsec_" + mangled], timestamp=datetime.now(UTC)
        )


@pytest.mark.parametrize("key_bytes", [32, 31])  # one "=" of padding, then two
def test_unpadded_secret_signs_as_the_padded_one(key_bytes: int) -> None:
    padded = _secret_of(bytes(range(key_bytes)))
    assert padded.endswith("=")
    unpadded = padded.rstrip("=")
    now = datetime.now(UTC)

    headers = sign_headers(msg_id="msg_1", body=BODY, secrets=[unpadded], timestamp=now)

    assert headers == sign_headers(msg_id="msg_1", body=BODY, secrets=[padded], timestamp=now)
    Webhook(padded).verify(BODY, headers)


def test_empty_message_id_is_refused() -> None:
    with pytest.raises(ValueError, match="msg_id must not be empty"):
        sign_headers(msg_id="", body=BODY, secrets=[generate_secret()], timestamp=datetime.now(UTC))
