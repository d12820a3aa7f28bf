"""One error base class, rendered by one handler as RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from starlette.exceptions import HTTPException as StarletteHTTPException

from returns_api.core.customer_language import localise_problem
from returns_api.core.messages import Message

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One bad field: where it is (`body.items.0.quantity`) and what is wrong with it."""

    location: str = Field(examples=["body.items.0.quantity"])
    message: str = Field(examples=["Input should be greater than 0"])
    type: str | None = Field(default=None, examples=["greater_than"])
    # What `message` says, to be said again in a customer's language (core/messages.py).
    _said: Message | None = PrivateAttr(default=None)

    @classmethod
    def saying(cls, location: str, type_: str, said: Message) -> FieldError:
        """A bad field whose message comes from the catalogues: English here, a portal
        customer's language when rendered for one."""
        error = cls(location=location, message=said.text(), type=type_)
        error._said = said
        return error

    @property
    def said(self) -> Message | None:
        """What `message` says, when it comes from the catalogues."""
        return self._said

    def in_locale(self, locale: str) -> FieldError:
        """This error with its message in `locale` (as it is, when it has no catalogue key)."""
        if self._said is None:
            return self
        return self.model_copy(update={"message": self._said.text(locale)})


class Problem(BaseModel):
    """RFC 9457 problem details: every error this API answers with (`application/problem+json`).

    Branch on `type` (stable URNs, `urn:returns-api:problem:…`; `about:blank` for plain HTTP
    errors such as 405), show `detail` to people, quote `request_id` when reporting a problem.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        default="about:blank",
        description="What kind of problem this is; stable, so clients can branch on it.",
        examples=["urn:returns-api:problem:return-not-found"],
    )
    title: str = Field(description="The HTTP status phrase.", examples=["Not Found"])
    status: int = Field(description="The HTTP status code, repeated.", examples=[404])
    detail: str | None = Field(
        default=None,
        description="What went wrong this time, for a person.",
        examples=["Return 0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8f does not exist."],
    )
    instance: str | None = Field(
        default=None,
        description="The path that was requested.",
        examples=["/v1/returns/0193a4f2-5b7e-7c1d-9e2f-3a4b5c6d7e8f"],
    )
    request_id: str | None = Field(
        default=None,
        description="Also in the `X-Request-ID` header and in the service's logs.",
        examples=["8f14e45fceea167a5a36dedd4bea2543"],
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Invalid input: one entry per bad field."
    )
    current_status: str | None = Field(
        default=None,
        description="`illegal-transition` (409): the status the return is in now.",
        examples=["approved"],
    )
    current_etag: str | None = Field(
        default=None,
        description="`stale-version` (412): the ETag to read the return at now.",
        examples=['"3"'],
    )
    balance: int | None = Field(
        default=None,
        description="`insufficient-store-credit` (409): the store credit there is now, in "
        "minor units of the spend's currency.",
        examples=[970],
    )


class ReturnsError(Exception):
    """Base of every error the service raises on purpose; subclasses set status and slug.

    The first line of a subclass's docstring says, in the OpenAPI document, when it happens.
    """

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad Request"

    def __init__(
        self,
        detail: str | Message,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        locale: str | None = None,
    ) -> None:
        """`detail` as a `Message` is said in a portal customer's language (core/messages.py);
        `locale`, the language the customer named for this request (a body's `locale`)."""
        self.message = detail if isinstance(detail, Message) else None
        detail = detail.text() if isinstance(detail, Message) else detail
        super().__init__(detail)
        self.detail = detail
        self.locale = locale
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def problem_type(cls) -> str:
        return f"urn:returns-api:problem:{cls.slug}"


class NotFound(ReturnsError):
    """No such resource, or not one this credential may see."""

    status, slug, title = 404, "not-found", "Not Found"


class Unauthorized(ReturnsError):
    """No credential, or one that is invalid, expired or revoked."""

    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str | Message) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="returns-api"'})


class Forbidden(ReturnsError):
    """The credential is valid but lacks the scope this operation needs."""

    status, slug, title = 403, "forbidden", "Forbidden"


class Conflict(ReturnsError):
    """The request conflicts with the current state of the resource."""

    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ReturnsError):
    """`If-Match` names a version that is no longer current."""

    status, slug, title = 412, "precondition-failed", "Precondition Failed"


class Unprocessable(ReturnsError):
    """Well-formed, but refused by a business rule."""

    status, slug, title = 422, "unprocessable", "Unprocessable Content"


class RequestInvalid(Unprocessable):
    """A parameter or the body does not match the schema; `errors` names each bad field."""

    slug = "validation-error"


