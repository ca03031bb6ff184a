"""The event feed (/api/events/): the integration events concerning what the caller may see,
newest first, each exactly the body a webhook receives (supervision/outbox/payload.py). An
integration that cannot take webhooks polls this instead, keeping the last ``id`` it handled."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from supervision.outbox.payload import event_body
from supervision.selectors.api_visibility import events_visible_to

from . import inputs, pagination
from . import serializers as out
from .base import ApiView, query
from .pagination import PAGE_PARAMETERS, page, page_serializer

EventPage = page_serializer("EventPage", out.EventOut)


class EventFeed(ApiView):
    @extend_schema(
        summary="Events (消息) about what the caller may see, newest first: the webhook bodies",
        parameters=PAGE_PARAMETERS,
        responses=EventPage,
    )
    def get(self, request: Request) -> Response:
        query(request, inputs.NoFilters)
        rows, cursor = pagination.by_time(events_visible_to(request.user), request, field="created_at")
        return Response(page(request, [event_body(e) for e in rows], cursor))
