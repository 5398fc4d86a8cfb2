"""One error shape for every API failure:

    {"type": "validation_error", "errors": [{"field": "birth_number",
      "code": "birth_number_checksum", "message": "..."}]}

Django's own ValidationError and PermissionDenied from the domain services
become 400 and 403 instead of a 500."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

TYPES = {
    status.HTTP_400_BAD_REQUEST: "validation_error",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _flatten(detail, field=None):
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if field is None else f"{field}.{key}"
            if key == "non_field_errors" and field is None:
                name = None
            yield from _flatten(value, name)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list) and not isinstance(item, str):
                yield from _flatten(item, f"{field}[{index}]" if field else f"[{index}]")
            else:
                yield from _flatten(item, field)
    else:
        yield {
            "field": field,
            "code": getattr(detail, "code", None) or "invalid",
            "message": str(detail),
        }


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    if isinstance(detail, str | exceptions.ErrorDetail):
        detail = [detail]
    body = {
        "type": TYPES.get(response.status_code, "error"),
        "errors": list(_flatten(detail)),
    }
    return Response(body, status=response.status_code, headers=_kept_headers(response))


def _kept_headers(response):
    return {
        name: response[name]
        for name in ("WWW-Authenticate", "Retry-After", "Allow")
        if response.has_header(name)
    }
