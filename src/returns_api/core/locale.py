"""A customer's language: a BCP 47 language tag (RFC 5646), e.g. `de-DE`, `fr-FR`, `en`.

A tag is taken when it is well-formed: the `langtag` production of RFC 5646 §2.1 (language,
then optional extlangs, script, region, variants, extensions and a private-use part), at
most 35 characters (the length §4.4.1 asks every implementation to keep), with one
narrowing: the language subtag has 2 or 3 letters. The grammar also allows 4 (reserved) and
5 to 8 letters, but the registry holds none, and allowing them would take the name of a
language (`german`, `english`), the likeliest mistake of an integration, for a tag. Bare
private-use tags (`x-…`) and irregular grandfathered ones (`i-klingon`) are no `langtag`s
and are refused too. The same pattern is in the OpenAPI document: clients can check a tag
before they send it.

Whether each subtag is registered is not checked (`langcodes` would, with the IANA registry
inside it): one more dependency, kept up to date with the registry, for one field, and a
registered language the shop has no templates for is no more use than an unregistered one;
whatever speaks to the customer falls back on its own.

Tags are kept in the case RFC 5646 §2.1.1 recommends (`de-de` is stored as `de-DE`,
`zh-hant-tw` as `zh-Hant-TW`), so that equal tags compare equal. Nothing else is changed:
no deprecated subtag is replaced, no script or region is added or removed.

`negotiate` picks, among the tags something is written in (message catalogues, a reason's
`labels`), the one that serves a customer best: Babel's negotiation, then another region of
the same language. core/messages.py and core/customer_language.py build on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Final

from babel.core import negotiate_locale, parse_locale
from pydantic import AfterValidator, Field

_ALNUM: Final = "[A-Za-z0-9]"
# RFC 5646 §2.1 `langtag`, case-insensitive (written with both cases for JSON Schema).
LOCALE_PATTERN: Final = (
    r"^[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}"  # language (with extlangs)
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WYZa-wyz](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-[Xx](?:-{_ALNUM}{{1,8}})+)?$"  # private use
)
LOCALE_MAX_LENGTH: Final = 35
_LOCALE_RE: Final = re.compile(LOCALE_PATTERN)


def canonical_case(tag: str) -> str:
    """RFC 5646 §2.1.1: the language lower case, a script title case, a region upper case,
    everything else (and everything after a singleton) lower case."""
    subtags = tag.lower().split("-")
    out = [subtags[0]]
    after_singleton = False
    for subtag in subtags[1:]:
        after_singleton = after_singleton or len(out[-1]) == 1
        if not after_singleton and len(subtag) == 2 and subtag.isalpha():
            subtag = subtag.upper()
        elif not after_singleton and len(subtag) == 4 and subtag.isalpha():
            subtag = subtag.title()
        out.append(subtag)
    return "-".join(out)


def is_locale(text: str) -> bool:
    """Whether `text` is a well-formed tag as `Locale` takes it."""
    return len(text) <= LOCALE_MAX_LENGTH and _LOCALE_RE.fullmatch(text) is not None


Locale = Annotated[
    str,
    Field(
        min_length=2,
        max_length=LOCALE_MAX_LENGTH,
        pattern=LOCALE_PATTERN,
        description="A BCP 47 language tag (RFC 5646), e.g. `de-DE`; kept in canonical case "
        "(`de-de` becomes `de-DE`).",
        examples=["de-DE"],
    ),
    AfterValidator(canonical_case),
]

# RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals.
_WEIGHT: Final = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")


def accepted_locales(accept_language: str | None) -> list[str]:
    """The tags an `Accept-Language` header (RFC 9110 §12.5.4) accepts, heaviest first (equal
    weights in the order sent), in canonical case. `*`, ranges that are no well-formed tag,
    malformed weights and `q=0` (not acceptable) are skipped."""
    weighted: list[tuple[float, int, str]] = []
    for position, element in enumerate((accept_language or "").split(",")):
        tag, *parameters = (part.strip() for part in element.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                weight = float(value) if _WEIGHT.match(value) else 0.0
        if weight > 0 and is_locale(tag):
            weighted.append((-weight, position, canonical_case(tag)))
    return [tag for _, _, tag in sorted(weighted)]


def preferred_locale(accept_language: str | None) -> str | None:
    """The tag an `Accept-Language` header prefers most (see `accepted_locales`); None when
    nothing is left."""
    return next(iter(accepted_locales(accept_language)), None)


def negotiate(preferred: Iterable[str | None], available: Iterable[str]) -> str | None:
    """The tag of `available` that serves the customer best, as it is written in `available`;
    None when none does.

    Preferences are tried one by one, most wanted first (Nones skipped), so that a German
    speaker who also reads French gets German in another region before French. For each:
    Babel's negotiation (the same tag in any case, Babel's alias of a bare language such as
    `de` → `de-DE`, then a region's bare language such as `de-AT` → `de`), then another
    region of the same language and script (`de-AT` → `de-DE`), the first one offered.
    """
    offered = [tag for tag in available if tag]
    by_lower = {tag.lower(): tag for tag in offered}
    for tag in preferred:
        if not tag:
            continue
        found = negotiate_locale([tag], offered, sep="-")
        if found is not None and found.lower() in by_lower:
            return by_lower[found.lower()]
        wanted = _language_and_script(tag)
        same_language = (t for t in offered if _compatible(wanted, _language_and_script(t)))
        match = next(same_language, None)
        if match is not None:
            return match
    return None


def _language_and_script(tag: str) -> tuple[str, str | None]:
    """The language and the script of a tag, read by Babel (subtags it cannot place, such as
    extensions, leave the language only)."""
    try:
        language, _, script, *_ = parse_locale(tag, sep="-")
    except ValueError:
        return tag.split("-")[0].lower(), None
    return language.lower(), script.title() if script else None


def _compatible(wanted: tuple[str, str | None], offered: tuple[str, str | None]) -> bool:
    """The same language, and no two different scripts (`zh-Hant` is no `zh-Hans`)."""
    (language, script), (other_language, other_script) = wanted, offered
    return language == other_language and (not script or not other_script or script == other_script)
