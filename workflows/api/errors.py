"""Every API error is JSON: ``{"code": "...", "message": "<translated>", "fields": {...}}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from supervision.services.errors import DomainError, InvalidInput, NotAllowed, StorageFailed


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # A refusal from the services: the same code and translated sentence the web page shows.
        code = status.HTTP_409_CONFLICT
        if isinstance(exc, NotAllowed):
            code = status.HTTP_403_FORBIDDEN
        elif isinstance(exc, InvalidInput):
            code = status.HTTP_400_BAD_REQUEST
        elif isinstance(exc, StorageFailed):
            code = status.HTTP_503_SERVICE_UNAVAILABLE
        body = {"code": exc.code, "message": exc.message}
        if exc.field:
            body["fields"] = {exc.field: [exc.message]}
        return Response(body, status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        body = {"code": "invalid", "message": _("Some fields are not valid."), "fields": detail}
        if isinstance(detail, list):
            body = {"code": "invalid", "message": " ".join(str(d) for d in detail)}
    else:
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "message": str(detail)}
    response.data = body
    return response
