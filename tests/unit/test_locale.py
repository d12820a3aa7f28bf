"""Language tags (core.locale): what is well-formed, the case they are kept in, and which tag
an Accept-Language header prefers."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from returns_api.core.locale import Locale, is_locale, preferred_locale

LOCALE = TypeAdapter(Locale)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("de-DE", "de-DE"),
        ("de-de", "de-DE"),
        ("EN", "en"),
        ("en-gb", "en-GB"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("sr-latn-RS", "sr-Latn-RS"),
        ("es-419", "es-419"),
        ("de-CH-1996", "de-CH-1996"),
        ("sl-rozaj-biske", "sl-rozaj-biske"),
        ("zh-yue-HK", "zh-yue-HK"),
        ("en-US-u-ca-GREGORY", "en-US-u-ca-gregory"),
        ("de-DE-x-Phonebk", "de-DE-x-phonebk"),
        ("en-a-bbb-x-a-CC", "en-a-bbb-x-a-cc"),
    ],
)
def test_a_well_formed_tag_is_kept_in_canonical_case(given: str, kept: str) -> None:
    assert LOCALE.validate_python(given) == kept


@pytest.mark.parametrize(
    "refused",
    [
        "",
        "d",
        "de_DE",
        "de-",
        "-DE",
        "de--DE",
        "de-DE ",
        " de",
        "deutsch-DE-",
        "x-private",
        "i-klingon",
        "en-US-u",
        "en-x",
        "de-DE\n",
        "123",
        "de-ÄÖ",
        "abcdefghi",
        "german",
        "Deutsch-DE",
        "en-" + "-".join(["abcdefgh"] * 4),  # 38 characters
        "*",
    ],
)
def test_a_malformed_tag_is_refused(refused: str) -> None:
    assert not is_locale(refused)
    with pytest.raises(ValidationError):
        LOCALE.validate_python(refused)


@pytest.mark.parametrize(
    ("header", "preferred"),
    [
        (None, None),
        ("", None),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr-CH"),
        ("en;q=0.5, nl-nl;q=0.8", "nl-NL"),
        ("*, de;q=0.3", "de"),
        ("*", None),
        ("en_GB, ru-RU;q=0.1", "ru-RU"),
        ("de;q=0, fr;q=0.001", "fr"),
        ("de;q=2, fr;q=x, it;q=0.5", "it"),
        ("en-GB;Q=0.9, en-US;q=0.9", "en-GB"),
        ("  de-AT ;  q=0.7 , ", "de-AT"),
        (",,;;,", None),
    ],
)
def test_accept_language_prefers_its_heaviest_well_formed_tag(
    header: str | None, preferred: str | None
) -> None:
    assert preferred_locale(header) == preferred
