"""The merchant console's pages at `/console`, off unless `RETURNS_CONSOLE_ENABLED` is set.

The same technology and rules as the customer portal (pages/static_site.py): static modules
calling the documented API, no CDN, a strict Content-Security-Policy. The merchant signs in
with an API key that the page keeps in `sessionStorage` and sends as a Bearer token, never in
a URL, a cookie or `localStorage`; so the server holds no console session and there is no
CSRF surface. What the page shows follows the key's scopes (`GET /v1/me`); the API checks
them again on every call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI

from returns_api.core.settings import Settings
from returns_api.pages.static_site import install_static_site, security_headers

STATIC: Final = Path(__file__).parent / "static"


def install_console(app: FastAPI, settings: Settings) -> None:
    """Serve the console at `/console` (nothing is routed there when it is off)."""
    if settings.console_enabled:
        install_static_site(app, "/console", STATIC, security_headers())
