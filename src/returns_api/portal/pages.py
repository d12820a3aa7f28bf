"""The customer portal's pages at `/portal`: a static front-end served from this package.

Why static files and no server-side templates: the portal is the reference headless
front-end, so it calls the public API like any storefront would (a Bearer `pt_` token kept in
`sessionStorage`, no cookie, hence no CSRF surface), and the server only hands out files
(pages/static_site.py, with its Content-Security-Policy). Branding comes from settings as
`/portal/config.json` and `/portal/theme.css` (portal/branding.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from returns_api.core.settings import Settings
from returns_api.pages.static_site import (
    PageAssetNotFound,
    install_static_site,
    root_of,
    security_headers,
)
from returns_api.portal.branding import PortalConfig, image_origin, logo_type, theme_css

STATIC: Final = Path(__file__).parent / "static"


def portal_config(settings: Settings, root: str) -> PortalConfig:
    logo = settings.portal_logo_url
    if settings.portal_logo_file is not None:
        logo = f"{root}/portal/logo"
    elif logo is not None and logo.startswith("/"):
        logo = f"{root}{logo}"
    return PortalConfig(
        shop_name=settings.portal_shop_name,
        logo_url=logo,
        primary_colour=settings.portal_primary_colour,
        texts=settings.portal_texts,
    )


def install_portal(app: FastAPI, settings: Settings) -> None:
    """Serve the portal at `/portal` (nothing is routed there when it is turned off)."""
    if not settings.portal_enabled:
        return
    logo_origin = image_origin(settings.portal_logo_url)
    headers = security_headers([logo_origin] if logo_origin else [])

    @app.get("/portal/config.json", include_in_schema=False)
    async def config(request: Request) -> JSONResponse:
        body = portal_config(settings, root_of(request)).model_dump(mode="json")
        return JSONResponse(body, headers=headers)

    @app.get("/portal/theme.css", include_in_schema=False)
    async def theme() -> Response:
        css = theme_css(settings.portal_primary_colour)
        return Response(css, media_type="text/css; charset=utf-8", headers=headers)

    @app.get("/portal/logo", include_in_schema=False)
    async def logo() -> FileResponse:
        if settings.portal_logo_file is None:
            raise PageAssetNotFound("No logo file is configured.")
        media_type = logo_type(settings.portal_logo_file)
        return FileResponse(settings.portal_logo_file, media_type=media_type, headers=headers)

    install_static_site(app, "/portal", STATIC, headers)
