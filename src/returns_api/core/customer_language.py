"""Which language to answer a request in, when a customer is listening.

A request speaks to a customer when a portal token authenticates it (or when it asks for
one, `POST /v1/portal/sessions`); the authentication marks it with `speak_to_customer`,
with the order's `locale` the token carries. Its language is then negotiated, most wanted
first, from: a `locale` query parameter, what the request itself names (a body's `locale`),
the `Accept-Language` header, the order's locale, and `RETURNS_DEFAULT_LOCALE`.

Merchant keys are answered in English whatever they send: their callers are the shop's
systems and staff, and an English `detail` is what their logs and support tickets expect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from starlette.requests import Request

from returns_api.core.locale import accepted_locales, canonical_case, is_locale
from returns_api.core.messages import Message, catalogue_locale, speaking

if TYPE_CHECKING:
    from returns_api.core.errors import FieldError

_STATE: Final = "customer_language"


@dataclass(frozen=True, slots=True)
class CustomerLanguage:
    order_locale: str | None


def speak_to_customer(request: Request, order_locale: str | None = None) -> None:
    """Mark the request as a customer's: its problems are told in their language."""
    setattr(request.state, _STATE, CustomerLanguage(order_locale))


def request_preferences(
    request: Request,
    *explicit: str | None,
    fallback: str | None = None,
    accept_language: bool = True,
    default: bool = True,
) -> list[str]:
    """The languages a request asks for, most wanted first: `?locale=`, then `explicit`,
    then `Accept-Language` (unless told not to read it), then `fallback` (the order's or the
    return's locale), then the service's default (unless the caller adds it after a
    fallback it has yet to read)."""
    query = request.query_params.get("locale")
    wanted: list[str | None] = [canonical_case(query) if query and is_locale(query) else None]
    wanted += explicit
    if accept_language:
        wanted += accepted_locales(request.headers.get("accept-language"))
    wanted += [fallback, request.app.state.settings.default_locale if default else None]
    return [tag for tag in wanted if tag]


def customer_locale(request: Request, *explicit: str | None) -> str | None:
    """The tag to answer a customer's request in (one a catalogue serves, as asked: `de-AT`);
    None for any other request."""
    marked = request.scope.get("state", {}).get(_STATE)
    if not isinstance(marked, CustomerLanguage):
        return None
    return speaking(request_preferences(request, *explicit, fallback=marked.order_locale))


def language_headers(locale: str | None) -> dict[str, str]:
    """The headers of an answer in `locale` (None: in no language in particular) that the
    request's `Accept-Language` chose."""
    vary = {"Vary": "Accept-Language"}
    return vary if locale is None else {"Content-Language": locale, **vary}


def localise_problem(
    request: Request,
    detail: str,
    message: Message | None,
    errors: Sequence[FieldError],
    headers: Mapping[str, str],
    *,
    explicit: str | None = None,
) -> tuple[str, Sequence[FieldError], Mapping[str, str]]:
    """A problem's `detail`, field errors and headers, in a customer's language when the
    request is a customer's and the problem can be said in another (English otherwise)."""
    if message is None and not _any_said(errors):
        return detail, errors, headers
    locale = customer_locale(request, explicit)
    if locale is None:
        return detail, errors, headers
    return (
        message.text(locale) if message is not None else detail,
        [error.in_locale(locale) for error in errors],
        {**headers, **language_headers(catalogue_locale([locale]))},
    )


def _any_said(errors: Iterable[FieldError]) -> bool:
    return any(error.said is not None for error in errors)
