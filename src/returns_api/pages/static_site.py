"""Serving a static front-end (the portal, the console) under one path prefix.

Both are plain HTML, CSS and JavaScript modules that call the public API with a Bearer token:
no build step, nothing from a CDN, no server-side session. The server hands out one HTML shell
for every page path (the script shows the page for the path) and the files under the site's
`static/` directory, then those under `pages/shared/` (modules both sites use, such as
`dom.js`). Every response carries a strict Content-Security-Policy: scripts, styles and data
from this origin only, no inline script or style, no framing.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse

from returns_api.core.errors import NotFound

SHARED: Final = Path(__file__).parent / "shared"
ASSET_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


class PageAssetNotFound(NotFound):
    """No such file of the portal or the console."""

    slug = "page-asset-not-found"


def content_security_policy(image_origins: Sequence[str] = ()) -> str:
    images = " ".join(("'self' data:", *image_origins))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def security_headers(image_origins: Sequence[str] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(image_origins),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


def root_of(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def find_asset(name: str, directories: Sequence[Path]) -> Path:
    """A file under one of the directories, never outside it (no `..`, no absolute path)."""
    for directory in directories:
        base = directory.resolve()
        path = (base / name).resolve()
        if path.is_relative_to(base) and path.is_file() and path.suffix in ASSET_TYPES:
            return path
    raise PageAssetNotFound(f"No such page file {name!r}.")


def install_static_site(app: FastAPI, prefix: str, static: Path, headers: dict[str, str]) -> None:
    """Route `{prefix}/assets/…` to the files and every other `{prefix}/…` path to the shell.

    Routes a site adds itself (e.g. `/portal/config.json`) must be added before this call.
    """
    directories = (static, SHARED)
    shell = (static / "index.html").read_text(encoding="utf-8")

    @app.get(f"{prefix}/assets/{{name:path}}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = find_asset(name, directories)
        return FileResponse(path, media_type=ASSET_TYPES[path.suffix], headers=headers)

    @app.get(prefix, include_in_schema=False)
    @app.get(f"{prefix}/{{page:path}}", include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        html = shell.replace("{{root}}", escape(root_of(request), quote=True))
        return HTMLResponse(html, headers=headers)
