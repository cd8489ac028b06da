"""GeoReport v2 responses in JSON or XML, with the spec's element names.

The same Python value is written both ways: a list becomes a root element holding one element
per item (services/service, service_requests/request, errors/error), nested lists likewise
(attributes/attribute, values/value, endpoints/endpoint, formats/format, notes/note). None is an empty
element, booleans are true/false.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from django.http import HttpResponse

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}
# Characters XML 1.0 cannot carry at all (a client may have posted them in a description).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_IN_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ElementTree.SubElement(element, name), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, value)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, value, *, status: int = 200) -> HttpResponse:
    """`root` names the XML root (services, service_requests, service_definition, discovery, errors)."""
    body = to_xml(root, value) if fmt == "xml" else json.dumps(value, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
