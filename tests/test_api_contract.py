"""The rules every operation of the OpenAPI document follows — new operations included.

Generated clients and integrators depend on them (issue 6, DESIGN §8): a stable camelCase
operationId, one tag, a summary and a description, examples, the security it needs with
its scopes, every problem it can answer with as `application/problem+json`, named enums.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema_rs
import pytest

from returns_api.auth.scopes import ALL_SCOPES
from returns_api.openapi import render_openapi
from returns_api.webhooks.definitions import EVENT_TYPES

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Operations anyone may call. Any other operation must declare its security.
PUBLIC = {
    "getHealth",
    "getReadiness",
    "getMetrics",
    "listReturnReasons",
    "createPortalSession",
    # The withdrawal function (Article 11a): the order number and e-mail find the order;
    # the confirmation's token, answered to the statement only, is its credential.
    "createWithdrawal",
    "confirmWithdrawal",
    "receiveCarrierWebhook",  # the carrier's signature is its credential
    "receivePaymentWebhook",  # the provider's signature is its credential
}
OPTIONALLY_AUTHENTICATED = {"getPolicy"}
# POSTs that change nothing a retry could duplicate (a portal token is stateless).
POST_WITHOUT_IDEMPOTENCY_KEY = {
    "createPortalSession",
    # Public, so no caller to scope a key to: a repeated statement is one more pending
    # statement that counts for nothing until confirmed; confirming again is the same
    # withdrawal.
    "createWithdrawal",
    "confirmWithdrawal",
    # Carriers send none; a repeated scan changes nothing (it is no newer than the last).
    "receiveCarrierWebhook",
    "receivePaymentWebhook",
}
# Bodies read as the sender sends them (signed bytes): never parsed as a model, so no 400.
RAW_BODY = {"receiveCarrierWebhook", "receivePaymentWebhook"}


@cache
def document() -> dict[str, Any]:
    return dict(json.loads(render_openapi()))


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def operation_ids() -> list[str]:
    return [operation["operationId"] for _, _, operation in operations()]


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    return next(op for op in operations() if op[2]["operationId"] == operation_id)


@pytest.fixture(params=operation_ids())
def op(request: pytest.FixtureRequest) -> tuple[str, str, dict[str, Any]]:
    return operation(request.param)


def test_operation_ids_are_unique_and_camel_case() -> None:
    ids = operation_ids()
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", operation_id), operation_id


def test_operation_ids_that_clients_depend_on_stay(op: Any) -> None:
    # Renaming one breaks every generated client: these names are part of the contract.
    assert set(operation_ids()) >= {
        "upsertOrder",
        "getOrder",
        "quoteReturn",
        "createReturn",
        "listReturns",
        "getReturn",
        "approveReturn",
        "rejectReturn",
        "cancelReturn",
        "recordTrackingEvent",
        "receiveReturn",
        "refundReturn",
        "completeReturn",
        "getPolicy",
        "updatePolicy",
        "createWebhookEndpoint",
        "createPortalSession",
        "getIdentity",
    }


def test_operation_has_one_known_tag_a_summary_and_a_description(op: Any) -> None:
    method, path, operation = op
    where = f"{method} {path}"
    assert len(operation.get("tags", [])) == 1, where
    assert operation["tags"][0] in {tag["name"] for tag in document()["tags"]}, where
    summary = operation.get("summary", "")
    assert summary, f"{where}: give the endpoint a one-line docstring"
    assert "\n" not in summary, where
    assert len(summary) <= 120, f"{where}: the summary is one short line"
    assert operation.get("description"), where


def test_operation_declares_its_security_and_scopes(op: Any) -> None:
    method, path, operation = op
    where = f"{method} {path} ({operation['operationId']})"
    security = operation.get("security")
    if operation["operationId"] in PUBLIC:
        assert security is None, f"{where} is listed as public"
        return
    assert security, f"{where}: declare its security (auth.dependencies.require) or list it"
    assert "401" in operation["responses"], where
    if operation["operationId"] in OPTIONALLY_AUTHENTICATED:
        assert {} in security, where
        return
    scopes = operation["x-required-scopes"]
    assert set(scopes) <= set(ALL_SCOPES), where
    # Alternatives, one per scope: any one of them suffices (auth/dependencies.py `require`).
    assert security == ([{"bearerAuth": [s]} for s in scopes] or [{"bearerAuth": []}]), where
    for scope in scopes:
        assert f"`{scope}`" in operation["description"], where
    if scopes:
        assert "403" in operation["responses"], where


def test_every_error_response_is_a_problem(op: Any) -> None:
    method, path, operation = op
    for status, response in operation["responses"].items():
        if int(status) < 400:
            continue
        where = f"{method} {path} {status}"
        assert list(response["content"]) == [PROBLEM], where
        media = response["content"][PROBLEM]
        assert media["schema"] == PROBLEM_REF, where
        assert media["examples"], f"{where}: name the problem types it carries"
        assert "X-Request-ID" in response["headers"], where
        if status == "401":
            assert "WWW-Authenticate" in response["headers"], where
        if status == "429":
            assert "Retry-After" in response["headers"], where


def test_operation_lists_the_problems_its_inputs_can_cause(op: Any) -> None:
    method, path, operation = op
    where = f"{method} {path}"
    responses = operation["responses"]
    parameters = {p["name"]: p for p in operation.get("parameters", [])}
    if "requestBody" in operation:
        expected = {"413", "422"} if operation["operationId"] in RAW_BODY else {"400", "413", "422"}
        assert expected <= set(responses), where
    if parameters:
        assert "422" in responses, where
    if any(p["in"] == "path" for p in parameters.values()) and method != "PUT":
        assert "404" in responses, f"{where}: an unknown id is a 404"
    if "If-Match" in parameters:
        assert "412" in responses, where
    if "Idempotency-Key" in parameters:
        assert {"400", "409", "422"} <= set(responses), where
        key = parameters["Idempotency-Key"]["schema"]["anyOf"][0]
        assert key["pattern"], f"{where}: document which keys are accepted"


def test_every_post_that_changes_something_takes_an_idempotency_key(op: Any) -> None:
    method, path, operation = op
    if method != "POST" or operation["operationId"] in POST_WITHOUT_IDEMPOTENCY_KEY:
        return
    names = {p["name"] for p in operation.get("parameters", [])}
    assert "Idempotency-Key" in names, f"{method} {path} (DESIGN §8)"


def test_operation_has_request_and_response_examples(op: Any) -> None:
    method, path, operation = op
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        assert "example" in media or "examples" in media, f"{method} {path} {media_type}"
    for status, response in operation["responses"].items():
        for media_type, media in response.get("content", {}).items():
            where = f"{method} {path} {status} {media_type}"
            assert "example" in media or "examples" in media, where


def test_versioned_resources_document_their_etag() -> None:
    for operation_id in ("getReturn", "createReturn", "approveReturn", "refundReturn", "getPolicy"):
        _, _, found = operation(operation_id)
        success = next(r for s, r in found["responses"].items() if s.startswith("2"))
        assert "ETag" in success["headers"], operation_id
    _, _, created = operation("createReturn")
    assert "Location" in created["responses"]["201"]["headers"]


def _walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def test_enums_are_named_schemas() -> None:
    """A string enum appears once, as a component, so clients generate one type for it."""
    schemas = document()["components"]["schemas"]
    named = {name for name, schema in schemas.items() if "enum" in schema}
    assert {
        "ReturnStatus",
        "ReceptionStatus",
        "AcceptanceStatus",
        "ConditionGrade",
        "Disposition",
        "RefundMethod",
        "Resolution",
        "Action",
        "EventType",
        "DeliveryStatus",
        "Scope",
    } <= named
    sections = {"paths": document()["paths"], "schemas": schemas, "hooks": document()["webhooks"]}
    for section, content in sections.items():
        for where, node in _walk(content, section):
            if "enum" in node and node.get("type") == "string":
                assert section == "schemas", f"inline enum at {where}"
                assert where.count("/") == 1, f"inline enum at {where}"


def test_every_event_type_has_a_webhook_with_the_standard_webhooks_headers() -> None:
    webhooks = document()["webhooks"]
    assert set(webhooks) == set(EVENT_TYPES)
    for event_type, item in webhooks.items():
        post = item["post"]
        headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}, event_type
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert schema["$ref"].startswith("#/components/schemas/"), event_type


def test_return_webhooks_carry_the_return_its_previous_status_and_a_sequence() -> None:
    schemas = document()["components"]["schemas"]
    data = schemas["ReturnEventData"]["properties"]
    assert data["object"] == {"$ref": "#/components/schemas/ReturnOut"} | {
        k: v for k, v in data["object"].items() if k != "$ref"
    }
    assert {"previous_status", "sequence"} <= set(data)
    envelope = schemas["ReturnEvent"]["properties"]
    assert set(envelope) == {"id", "type", "created_at", "data"}


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document()["components"]}, validate_formats=True
    )


def test_every_example_fits_its_schema() -> None:
    """Examples are part of the contract: each one validates against what it illustrates."""
    shared = document()["components"]["examples"]
    checked = 0

    def values(media: dict[str, Any]) -> Iterator[Any]:
        if "example" in media:
            yield media["example"]
        for example in media.get("examples", {}).values():
            name = example["$ref"].rsplit("/", 1)[-1] if "$ref" in example else None
            yield (shared[name] if name else example)["value"]

    for section in ("paths", "webhooks"):
        for path, item in document()[section].items():
            for method, found in item.items():
                bodies = [found.get("requestBody", {}), *found["responses"].values()]
                for part in bodies:
                    for media_type, media in part.get("content", {}).items():
                        if "json" not in media_type:
                            continue
                        validator = _validator(media["schema"])
                        for value in values(media):
                            errors = [e.message for e in validator.iter_errors(value)]
                            assert not errors, (section, method, path, media_type, errors[:3])
                            checked += 1
    assert checked > 100


def test_scheme_explains_every_scope() -> None:
    scheme = document()["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    for scope in ALL_SCOPES:
        assert f"`{scope}`" in scheme["description"]
