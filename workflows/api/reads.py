"""The API's reads other than the tasks (assignments.py), the letters (letters.py) and the event
feed (events.py): units, items, cycles and their rankings, notices, and who is calling.

Each reads through the selectors the pages use (visibility, rankings, api_visibility), so a
person sees here exactly what their pages show them; anything else is 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from supervision.models import ApiToken, Item, PeerGroup
from supervision.selectors import visibility
from supervision.selectors.api_visibility import cycles_visible_to, units_visible_to
from supervision.selectors.rankings import notice_get, notices_visible_to, ranking_of
from supervision.services.roles import roles_by_unit

from . import inputs, pagination
from . import serializers as out
from .base import ApiView, not_found, query
from .pagination import PAGE_PARAMETERS, page, page_serializer

UnitPage = page_serializer("UnitPage", out.UnitOut)
ItemPage = page_serializer("ItemPage", out.ItemOut)
CyclePage = page_serializer("CyclePage", out.CycleOut)
ResultPage = page_serializer("ResultPage", out.ResultOut)
NoticePage = page_serializer("NoticePage", out.NoticeOut)


# --- who is calling -------------------------------------------------------------------------------


class MeView(ApiView):
    @extend_schema(summary="Who the token (or session) acts as, and their roles", responses=out.MeOut)
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "name": user.display_name,
                "roles": {str(unit): sorted(roles) for unit, roles in sorted(roles_by_unit(user).items())},
                "token": None
                if token is None
                else {
                    "name": token.name,
                    "prefix": token.prefix,
                    "scope": token.scope,
                    "expires_at": timezone.localtime(token.expires_at).isoformat() if token.expires_at else None,
                },
            }
        )


# --- units ----------------------------------------------------------------------------------------


class UnitList(ApiView):
    @extend_schema(operation_id="units_list", summary="Units", parameters=PAGE_PARAMETERS, responses=UnitPage)
    def get(self, request: Request) -> Response:
        query(request, inputs.NoFilters)
        rows, cursor = pagination.by_id(units_visible_to(request.user), request)
        return Response(page(request, out.UnitOut(rows, many=True).data, cursor))


class UnitDetail(ApiView):
    @extend_schema(operation_id="units_retrieve", summary="One unit", responses=out.UnitOut)
    def get(self, request: Request, pk: int) -> Response:
        unit = units_visible_to(request.user).filter(pk=pk).first()
        if unit is None:
            raise not_found()
        return Response(out.UnitOut(unit).data)


# --- items ----------------------------------------------------------------------------


def items_shown(qs: QuerySet[Item]) -> QuerySet[Item]:
    return qs.prefetch_related("item_units__unit")


class ItemList(ApiView):
    @extend_schema(
        operation_id="items_list",
        summary="Items (整改事项) of the letters and tasks the caller sees",
        parameters=[inputs.ItemFiltersIn, *PAGE_PARAMETERS],
        responses=ItemPage,
    )
    def get(self, request: Request) -> Response:
        f = query(request, inputs.ItemFiltersIn)
        qs = visibility.items_visible_to(request.user)
        if f.get("letter"):
            qs = qs.filter(letter_id=f["letter"])
        rows, cursor = pagination.by_id(items_shown(qs), request)
        return Response(page(request, out.ItemOut(rows, many=True).data, cursor))


class ItemDetail(ApiView):
    @extend_schema(operation_id="items_retrieve", summary="One item", responses=out.ItemOut)
    def get(self, request: Request, pk: int) -> Response:
        item = items_shown(visibility.items_visible_to(request.user).filter(pk=pk)).first()
        if item is None:
            raise not_found()
        return Response(out.ItemOut(item).data)


# --- cycles and rankings --------------------------------------------------------------------------


class CycleList(ApiView):
    @extend_schema(summary="Cycles (双周调度), the latest first", parameters=PAGE_PARAMETERS, responses=CyclePage)
    def get(self, request: Request) -> Response:
        query(request, inputs.NoFilters)
        rows, cursor = pagination.by_id(cycles_visible_to(request.user), request, field="number", descending=True)
        return Response(page(request, out.CycleOut(rows, many=True, context={"request": request}).data, cursor))


class CycleRanking(ApiView):
    @extend_schema(
        summary="A closed cycle's ranking (双周排队): every unit for the office, one's own units otherwise",
        parameters=[inputs.RankingFiltersIn, *PAGE_PARAMETERS],
        responses=ResultPage,
    )
    def get(self, request: Request, pk: int) -> Response:
        f = query(request, inputs.RankingFiltersIn)
        cycle = cycles_visible_to(request.user).filter(pk=pk).first()
        if cycle is None:
            raise not_found()
        results = ranking_of(request.user, cycle, f.get("peer_group") or None).exclude(peer_group=PeerGroup.OFFICE)
        # A closed cycle's results are frozen: a place in their order is a stable cursor.
        rows, cursor = pagination.by_offset(results, request)
        return Response(page(request, out.ResultOut(rows, many=True).data, cursor))


# --- notices --------------------------------------------------------------------------------------


class NoticeList(ApiView):
    @extend_schema(
        operation_id="notices_list", summary="Notices (双周通报)", parameters=PAGE_PARAMETERS, responses=NoticePage
    )
    def get(self, request: Request) -> Response:
        query(request, inputs.NoFilters)
        qs = notices_visible_to(request.user).select_related("cycle", "office")
        rows, cursor = pagination.by_id(qs, request, descending=True)
        return Response(page(request, out.NoticeOut(rows, many=True, context={"request": request}).data, cursor))


class NoticeDetail(ApiView):
    @extend_schema(operation_id="notices_retrieve", summary="One notice", responses=out.NoticeOut)
    def get(self, request: Request, pk: int) -> Response:
        notice = notice_get(request.user, pk)
        if notice is None:
            raise not_found()
        return Response(out.NoticeOut(notice, context={"request": request}).data)
