"""What every part of the JSON API shares: one error format, the OpenAPI schema and its doc page.

Every error, DRF's own (validation, authentication, permission, 404) and the
case service's, answers

    {"error": {"code": "...", "message": "...", "fields": {"<field>": ["..."]}}}

with `current_status` added for errors of case actions (409 and friends). A service refuses
with a config.errors.ApplicationError subclass, rendered here without importing its app.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import ApplicationError

# DRF's codes where the API has its own word for the same thing.
RENAMED_CODES = {"permission_denied": "not_permitted"}


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (for the schema; the handler builds it)."""

    class BodySerializer(serializers.Serializer):
        code = serializers.CharField(
            help_text="invalid, not_authenticated, authentication_failed, not_permitted, not_found, "
            "illegal_transition, stale, method_not_allowed, parse_error, …"
        )
        message = serializers.CharField()
        fields = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Messages per input field (dotted paths for nested ones); empty unless code is invalid.",
        )
        current_status = serializers.CharField(
            required=False, allow_null=True, help_text="Errors of case actions only: the case's status now."
        )

    error = BodySerializer()


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input (`invalid`), with messages per field.",
        403: "Not logged in (`not_authenticated`), or not allowed (`not_permitted`).",
        404: "No such object, or not one this user may see (`not_found`).",
        409: "Not possible in the case's current status (`illegal_transition`), or the case changed "
        "meanwhile (`stale`); `current_status` says what it is now.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" / "parent.field" / "items.0.field": [messages]}."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            fields.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return fields
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        fields = {}
        for index, item in enumerate(detail):
            fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix: [str(message) for message in messages]} if messages else {}


def error_body(*, code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the one format; None (a 500) for bugs."""
    if isinstance(exc, ApplicationError):  # a service's refusal, whichever app raised it
        set_rollback()
        body = error_body(code=exc.code, message=exc.message, fields=exc.fields, **exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)  # headers (WWW-Authenticate, Retry-After), rollback
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(exc.detail, dict):
            fields = _flatten(exc.detail)
            general = fields.pop(api_settings.NON_FIELD_ERRORS_KEY, [])
        else:  # raise ValidationError("…") in a view: no field to name
            fields, general = {}, _flatten(exc.detail).get("", [])
        if general:
            message = " ".join(general)
        elif fields:
            name, messages = next(iter(fields.items()))
            message = _("%(field)s: %(message)s") % {"field": name, "message": messages[0]}
        else:
            message = _("Invalid input.")
        response.data = error_body(code="invalid", message=message, fields=fields)
        return response
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", "")
    response.data = error_body(code=RENAMED_CODES.get(code, code), message=str(detail))
    return response


class AutoSchema(openapi.AutoSchema):
    """Names components after the view that nests the serializer (HackSoft style: every view has
    its own InputSerializer/OutputSerializer), e.g. LocateApi.InputSerializer → LocateApiInput."""

    def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
        parts = type(serializer).__qualname__.split(".")
        if len(parts) == 1:
            return super().get_serializer_name(serializer, direction)
        return "".join(part.removesuffix("Serializer") for part in parts if not part.startswith("<"))
