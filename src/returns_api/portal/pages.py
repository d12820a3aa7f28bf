"""The customer portal's pages at `/portal`: a static front-end served from this package.

Why static files and no server-side templates: the portal is the reference headless
front-end, so it calls the public API like any storefront would (a Bearer `pt_` token kept in
`sessionStorage`, no cookie, hence no CSRF surface), and the server only hands out files.
Plain HTML, CSS and JavaScript modules: no build step, nothing fetched from a CDN. Every
response carries a strict Content-Security-Policy: scripts, styles and data from this origin
only, no inline script or style, no framing. Each page path answers with the same shell; the
script shows the page for the path. Branding comes from settings as `/portal/config.json`
and `/portal/theme.css` (portal/branding.py).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from returns_api.core.errors import NotFound
from returns_api.core.settings import Settings
from returns_api.portal.branding import PortalConfig, image_origin, logo_type, theme_css

STATIC: Final = Path(__file__).parent / "static"
ASSET_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


class PortalAssetNotFound(NotFound):
    """No such file of the customer portal."""

    slug = "portal-asset-not-found"


def content_security_policy(settings: Settings) -> str:
    images = " ".join(filter(None, ("'self' data:", image_origin(settings.portal_logo_url))))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def security_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


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


def _asset(name: str) -> Path:
    """A file under static/, never outside it (no `..`, no absolute path)."""
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
        raise PortalAssetNotFound(f"No portal file {name!r}.")
    if path.suffix not in ASSET_TYPES:
        raise PortalAssetNotFound(f"No portal file {name!r}.")
    return path


def install_portal(app: FastAPI, settings: Settings) -> None:
    """Serve the portal at `/portal` (nothing is routed there when it is turned off)."""
    if not settings.portal_enabled:
        return
    headers = security_headers(settings)
    shell = (STATIC / "index.html").read_text(encoding="utf-8")

    def root_of(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

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
            raise PortalAssetNotFound("No logo file is configured.")
        media_type = logo_type(settings.portal_logo_file)
        return FileResponse(settings.portal_logo_file, media_type=media_type, headers=headers)

    @app.get("/portal/assets/{name:path}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = _asset(name)
        return FileResponse(path, media_type=ASSET_TYPES[path.suffix], headers=headers)

    @app.get("/portal", include_in_schema=False)
    @app.get("/portal/{page:path}", include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        html = shell.replace("{{root}}", escape(root_of(request), quote=True))
        return HTMLResponse(html, headers=headers)
