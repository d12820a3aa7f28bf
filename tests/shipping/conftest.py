"""Fixtures for the carrier adapters: a local EasyPost that answers with recorded responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shipping.easypost_server import EasyPostServer

EASYPOST_API_KEY = "EZTK_fixture_server_key"


@pytest.fixture
def easypost_server() -> Iterator[EasyPostServer]:
    """A fresh server per test: nothing recorded, no failures queued."""
    with EasyPostServer(api_key=EASYPOST_API_KEY) as server:
        yield server
