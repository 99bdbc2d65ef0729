"""The base of every feature's API schemas (``workflow/<feature>/schemas.py``) and the one way
to turn them into the OpenAPI document's components.

A :class:`Request` describes a JSON body the API accepts (no other fields); an :class:`Answer`
describes what it sends back. Limits come from the constants the services check, so the
document cannot drift from the rules. Where a service answers with its own Swedish message,
the service keeps its check and the schema documents the shape; the API still uses the
schema's field names to refuse unknown fields (:func:`workflow.platform.api.json_body`)."""
from __future__ import annotations

from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import GenerateJsonSchema

REF_TEMPLATE = "#/components/schemas/{model}"


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Error(Answer):
    # Every error answer of the API (views/errors.py: api_error). No docstring: pydantic
    # would put it in the (Swedish) document as the description.
    error: str
    reasons: list[str] = []
    fields: dict[str, list[str]] = {}


class _Document(GenerateJsonSchema):
    """JSON Schema as the document shows it: one title per model, none per field, and no
    ``default: null`` (an optional field's absence is not a value the client must send)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema) -> dict[str, Any]:
        generated = super().default_schema(schema)
        if generated.get("default", ...) is None:
            del generated["default"]
        return generated


def json_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's schema and the schemas it refers to (``$defs``), refs into components."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=_Document,
                                     by_alias=True)
    return schema, schema.pop("$defs", {})


def components(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    """``components.schemas`` generated from ``models``, keyed by model name; two different
    schemas of one name are a programming error (one would silently replace the other)."""
    schemas: dict[str, Any] = {}
    for model in models:
        schema, defs = json_schema(model)
        for name, generated in {**defs, model.__name__: schema}.items():
            if schemas.setdefault(name, generated) != generated:
                raise ValueError(f"Two API schemas are named {name}; rename one model.")
    return schemas