class TooManyRequests(ReturnsError):
    """Too many attempts; wait for `Retry-After` seconds."""

    status, slug, title = 429, "rate-limited", "Too Many Requests"

    def __init__(self, detail: str | Message, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ReturnsError):
    """A dependency (the database) does not answer."""

    status, slug, title = 503, "unavailable", "Service Unavailable"


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str | None,
    type_: str = "about:blank",
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request.scope.get("state", {}).get("request_id"),
    }
    if errors:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def render_returns_error(request: Request, exc: ReturnsError) -> JSONResponse:
    """The problem; for a portal customer, its `detail` and field messages in their language
    (`type` and `title` stay as they are: clients branch on them)."""
    detail, errors, headers = localise_problem(
        request, exc.detail, exc.message, exc.errors, exc.headers, explicit=exc.locale
    )
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=detail,
        type_=exc.problem_type(),
        errors=errors,
        headers=headers,
        extra=exc.extra,
    )


async def _returns_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ReturnsError)
    return render_returns_error(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(location=_location(e["loc"]), message=e["msg"], type=e.get("type"))
        for e in exc.errors()
    ]
    summary = "; ".join(f"{e.location}: {e.message}" for e in errors[:5])
    return problem_response(
        request,
        status=422,
        title="Unprocessable Content",
        detail=f"The request is not valid: {summary}",
        type_=RequestInvalid.problem_type(),
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names the methods of the first route that matched the path only; a path
        # served by several routes (GET and PUT /v1/policy) must list them all.
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(
        request, status=exc.status_code, title=title, detail=detail, headers=headers
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (RFC 9110 `Allow`)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        pattern = getattr(route, "path_regex", None)
        if route.methods and pattern is not None and pattern.match(path):
            methods.update(route.methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReturnsError, _returns_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


# What a bare status in `problems(...)` stands for.
_BY_STATUS: dict[int, type[ReturnsError]] = {
    cls.status: cls
    for cls in (
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        RequestInvalid,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def problems(*errors: type[ReturnsError] | int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems an operation can answer with.

    Per status: a `Problem` body (`application/problem+json` only, as the handlers send it)
    and one named example per problem type, so clients and readers see every `type` URN.
    A bare status (`422`) stands for its generic problem (`validation-error` for 422).
    """
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        cls = _BY_STATUS.get(err, ReturnsError) if isinstance(err, int) else err
        status = err if isinstance(err, int) else err.status
        entry = out.setdefault(
            status,
            {
                "model": Problem,
                "description": HTTPStatus(status).phrase,
                "content": {
                    PROBLEM_JSON: {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "examples": {},
                    }
                },
            },
        )
        examples = entry["content"][PROBLEM_JSON]["examples"]
        examples[cls.slug] = problem_example(cls, status)
    return out


def problem_example(cls: type[ReturnsError], status: int | None = None) -> dict[str, Any]:
    """A named OpenAPI example of the problem `cls` stands for (its docstring says when)."""
    status = status or cls.status
    phrase = HTTPStatus(status).phrase
    generic = cls is ReturnsError
    summary = phrase if generic else _first_docstring_line(cls) or phrase
    value: dict[str, Any] = {
        "type": "about:blank" if generic else cls.problem_type(),
        "title": phrase,
        "status": status,
        "detail": summary,
        "request_id": "8f14e45fceea167a5a36dedd4bea2543",
    }
    if cls is RequestInvalid:
        value["detail"] = (
            "The request is not valid: body.items.0.quantity: Input should be a valid integer"
        )
        value["errors"] = [
            {
                "location": "body.items.0.quantity",
                "message": "Input should be a valid integer",
                "type": "int_type",
            }
        ]
    return {"summary": summary, "value": value}


def _first_docstring_line(cls: type[ReturnsError]) -> str | None:
    """The first line of the nearest docstring up the class tree (below ReturnsError)."""
    for klass in cls.__mro__:
        if klass is ReturnsError or not issubclass(klass, ReturnsError):
            break
        if klass.__doc__:
            return " ".join(klass.__doc__.strip().split("\n\n")[0].split())
    return None


class InvalidSignature(Exception):
    """A webhook whose signature does not verify (a carrier's, a payment provider's): refused,
    and nothing is read from it. What the adapters raise; the routes answer it with
    `InvalidWebhookSignature`."""


class InvalidWebhookSignature(ReturnsError):
    """The sender's signature does not verify: nothing in the delivery was read."""

    status, slug, title = 401, "invalid-signature", "Unauthorized"
