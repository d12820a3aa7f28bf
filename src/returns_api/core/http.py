"""Parameters shared by many operations, declared once so OpenAPI documents them."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from fastapi import Header, Query
from pydantic import Field

from returns_api.core.locale import Locale

# Visible ASCII, spaces allowed inside but not at either end (HTTP strips them there), 1 to
# 255 characters. The same expression is documented and enforced (core/idempotency.py).
IDEMPOTENCY_KEY_PATTERN: Final = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
IDEMPOTENCY_KEY_RE: Final = re.compile(IDEMPOTENCY_KEY_PATTERN)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes a retry safe: the same key and body replay the first answer "
        "(kept ≥ 24 h, marked `Idempotent-Replayed: true`); the same key with another body "
        "is a 422; while the first request is still running, a 409. 1 to 255 printable ASCII "
        "characters, spaces only inside (a UUID is a good key); anything else is a 400.",
        examples=["5f0c6f1e-8d2a-4c51-9a57-2b7f0f3f6d11"],
    ),
]
# A text filter of a list: anything that can be stored can be searched for, and PostgreSQL
# text cannot hold U+0000. Refused by the schema, on every database alike, before anything
# is read (the CSV export has sent its 200 once it reads).
FilterText = Annotated[str, Field(max_length=64, pattern=r"^[^\x00]*$")]

AcceptLanguageHeader = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        description="The customer's languages (RFC 9110), as their browser sends them. Read "
        "for a portal token only: the heaviest well-formed tag (`*` and malformed ones are "
        "skipped) becomes the return's `locale` when the body names none. An API key's "
        "requests come from the shop's own systems and people, whose languages are not the "
        "customer's: for those the body's `locale` or the order's counts.",
        examples=["fr-CH, fr;q=0.9, en;q=0.8"],
    ),
]

LocaleQuery = Annotated[
    Locale | None,
    Query(
        description="The customer's language (a BCP 47 tag, e.g. `de-AT`); wins over "
        "`Accept-Language`. Negotiated against the languages there are texts in: `de-AT` is "
        "answered in `de-AT`, else `de`, else another region's German (`de-DE`). The answer "
        "names the language it is in (`locale`, `Content-Language`).",
    ),
]
TextsLanguageHeader = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        description="The customer's languages (RFC 9110), as their browser sends them: the "
        "texts are in the heaviest one there are texts in (unless `locale` names one). Only "
        "the texts of this answer follow it; nothing is stored.",
        examples=["de-AT, de;q=0.9, en;q=0.5"],
    ),
]

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag you last read (e.g. `"3"`), or `*`; the change is refused '
        "with 412 if the resource has changed since. Compared strongly: a weak validator "
        '(`W/"3"`) never matches. Optional: without it the change applies to whatever '
        "version is current.",
        examples=['"1"'],
    ),
]


def versioned(status: int = 200, *, location: bool = False) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry for a success answer that carries the resource's `ETag` (and, for
    a creation, its `Location`); the headers themselves are defined once in the document."""
    headers = {"ETag": {"$ref": "#/components/headers/ETag"}}
    if location:
        headers["Location"] = {"$ref": "#/components/headers/Location"}
    return {status: {"headers": headers}}


def in_language(status: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry for an answer whose texts are in the customer's language
    (`Content-Language`, `Vary: Accept-Language`)."""
    return {
        status: {
            "headers": {
                "Content-Language": {"$ref": "#/components/headers/Content-Language"},
                "Vary": {"$ref": "#/components/headers/Vary"},
            }
        }
    }


def etag(version: int) -> str:
    """The strong ETag of a versioned resource (a return, the policy)."""
    return f'"{version}"'


def if_match_allows(if_match: str | None, version: int) -> bool:
    """RFC 9110 §13.1.1 with strong comparison: absent or `*` always allows."""
    if if_match is None:
        return True
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag(version) in tags


def refused_if_match(if_match: str | None, version: int, changed: str) -> str | None:
    """Why `If-Match` refuses a change to `version`, or None when it allows it: `changed`
    (the resource has moved on), unless a weak validator is why it does not match."""
    if if_match is None or if_match_allows(if_match, version):
        return None
    current = etag(version)
    if any(tag.strip().startswith("W/") for tag in if_match.split(",")):
        # A weak validator never matches (strong comparison, RFC 9110 §13.1.1): saying the
        # resource changed would send the client round again with the same header.
        return (
            "If-Match takes strong ETags only: weak validators (W/…) are not accepted. "
            f"Send the ETag as it was given, {current}."
        )
    return changed
