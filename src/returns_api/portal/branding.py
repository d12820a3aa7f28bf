"""The merchant's look of the customer portal: shop name, logo, primary colour and texts.

Read from settings (`RETURNS_PORTAL_*`), checked once at start-up, and handed to the page as
JSON (`/portal/config.json`) and CSS (`/portal/theme.css`): the page has no inline style or
script, so its Content-Security-Policy can forbid both. The primary colour must keep text
readable (WCAG 2.2 AA, 4.5:1 against white, on which it is used for buttons and links), so
a merchant's colour cannot take the portal below AA.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PORTAL_LOCALES: Final = ("en", "de", "fr", "nl", "ru")
MIN_CONTRAST: Final = 4.5  # WCAG 2.2 AA, normal text (1.4.3)
_HEX: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES: Final = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _readable_colour(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError("must be a hex colour like #1d4ed8")
    ratio = contrast_ratio(value, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise ValueError(
            f"contrast with white is {ratio:.2f}:1, below the {MIN_CONTRAST}:1 that WCAG 2.2 AA "
            "asks for text; choose a darker colour"
        )
    return value.lower()


def _logo_url(value: str | None) -> str | None:
    if value is None or (value.startswith("/") and not value.startswith("//")):
        return value
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("must be an https:// URL or a path on this site starting with /")
    return value


def _texts(value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    for locale, texts in value.items():
        if locale not in PORTAL_LOCALES:
            raise ValueError(f"{locale!r} is not one of the portal's languages {PORTAL_LOCALES}")
        for key, text in texts.items():
            if not key or len(key) > 64 or len(text) > 2000:
                raise ValueError(f"{locale}.{key}: keys up to 64, texts up to 2000 characters")
    return value


PrimaryColour = Annotated[str, AfterValidator(_readable_colour)]
LogoUrl = Annotated[str | None, AfterValidator(_logo_url)]
PortalTexts = Annotated[dict[str, dict[str, str]], AfterValidator(_texts)]


class PortalConfig(BaseModel):
    """What the page needs to brand itself (served as `/portal/config.json`)."""

    model_config = ConfigDict(frozen=True)

    shop_name: str
    logo_url: str | None = Field(description="Same origin, or the https URL the CSP allows.")
    primary_colour: str
    locales: tuple[str, ...] = PORTAL_LOCALES
    texts: dict[str, dict[str, str]] = Field(
        description="Per language, catalogue keys the merchant overrides (plain text)."
    )


def on_primary(colour: str) -> str:
    """Text colour on a primary-coloured button: white (the colour was checked against it)."""
    return "#ffffff" if contrast_ratio(colour, "#ffffff") >= MIN_CONTRAST else "#000000"


def theme_css(colour: str) -> str:
    return (
        "/* generated from RETURNS_PORTAL_PRIMARY_COLOUR */\n"
        f":root {{ --primary: {colour}; --on-primary: {on_primary(colour)}; }}\n"
    )


def logo_type(path: Path) -> str:
    media_type = LOGO_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise ValueError(f"the logo must be one of {sorted(LOGO_TYPES)}, not {path.suffix!r}")
    return media_type


def image_origin(logo_url: str | None) -> str | None:
    """The other origin the CSP lets images come from: the logo's, when it is elsewhere."""
    if logo_url is None or logo_url.startswith("/"):
        return None
    parts = urlsplit(logo_url)
    return f"{parts.scheme}://{parts.netloc}"
