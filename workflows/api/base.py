"""What every API view shares: parsing input through a serializer (a 400 with the fields on bad
input), "not found" for what a person may not see, and the steps a person may take, as links."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from . import inputs


class ApiView(APIView):
    """An endpoint of /api/: authentication, scope, throttling and JSON errors as the settings say."""


def not_found() -> NotFound:
    # Not found and not yours look the same, as on the pages: nothing leaks about other units.
    return NotFound(_("Not found."))


def parsed(serializer: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    s = serializer(data=data, **kwargs)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def query(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """The query string read through ``serializer``: each parameter once, unknown ones refused
    (a typo in a filter would otherwise widen the list silently). Every fault is named at once."""
    params = request.query_params
    fields = set(serializer().fields)
    errors: dict[str, list[str]] = {}
    for name in params:
        if name not in fields | {"size", "cursor"}:
            errors[name] = [_("Unknown parameter.")]
        elif len(params.getlist(name)) > 1:
            errors[name] = [_("Give this parameter once.")]
    s = serializer(data={k: params[k] for k in params if k in fields and k not in errors})
    if not s.is_valid():
        errors.update(s.errors)
    if errors:
        raise ValidationError(errors)
    return dict(s.validated_data)


def step_links(request: Request, url_name: str, pk: int, offered: list[tuple[str, Any, str]]) -> list[dict[str, str]]:
    """The steps offered, each with the URL it is taken at: (key, label, needs) → dicts."""
    return [
        {
            "key": key,
            "label": str(label),
            "needs": inputs.NEEDS_NAMES.get(needs, needs),
            "url": request.build_absolute_uri(reverse(f"api:{url_name}-{key}", args=[pk])),
        }
        for key, label, needs in offered
    ]
