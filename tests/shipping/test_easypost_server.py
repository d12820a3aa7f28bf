"""The local EasyPost itself: what it accepts besides what the SDK sends."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from tests.shipping.conftest import EASYPOST_API_KEY
from tests.shipping.easypost_server import EasyPostServer


def post(server: EasyPostServer, path: str, authorization: str | None) -> tuple[int, object]:
    request = urllib.request.Request(f"{server.url}{path}", data=b"{}", method="POST")
    request.add_header("Content-Type", "application/json")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_basic_auth_with_the_key_as_user_is_accepted(easypost_server: EasyPostServer) -> None:
    credentials = base64.b64encode(f"{EASYPOST_API_KEY}:".encode()).decode()

    status, _ = post(easypost_server, "/shipments", f"Basic {credentials}")

    assert status == 201


@pytest.mark.parametrize("authorization", [None, "Bearer EZTK_other", "Basic !!!"])
def test_anything_else_is_unauthorised(
    easypost_server: EasyPostServer, authorization: str | None
) -> None:
    status, body = post(easypost_server, "/shipments", authorization)

    assert status == 401
    assert isinstance(body, dict)
    assert set(body["error"]) == {"code", "message", "errors"}


def test_a_call_it_does_not_know_is_not_found(easypost_server: EasyPostServer) -> None:
    status, _ = post(easypost_server, "/trackers", f"Bearer {EASYPOST_API_KEY}")

    assert status == 404
