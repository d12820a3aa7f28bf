"""The OpenAPI document: what FastAPI derives from the routes, completed for integrators.

FastAPI gives the paths, parameters, bodies and the responses each router declares. This
module adds what operations of a kind share, derived from the same facts the app acts on
(its security dependency, its headers, its body), so a new route is documented by declaring
its scopes, headers and business problems — nothing here needs to list it:

- `summary` (the endpoint docstring's first paragraph) and `description` (the rest, plus
  what the operation needs: scopes, idempotency, If-Match);
- `security` as alternatives, one per accepted scope (any one suffices), and the
  `x-required-scopes` extension;
- the problems every route of a kind can answer with (400, 401, 403, 409, 413, 422), each
  status as `application/problem+json` only, with one named example per problem `type`;
- response headers (`X-Request-ID` everywhere, `WWW-Authenticate`, `Retry-After`,
  `Idempotent-Replayed`), request and response examples, links, tags, webhook headers.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from returns_api.auth.scopes import SCOPE_DESCRIPTIONS
from returns_api.contract.examples import (
    JSON,
    Examples,
    add_request_example,
    add_response_example,
    set_example,
)
from returns_api.contract.links import LINKS
from returns_api.core.errors import (
    PROBLEM_JSON,
    Forbidden,
    RequestInvalid,
    ReturnsError,
    Unauthorized,
    problem_example,
)
from returns_api.core.idempotency import InvalidKey, KeyInFlight, KeyReused
from returns_api.portal.tokens import PORTAL_SCOPES

SCHEME: Final = "bearerAuth"
PROBLEM_REF: Final = {"$ref": "#/components/schemas/Problem"}
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
IF_MATCH_HEADER: Final = "If-Match"
GUIDE: Final = "docs/INTEGRATING.md"

DESCRIPTION: Final = f"""\
Returns back-end for online shops: return requests checked against the merchant's policy,
RMA tracking, inspection, refunds and webhooks.

- **Auth**: `Authorization: Bearer …` with a merchant API key (`rk_…`) or a customer portal
  token (`pt_…`). Each operation lists the scopes it accepts; any one of them suffices.
- **Errors**: RFC 9457 problem details (`application/problem+json`); branch on `type`.
- **Retries**: send an `Idempotency-Key` with every POST that changes something.
- **Concurrency**: single resources carry an `ETag`; send it back as `If-Match` (412 when
  stale).
- **Lists**: cursor-paginated — pass `next_cursor` back as `cursor` until it is null.
- **Webhooks**: every change is pushed to subscribed endpoints, signed per Standard Webhooks;
  the payloads are described under `webhooks`.

