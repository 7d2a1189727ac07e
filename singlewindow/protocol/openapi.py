"""OpenAPI declarations of the raw request bodies (the routes read exact bytes, never a parsed model)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_XML_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "binary",
    "description": "the exact XML bytes; they are stored and signed over as sent",
}


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with its ``$defs`` inlined, so it stands alone inside ``openapi_extra``."""
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any, depth: int = 0) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/") and depth < 32:
                target = dict(definitions[reference.removeprefix("#/$defs/")])
                return resolve({**target, **{k: v for k, v in node.items() if k != "$ref"}}, depth + 1)
            return {key: resolve(value, depth) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item, depth) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def request_body(
    *, description: str, xml: bool = False, json_model: type[BaseModel] | None = None
) -> dict[str, Any]:
    """``openapi_extra`` declaring a required body: XML bytes and/or JSON fields of ``json_model``."""
    content: dict[str, Any] = {}
    if json_model is not None:
        content["application/json"] = {"schema": inline_schema(json_model)}
    if xml:
        content["application/xml"] = {"schema": dict(_XML_SCHEMA)}
    return {"requestBody": {"required": True, "description": description, "content": content}}
