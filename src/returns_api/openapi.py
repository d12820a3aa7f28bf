"""The OpenAPI document as committed under ``openapi/`` (stable key order, trailing newline)."""

from __future__ import annotations

import json

from returns_api.app import create_app
from returns_api.core.settings import Settings


def render_openapi() -> str:
    # Defaults only: the document must not depend on the environment it is rendered in.
    app = create_app(Settings.model_construct())
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