The integration guide (`{GUIDE}` in the repository) covers each of these in depth.
"""

TAGS: Final[list[dict[str, str]]] = [
    {"name": "Returns", "description": "Return requests, from quote to refund and completion."},
    {"name": "Orders", "description": "Orders synced from the commerce platform."},
    {"name": "Catalog", "description": "Variants synced from the platform: what exchanges name."},
    {"name": "Policy", "description": "The return policy: terms, reasons and auto-accept rules."},
    {
        "name": "Store credit",
        "description": "Customers' store-credit balances and ledgers; spends at checkout.",
    },
    {"name": "Webhooks", "description": "Endpoints subscribed to events, their deliveries."},
    {
        "name": "Notifications",
        "description": "E-mail to customers at each step of a return: the log, resends, previews.",
    },
    {"name": "Portal", "description": "Customer self-service: a short-lived token per order."},
    {
        "name": "Withdrawals",
        "description": "The EU withdrawal function: statement, confirmation, receipt.",
    },
    {"name": "Auth", "description": "The calling credential."},
    {"name": "Operations", "description": "Health, readiness and metrics for operators."},
]

HEADERS: Final[dict[str, dict[str, Any]]] = {
    "X-Request-ID": {
        "description": "Identifies the request in the service's logs and in problem bodies "
        "(`request_id`). Send your own (letters, digits, `._:-`, up to 128) to correlate; "
        "otherwise one is made.",
        "required": True,
        "schema": {"type": "string"},
        "example": "8f14e45fceea167a5a36dedd4bea2543",
    },
    "ETag": {
        "description": "The version of the resource, to send back as `If-Match`.",
        "required": True,
        "schema": {"type": "string"},
        "example": '"2"',
    },
    "Location": {
        "description": "Where the new resource can be read.",
        "required": True,
        "schema": {"type": "string"},
        "example": "/v1/returns/0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8f",
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme to use.",
        "required": True,
        "schema": {"type": "string"},
        "example": 'Bearer realm="returns-api"',
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "42",
    },
    "Content-Language": {
        "description": "The language the answer's texts are in (the `locale` it names), as "
        "negotiated from `locale`, `Accept-Language` and the defaults.",
        "required": False,
        "schema": {"type": "string"},
        "example": "de",
    },
    "Vary": {
        "description": "`Accept-Language`: the texts follow that header, so a cache must key "
        "on it.",
        "required": False,
        "schema": {"type": "string"},
        "example": "Accept-Language",
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key`, replayed rather than run again.",
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
    },
}

# Standard Webhooks request headers, as documented on every webhook.
WEBHOOK_HEADERS: Final = ("webhook-id", "webhook-timestamp", "webhook-signature")


def openapi_for(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The `app.openapi` replacement: the completed document, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    return openapi


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    components = document.setdefault("components", {})
    examples = Examples(schemas=components.get("schemas", {}))
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            for method in sorted(route.methods or ()):
                operation = document["paths"][route.path_format][method.lower()]
                _complete_operation(operation, route, examples)
    for item in document.get("webhooks", {}).values():
        for operation in item.values():
            _complete_webhook(operation, examples)
    components["examples"] = dict(sorted(examples.shared.items()))
    components["headers"] = copy.deepcopy(HEADERS)
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    scheme = components.get("securitySchemes", {}).get(SCHEME)
    if scheme is not None:
        scheme["description"] = _scheme_description(scheme.get("description", ""))
    document["tags"] = _tags(document)
    return document


# --- one operation --------------------------------------------------------------------------


def _complete_operation(operation: dict[str, Any], route: RouteContext, examples: Examples) -> None:
    summary, details = _docstring(route)
    operation["summary"] = route.summary or summary
    parameters = {p["name"]: p for p in operation.get("parameters", [])}
    idempotent = IDEMPOTENCY_HEADER in parameters
    conditional = IF_MATCH_HEADER in parameters
    has_body = "requestBody" in operation
    access, scopes = _normalise_security(operation)

    notes = [details] if details else []
    notes.append(_access_note(access, scopes))
    if idempotent:
        notes.append(
            "**Idempotency**: send an `Idempotency-Key` (a UUID) to make a retry safe: the same "
            "key and body replay the first answer, marked `Idempotent-Replayed: true`."
        )
    if conditional:
        notes.append(
            "**Concurrency**: send the `ETag` you read as `If-Match`; if the resource changed "
            "since, the answer is 412 and nothing is changed."
        )
    operation["description"] = "\n\n".join(notes)

    responses: dict[str, Any] = operation.setdefault("responses", {})
    added: list[tuple[int, str, dict[str, Any]]] = []
    if has_body:
        added.append((400, "malformed-body", _MALFORMED_BODY))
    if idempotent:
        added.append((400, InvalidKey.slug, problem_example(InvalidKey)))
    if access == "required":
        added.append((401, Unauthorized.slug, problem_example(Unauthorized)))
        if scopes:
            added.append((403, Forbidden.slug, problem_example(Forbidden)))
    if idempotent:
        added.append((409, KeyInFlight.slug, problem_example(KeyInFlight)))
        added.append((422, KeyReused.slug, problem_example(KeyReused)))
    if has_body:
        added.append((413, "content-too-large", problem_example(ReturnsError, 413)))
    if has_body or parameters:
        added.append((422, RequestInvalid.slug, problem_example(RequestInvalid)))
    for code, name, example in added:
        entry = responses.setdefault(str(code), {"description": HTTPStatus(code).phrase})
        problem = entry.setdefault("content", {}).setdefault(PROBLEM_JSON, {})
        problem.setdefault("examples", {}).setdefault(name, example)

    for key, response in responses.items():
        code = int(key)
        headers = response.setdefault("headers", {})
        if code >= 400:
            _as_problem(response, code, examples)
        if code == 401:
            headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
        if code == 429:
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        if 200 <= code < 300 and idempotent:
            headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/Idempotent-Replayed"}
        headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
        response["headers"] = dict(sorted(headers.items()))
        if 200 <= code < 300:
            if response.get("description") == "Successful Response":  # FastAPI's default
                response["description"] = HTTPStatus(code).phrase
            add_response_example(operation, response, examples)
            links = LINKS.get((operation["operationId"], key))
            if links:
                response["links"] = copy.deepcopy(links)
    operation["responses"] = dict(sorted(responses.items()))
    if has_body:
        add_request_example(operation, examples)


def _docstring(route: RouteContext) -> tuple[str, str]:
    """(first paragraph as one line, the rest) of the endpoint's docstring."""
    text = inspect.cleandoc(getattr(route.endpoint, "__doc__", None) or "")
    first, _, rest = text.partition("\n\n")
    summary = " ".join(first.split()) or str(route.name).replace("_", " ").capitalize()
    if route.description and route.description != text:
        rest = route.description  # an explicit `description=` on the decorator
    return summary, rest.strip()


