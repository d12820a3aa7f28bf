"""The merchant's colour cannot take the portal below WCAG 2.2 AA contrast; bad branding
settings are refused at start-up with the setting named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from returns_api.core.settings import Settings
from returns_api.portal.branding import contrast_ratio, on_primary

colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#1d4ed8", "#ffffff") > 4.5


@given(colours)
def test_a_colour_is_taken_only_when_white_text_on_it_is_readable(colour: str) -> None:
    if contrast_ratio(colour, "#ffffff") < 4.5:
        with pytest.raises(ValidationError, match="portal_primary_colour"):
            Settings(portal_primary_colour=colour)
    else:
        settings = Settings(portal_primary_colour=colour)
        assert contrast_ratio(settings.portal_primary_colour, on_primary(colour)) >= 4.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("portal_primary_colour", "blue"),
        ("portal_primary_colour", "#fff"),
        ("portal_logo_url", "http://shop.example/logo.png"),
        ("portal_logo_url", "//shop.example/logo.png"),
        ("portal_logo_url", "javascript:alert(1)"),
        ("portal_texts", {"es": {"login.intro": "Hola"}}),
        ("portal_logo_file", "/nonexistent/logo.png"),
        ("portal_logo_file", "/etc/hostname"),
    ],
)
def test_bad_branding_is_refused_naming_the_setting(name: str, value: object) -> None:
    with pytest.raises(ValidationError, match=name.split("_", 1)[1].upper() + "|" + name):
        Settings(**{name: value})
