"""One error base class, rendered by one handler as RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One bad field: where it is (`body.items.0.quantity`) and what is wrong with it."""

    location: str = Field(examples=["body.items.0.quantity"])
    message: str = Field(examples=["Input should be greater than 0"])
    type: str | None = Field(default=None, examples=["greater_than"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", examples=["urn:returns-api:problem:not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["Return 0193… does not exist."])
    instance: str | None = Field(default=None, examples=["/v1/returns/0193…"])
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ReturnsError(Exception):
    """Base of every error the service raises on purpose; subclasses set status and slug."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @classmethod
    def problem_type(cls) -> str:
        return f"urn:returns-api:problem:{cls.slug}"


class NotFound(ReturnsError):
    status, slug, title = 404, "not-found", "Not Found"


class Unauthorized(ReturnsError):
    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="returns-api"'})


class Forbidden(ReturnsError):
    status, slug, title = 403, "forbidden", "Forbidden"


class Conflict(ReturnsError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ReturnsError):
    status, slug, title = 412, "precondition-failed", "Precondition Failed"


class Unprocessable(ReturnsError):
    status, slug, title = 422, "unprocessable", "Unprocessable Content"


class TooManyRequests(ReturnsError):
    status, slug, title = 429, "rate-limited", "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ReturnsError):
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
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        type_=exc.problem_type(),
        errors=exc.errors,
        headers=exc.headers,
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
        type_="urn:returns-api:problem:validation-error",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    return problem_response(
        request, status=exc.status_code, title=title, detail=detail, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReturnsError, _returns_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def problems(*errors: type[ReturnsError] | int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems an operation can answer with."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        status = err if isinstance(err, int) else err.status
        phrase = HTTPStatus(status).phrase
        out[status] = {
            "model": Problem,
            "description": phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out
