"""Approve, reject, cancel and complete take an optional body (issue 17 §4).

Documented as an optional `$ref` rather than `anyOf: [ref, null]`: from a nullable optional
body openapi-python-client generates code that sends its `Unset` marker as the JSON (a
`TypeError` before the request leaves). The service takes the body left out, empty, `{}` or
`null` alike. tests/clients/python_journey.py calls each one without a body through the
generated client.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.openapi import render_openapi
from tests.factories import Api

OPTIONAL = {
    "approveReturn": "ApproveBody",
    "rejectReturn": "NoteBody",
    "cancelReturn": "NoteBody",
    "completeReturn": "NoteBody",
    "requestShipment": "ShipmentRequestIn",
}


def test_optional_bodies_are_documented_as_an_optional_reference() -> None:
    document = json.loads(render_openapi())
    found = {}
    for item in document["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody")
            if body is None or body.get("required", False):
                continue
            schema = body["content"]["application/json"]["schema"]
            found[operation["operationId"]] = schema
    assert found == {
        operation: {"$ref": f"#/components/schemas/{model}"}
        for operation, model in OPTIONAL.items()
    }


# Every way of sending no body: nothing, nothing with a JSON content type, `{}`, `null`.
NO_BODY: dict[str, dict[str, Any]] = {
    "left-out": {},
    "empty": {"content": b"", "headers": {"Content-Type": "application/json"}},
    "object": {"json": {}},
    "null": {"content": b"null", "headers": {"Content-Type": "application/json"}},
}


@pytest.mark.parametrize("sent", sorted(NO_BODY))
async def test_status_changes_need_no_body(
    app: FastAPI, client: httpx.AsyncClient, sent: str
) -> None:
    api = await Api.staff(app, client)
    await api.put_order("ord_1")

    async def post(path: str) -> dict[str, Any]:
        kw = NO_BODY[sent]
        headers = {**api.headers, **kw.get("headers", {})}
        extra = {k: v for k, v in kw.items() if k != "headers"}
        response = await client.post(path, headers=headers, **extra)
        assert response.status_code == 200, (path, response.text)
        return dict(response.json())

    async def new_return() -> str:
        created = await api.create_return("ord_1")
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    first, second = await new_return(), await new_return()
    assert (await post(f"/v1/returns/{first}/approve"))["status"] == "approved"
    assert (await post(f"/v1/returns/{first}/cancel"))["status"] == "cancelled"
    assert (await post(f"/v1/returns/{second}/reject"))["status"] == "rejected"
    kept = await new_return()
    approved = await api.post(f"/v1/returns/{kept}/approve", {"keep_item": True})
    assert approved.status_code == 200, approved.text
    assert (await post(f"/v1/returns/{kept}/complete"))["status"] == "completed"