def _normalise_security(operation: dict[str, Any]) -> tuple[str, list[str]]:
    """Rewrite `security` as alternatives, one per accepted scope; (access, scopes).

    FastAPI lists a route's scopes in one requirement, which OpenAPI reads as "all of them";
    the service accepts any one (auth/dependencies.py `require`).
    """
    requirements: list[dict[str, list[str]]] = operation.pop("security", [])
    if not requirements:
        return "public", []
    order = list(SCOPE_DESCRIPTIONS)
    scopes = sorted(
        {scope for requirement in requirements for scope in requirement.get(SCHEME, [])},
        key=lambda scope: (order.index(scope) if scope in order else len(order), scope),
    )
    if {} in requirements:
        operation["security"] = [{}, {SCHEME: []}]
        return "optional", scopes
    operation["security"] = [{SCHEME: [scope]} for scope in scopes] or [{SCHEME: []}]
    operation["x-required-scopes"] = scopes
    return "required", scopes


def _access_note(access: str, scopes: list[str]) -> str:
    if access == "public":
        return "**Authorization**: none; this operation is public."
    if access == "optional":
        return (
            "**Authorization**: none needed; a credential, when sent, must be valid, and "
            "unlocks more (see the parameters)."
        )
    if not scopes:
        return "**Authorization**: any valid credential (an API key or a portal token)."
    listed = ", ".join(f"`{scope}`" for scope in scopes)
    note = f"**Authorization**: a credential with any one of the scopes {listed}"
    if "returns:read" in scopes:
        note += " (`returns:write` and `returns:manage` include `returns:read`)"
    if "store_credit:read" in scopes:
        note += " (`store_credit:write` includes `store_credit:read`)"
    note += "."
    if PORTAL_SCOPES.intersection(scopes):
        note += " A customer's portal token (`pt_…`) qualifies too, for its own order only."
    return note


_MALFORMED_BODY: Final = {
    "summary": "The body is not valid UTF-8 JSON.",
    "value": {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "There was an error parsing the body",
        "request_id": "8f14e45fceea167a5a36dedd4bea2543",
    },
}


def _as_problem(response: dict[str, Any], status: int, examples: Examples) -> None:
    """Errors are `application/problem+json` only, listing the problem types they carry."""
    content = response.get("content", {})
    kinds = content.get(PROBLEM_JSON, {}).get("examples", {})
    if not kinds:
        kinds = {f"http-{status}": problem_example(ReturnsError, status)}
    phrase = HTTPStatus(status).phrase
    listed = [f"- `{e['value']['type']}`: {e['summary']}" for e in kinds.values()]
    response["description"] = phrase + "\n\n" + "\n".join(listed)
    refs = {name: examples.share(f"problem-{name}", example) for name, example in kinds.items()}
    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF, "examples": refs}}


# --- webhooks, tags, security scheme ---------------------------------------------------------


def _complete_webhook(operation: dict[str, Any], examples: Examples) -> None:
    operation.pop("security", None)
    for parameter in operation.get("parameters", []):
        if parameter["name"] in WEBHOOK_HEADERS:
            parameter["required"] = True
    for response in operation.get("responses", {}).values():
        response.pop("content", None)
    media = operation.get("requestBody", {}).get("content", {}).get(JSON)
    if media is not None and "examples" not in media:
        set_example(media, examples, operation["operationId"], "request")


def _tags(document: dict[str, Any]) -> list[dict[str, str]]:
    """The known tags, described, plus any other tag an operation uses (in order of use)."""
    used: list[str] = []
    for section in ("paths", "webhooks"):
        for item in document.get(section, {}).values():
            for operation in item.values():
                used.extend(tag for tag in operation.get("tags", []) if tag not in used)
    known = [tag for tag in TAGS if tag["name"] in used]
    names = {tag["name"] for tag in known}
    return known + [{"name": name} for name in used if name not in names]


def _scheme_description(first: str) -> str:
    lines = [
        first,
        "",
        "Send it as `Authorization: Bearer …`. Each operation lists the scopes it accepts "
        "(as alternatives in its `security`, and in `x-required-scopes`); any one suffices.",
        "",
        "| Scope | Lets a key … |",
        "|---|---|",
        *(f"| `{scope}` | {what} |" for scope, what in SCOPE_DESCRIPTIONS.items()),
        "",
        "`returns:write` and `returns:manage` include `returns:read`; `store_credit:write` "
        "includes `store_credit:read`. A portal token carries "
        f"{_listed(sorted(PORTAL_SCOPES))} for its one order.",
    ]
    return "\n".join(lines)


def _listed(items: Iterable[str]) -> str:
    return " and ".join(f"`{item}`" for item in items)
