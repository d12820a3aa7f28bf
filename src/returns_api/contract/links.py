"""Where a response leads (OpenAPI `links`): the operations a generated client can follow
from an answer, with the ids they take from it."""

from __future__ import annotations

from typing import Any, Final

# Where a response leads: (operationId, status) → {link name: link}. Parameters come from
# the response (`$response.body#/id`), or from the request (`$request.path.…`).
_RETURN_ID = {"return_id": "$response.body#/id"}
_AFTER_RETURN = {
    name: {"operationId": op, "parameters": _RETURN_ID}
    for name, op in (
        ("GetReturn", "getReturn"),
        ("ApproveReturn", "approveReturn"),
        ("RejectReturn", "rejectReturn"),
        ("CancelReturn", "cancelReturn"),
        ("RecordTrackingEvent", "recordTrackingEvent"),
        ("ReceiveReturn", "receiveReturn"),
        ("RefundReturn", "refundReturn"),
        ("CompleteReturn", "completeReturn"),
    )
}
_ENDPOINT_ID = {"endpoint_id": "$response.body#/id"}
_AFTER_ENDPOINT = {
    name: {"operationId": op, "parameters": _ENDPOINT_ID}
    for name, op in (
        ("GetWebhookEndpoint", "getWebhookEndpoint"),
        ("UpdateWebhookEndpoint", "updateWebhookEndpoint"),
        ("DeleteWebhookEndpoint", "deleteWebhookEndpoint"),
        ("RotateWebhookSecret", "rotateWebhookSecret"),
        ("SendWebhookPing", "sendWebhookPing"),
        ("ListWebhookDeliveries", "listWebhookDeliveries"),
    )
}
LINKS: Final[dict[tuple[str, str], dict[str, dict[str, Any]]]] = {
    ("upsertOrder", "200"): {
        "GetOrder": {"operationId": "getOrder", "parameters": {"order_id": "$response.body#/id"}}
    },
    ("upsertOrder", "201"): {
        "GetOrder": {"operationId": "getOrder", "parameters": {"order_id": "$response.body#/id"}}
    },
    ("createReturn", "201"): _AFTER_RETURN,
    ("approveReturn", "200"): _AFTER_RETURN,
    ("recordTrackingEvent", "200"): _AFTER_RETURN,
    ("receiveReturn", "200"): _AFTER_RETURN,
    ("refundReturn", "201"): _AFTER_RETURN,
    ("createWebhookEndpoint", "201"): _AFTER_ENDPOINT,
    ("deleteWebhookEndpoint", "204"): {
        "GetDeletedWebhookEndpoint": {
            "operationId": "getWebhookEndpoint",
            "parameters": {"endpoint_id": "$request.path.endpoint_id"},
        }
    },
    ("sendWebhookPing", "202"): {
        "GetEvent": {
            "operationId": "getEvent",
            "parameters": {"event_id": "$response.body#/event_id"},
        }
    },
    ("updatePolicy", "201"): {
        "GetPolicyVersion": {
            "operationId": "getPolicyVersion",
            "parameters": {"version": "$response.body#/version"},
        }
    },
}
