"""Request and response examples for the OpenAPI document (``examples.json``).

Keyed by component schema name (``schemas``), with per-operation overrides
(``operations.<operationId>.request`` / ``.response``). Taken from a real run of the return
journey; a test validates every example against the schema it illustrates.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any, Final

EXAMPLES: Final[dict[str, dict[str, Any]]] = json.loads(
    files("returns_api.contract").joinpath("examples.json").read_text(encoding="utf-8")
)
