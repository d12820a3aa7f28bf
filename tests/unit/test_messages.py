"""Message catalogues and language negotiation (core.messages, core.locale): every catalogue
says everything English says, with the same placeholders; a customer is answered in the
language they want most that there are texts in."""

from __future__ import annotations

import json
import string
from datetime import date
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from returns_api.core.locale import accepted_locales, negotiate
from returns_api.core.messages import (
    CATALOGUE_LOCALES,
    SOURCE_LOCALE,
    Message,
    catalogue,
    catalogue_locale,
    speaking,
    translate,
)
from returns_api.policies.document import DEFAULT_REASONS


def placeholders(text: str) -> set[tuple[str, str | None]]:
    """The named fields of a format string, with their conversion (`!r`)."""
    return {
        (name, conversion)
        for _, name, _, conversion in string.Formatter().parse(text)
        if name is not None
    }


def test_the_catalogues_shipped_are_the_ones_declared() -> None:
    shipped = files("returns_api.core").joinpath("catalogues")
    names = sorted(p.name for p in shipped.iterdir() if p.name.endswith(".json"))
    assert names == sorted(f"{language}.json" for language in CATALOGUE_LOCALES)


@pytest.mark.parametrize("language", CATALOGUE_LOCALES)
def test_every_catalogue_has_every_key_with_the_same_placeholders(language: str) -> None:
    source, texts = catalogue(SOURCE_LOCALE), catalogue(language)
    assert set(texts) == set(source)
    for key, text in texts.items():
        assert text, (language, key)
        assert text.strip() == text, (language, key)
        assert placeholders(text) == placeholders(source[key]), (language, key)


@pytest.mark.parametrize("language", CATALOGUE_LOCALES)
def test_a_catalogue_is_a_flat_object_of_texts_with_unique_keys(language: str) -> None:
    raw = files("returns_api.core").joinpath("catalogues", f"{language}.json").read_text("utf-8")
    pairs = json.loads(raw, object_pairs_hook=list)
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys))
    assert all(isinstance(text, str) for _, text in pairs)


def test_a_catalogue_is_read_once() -> None:
    assert catalogue("de") is catalogue("de")


def test_the_default_reasons_are_named_in_every_catalogue_language() -> None:
    for reason in DEFAULT_REASONS:
        assert set(reason.labels) == set(CATALOGUE_LOCALES)
        assert reason.label == reason.labels["en"]
        assert len(set(reason.labels.values())) == len(CATALOGUE_LOCALES), reason


GERMAN_FINAL_SALE = (
    "Position 'li_1' wurde als Endverkauf gekauft und kann nicht zurückgegeben werden"
)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", GERMAN_FINAL_SALE),
        ("de-CH", GERMAN_FINAL_SALE),
        ("en-GB", "line 'li_1' was a final sale and cannot be returned"),
        ("ja", "line 'li_1' was a final sale and cannot be returned"),
        (None, "line 'li_1' was a final sale and cannot be returned"),
    ],
)
def test_translate_negotiates_a_catalogue_and_falls_back_to_english(
    locale: str | None, expected: str
) -> None:
    assert translate("item.final_sale", locale, line_id="li_1") == expected


def test_dates_are_written_as_the_language_asked_for_writes_them() -> None:
    deadline = date(2026, 11, 1)
    said = Message("item.window_closed", line_id="li_1", deadline=deadline)
    assert said.text("de").endswith("am 1. November 2026 abgelaufen")
    assert said.text("en-GB").endswith("closed on 1 November 2026")
    assert said.text("en").endswith("closed on November 1, 2026")
    # A language with no catalogue: an English sentence with an English date.
    assert said.text("ja").endswith("closed on November 1, 2026")


def test_a_message_as_a_value_is_said_in_the_same_language() -> None:
    said = Message(
        "return.cannot_become",
        current=Message("status.approved"),
        target=Message("status.cancelled"),
    )
    assert said.text() == "A return that is approved cannot become cancelled."
    assert said.text("nl") == (
        "Een retour met de status \u2018goedgekeurd\u2019 kan niet de status "
        "\u2018geannuleerd\u2019 krijgen."
    )


def test_an_unknown_key_is_an_error_of_the_code() -> None:
    with pytest.raises(KeyError):
        translate("item.no_such_thing", "de")


# --- negotiation -----------------------------------------------------------------------------

OFFERED = ["en", "de-DE", "fr", "pt-BR", "zh-Hant"]


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [
        (["de-DE"], "de-DE"),
        (["DE-de"], "de-DE"),  # any case; answered as offered
        (["de"], "de-DE"),  # Babel's alias of the bare language
        (["de-AT"], "de-DE"),  # another region of the same language
        (["fr-CA"], "fr"),  # a region's bare language
        (["pt-PT"], "pt-BR"),
        (["it", "de-CH", "fr"], "de-DE"),  # the most wanted first, with its fallbacks
        (["zh-Hans"], None),  # another script is another writing
        (["zh-Hant-TW"], "zh-Hant"),
        ([None, "", "ja"], None),
        ([], None),
        (["de-DE-u-co-phonebk"], "de-DE"),  # an extension Babel cannot place
    ],
)
def test_negotiate(preferred: list[str | None], expected: str | None) -> None:
    assert negotiate(preferred, OFFERED) == expected


def test_the_catalogue_language_and_the_tag_it_is_spoken_as() -> None:
    assert catalogue_locale(["ja", "nl-BE", "de"]) == "nl"
    assert speaking(["ja", "nl-BE", "de"]) == "nl-BE"
    assert catalogue_locale(["ja"]) == speaking(["ja"]) == SOURCE_LOCALE


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("fr-ch, fr;q=0.9, en;q=0.8, *;q=0.5", ["fr-CH", "fr", "en"]),
        ("en;q=0.3, it-it;q=0.8, de", ["de", "it-IT", "en"]),
        ("nl;q=0.5, ru;q=0.5", ["nl", "ru"]),  # equal weights keep their order
        ("de;q=0, fr;q=1.5, x;q=0.5, en", ["en"]),
        (None, []),
    ],
)
def test_accepted_locales_heaviest_first(header: str | None, tags: list[str]) -> None:
    assert accepted_locales(header) == tags


TAGS = st.sampled_from(
    ["en", "en-GB", "de", "de-AT", "de-DE", "fr", "fr-CA", "nl-BE", "ru", "pt-BR", "zh-Hant", "ja"]
)


@given(preferred=st.lists(TAGS, max_size=5), offered=st.lists(TAGS, max_size=5))
def test_negotiation_answers_with_an_offered_tag_or_none(
    preferred: list[str], offered: list[str]
) -> None:
    found = negotiate(preferred, offered)
    assert found is None or found in offered
    if set(preferred) & set(offered):
        assert found is not None
    # A tag wanted and offered as it is is never passed over for a later wish.
    if preferred and preferred[0] in offered:
        assert found == preferred[0]
