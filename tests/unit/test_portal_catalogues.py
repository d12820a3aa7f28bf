"""Every portal language has every message of the English catalogue, with the same
placeholders: a missing one would show its key, a wrong placeholder a literal `{name}`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from returns_api.portal.branding import PORTAL_LOCALES

CATALOGUES = Path(__file__).resolve().parents[2] / "src/returns_api/portal/static/i18n"


def _load(locale: str) -> dict[str, str]:
    return dict(json.loads((CATALOGUES / f"{locale}.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("locale", PORTAL_LOCALES)
def test_each_catalogue_says_everything_english_says(locale: str) -> None:
    english, other = _load("en"), _load(locale)
    assert other.keys() == english.keys()
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", other[key])) == set(re.findall(r"\{\w+\}", text)), key
        assert other[key].strip(), key
