"""Request and response examples for the OpenAPI document (``examples.json``).

Keyed by component schema name (``schemas``), with per-operation overrides
(``operations.<operationId>.request`` / ``.response``). Taken from a real run of the return
journey; a test validates every example against the schema it illustrates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, Final

EXAMPLES: Final[dict[str, dict[str, Any]]] = json.loads(
    files("returns_api.contract").joinpath("examples.json").read_text(encoding="utf-8")
)

JSON: Final = "application/json"


@dataclass
class Examples:
    """Examples defined once under `components/examples` and referenced, as the same ones
    serve many operations; `schemas` are the document's, for their own `examples`."""

    schemas: dict[str, Any]
    shared: dict[str, Any] = field(default_factory=dict)

    def share(self, key: str, example: dict[str, Any]) -> dict[str, str]:
        self.shared.setdefault(key, example)
        return {"$ref": f"#/components/examples/{key}"}

    def of_schema(self, name: str) -> Any:
        """examples.json's example of a schema, else the model's own (`json_schema_extra`)."""
        if name in EXAMPLES["schemas"]:
            return EXAMPLES["schemas"][name]
        return next(iter(self.schemas.get(name, {}).get("examples", [])), None)


def _schema_name(schema: dict[str, Any]) -> str | None:
    """The component a body schema stands for (also through `anyOf: [ref, null]`)."""
    ref = schema.get("$ref")
    if ref is None:
        refs = [option["$ref"] for option in schema.get("anyOf", []) if "$ref" in option]
        ref = refs[0] if len(refs) == 1 else None
    return None if ref is None else str(ref).rsplit("/", 1)[-1]


def add_request_example(operation: dict[str, Any], examples: Examples) -> None:
    media = operation["requestBody"].get("content", {}).get(JSON)
    if media is not None and "example" not in media and "examples" not in media:
        set_example(media, examples, operation["operationId"], "request")


def add_response_example(
    operation: dict[str, Any], response: dict[str, Any], examples: Examples
) -> None:
    for media_type, media in response.get("content", {}).items():
        if "example" in media or "examples" in media:
            continue
        if media_type == JSON:
            set_example(media, examples, operation["operationId"], "response")
        else:  # text (metrics): small, inline
            own = EXAMPLES["operations"].get(operation["operationId"], {})
            if "response" in own:
                media["example"] = own["response"]


def set_example(media: dict[str, Any], examples: Examples, operation_id: str, part: str) -> None:
    """The operation's own example (examples.json `operations`), else its schema's."""
    own = EXAMPLES["operations"].get(operation_id, {})
    if part in own:
        key, value = f"{operation_id}{part.capitalize()}", own[part]
    else:
        key = _schema_name(media.get("schema", {})) or ""
        value = examples.of_schema(key)
    if value is not None:
        media["examples"] = {key: examples.share(key, {"summary": f"A {key}", "value": value})}
