"""The committed OpenAPI document is the one the app serves (generated clients rely on it)."""

from __future__ import annotations

import json
from pathlib import Path

from returns_api.openapi import render_openapi

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_equals_served_document() -> None:
    served = render_openapi()
    assert COMMITTED.read_text(encoding="utf-8") == served, (
        "openapi/openapi.json is stale: run `returns-api openapi -o openapi/openapi.json`"
    )


def test_every_operation_has_operation_id_and_tag() -> None:
    document = json.loads(render_openapi())
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
            assert operation.get("tags"), f"{method.upper()} {path} has no tag"
            assert "_" not in operation["operationId"], "operationIds are camelCase"
