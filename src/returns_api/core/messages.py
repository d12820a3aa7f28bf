"""What the service says to customers, in their language: message catalogues and `translate`.

One JSON catalogue per language ships in `core/catalogues/` (`en`, `de`, `fr`, `nl`, `ru`),
each a flat object of key → text; each is read once, when first needed. English is the
source: every key is in it, and a text missing from another catalogue is said in English
rather than not at all (a unit test keeps every catalogue complete, with the same
placeholders). Texts are `str.format` templates with named placeholders (`{line_id!r}`);
a `date` is written as Babel writes it for the locale asked for (`1. November 2026`), and a
`Message` given as a value is translated into the same language first (a status's name).

A key names what is said, never how (`item.window_closed`), so that the problem `type`s and
the texts can change apart. Use it as:

    translate("item.final_sale", "de-AT", line_id="li_1")   # German, from the `de` catalogue
    message = Message("item.final_sale", line_id="li_1")      # to say later, in any language
    message.text("fr")
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from returns_api.core.locale import negotiate

CATALOGUE_LOCALES: Final = ("en", "de", "fr", "nl", "ru")
SOURCE_LOCALE: Final = "en"


class Message:
    """Something to say (a catalogue key and its values), in whichever language is asked."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params: Mapping[str, object] = params

    def text(self, locale: str = SOURCE_LOCALE) -> str:
        return translate(self.key, locale, **self.params)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{dict(self.params)!r})"


@cache
def catalogue(language: str) -> Mapping[str, str]:
    """The catalogue of one of `CATALOGUE_LOCALES`, read from the package once."""
    if language not in CATALOGUE_LOCALES:
        raise KeyError(f"no message catalogue for {language!r}")
    source = files("returns_api.core").joinpath("catalogues", f"{language}.json")
    texts = json.loads(source.read_text(encoding="utf-8"))
    assert isinstance(texts, dict)
    return {str(key): str(text) for key, text in texts.items()}


def catalogue_locale(preferred: Iterable[str | None]) -> str:
    """The catalogue language that serves `preferred` (most wanted first) best; English when
    none does."""
    return negotiate(preferred, CATALOGUE_LOCALES) or SOURCE_LOCALE


def speaking(preferred: Iterable[str | None]) -> str:
    """The first tag of `preferred` (most wanted first) that a catalogue serves, as it was
    asked for: `de-AT` is said from the German catalogue, with dates as Austria writes them.
    English when none is served. Its catalogue is `catalogue_locale([tag])`."""
    return next(
        (tag for tag in preferred if tag and negotiate([tag], CATALOGUE_LOCALES)), SOURCE_LOCALE
    )


def translate(key: str, locale: str | None, /, **params: object) -> str:
    """The text of `key` in the language of `locale` (any BCP 47 tag; negotiated to a
    catalogue, else English), with `params` filled in. An unknown key is a KeyError: keys are
    the code's, never the caller's."""
    language = catalogue_locale([locale])
    template = catalogue(language).get(key)
    if template is None:
        template = catalogue(SOURCE_LOCALE)[key]
        language = SOURCE_LOCALE
    values = {name: _shown(value, locale or language, language) for name, value in params.items()}
    return template.format_map(values)


def _shown(value: object, locale: str, language: str) -> object:
    if isinstance(value, Message):
        return translate(value.key, locale, **value.params)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, format="long", locale=_babel_locale(locale, language))
    return value


def _babel_locale(locale: str, language: str) -> Locale:
    """Babel's data for the tag asked for (`en-GB` writes dates as the British do) when the
    text is in its language, else for the catalogue's language (no Japanese date in an English
    sentence)."""
    try:
        asked = Locale.parse(locale, sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale.parse(language)
    return asked if asked.language == language else Locale.parse(language)
