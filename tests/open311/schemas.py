"""Validation against the official GeoReport v2 JSON Schemas (open311/schemas/), with the
date-time and uri formats checked, plus small schemas of our own for what the spec publishes
no schema for (discovery, the POST response, tokens, errors), written from its field tables."""

import json
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import open311

OFFICIAL = Path(open311.__file__).parent / "schemas"
NAMES = ["service", "services", "service-definition", "request", "requests"]


def _load(name: str) -> dict:
    return json.loads((OFFICIAL / f"{name}.json").read_text(encoding="utf-8"))


REGISTRY = Registry().with_resources(
    (f"{name}.json", Resource.from_contents(_load(name), default_specification=DRAFT4)) for name in NAMES
)


def _nullable_string():
    return {"anyOf": [{"type": "string"}, {"type": "null"}]}


OURS = {
    "discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": {"type": "string", "format": "date-time"},
            "contact": _nullable_string(),
            "key_service": _nullable_string(),
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": {"type": "string", "format": "uri"},
                        "url": {"type": "string", "format": "uri"},
                        "changeset": {"type": "string", "format": "date-time"},
                        "type": {"enum": ["production", "test"]},
                        "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
                    },
                },
            },
        },
    },
    "post-response": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["service_request_id"],
            "properties": {
                "service_request_id": {"type": "string"},
                "token": {"type": "string"},
                "service_notice": _nullable_string(),
                "account_id": _nullable_string(),
            },
        },
    },
    "tokens": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["service_request_id", "token"],
            "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
            "additionalProperties": False,
        },
    },
    "errors": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            "additionalProperties": False,
        },
    },
}


def validate(instance, name: str) -> None:
    """Raise jsonschema.ValidationError unless `instance` is valid against schema `name`."""
    schema = OURS[name] if name in OURS else _load(name)
    Draft4Validator(schema, registry=REGISTRY, format_checker=Draft4Validator.FORMAT_CHECKER).validate(instance)
