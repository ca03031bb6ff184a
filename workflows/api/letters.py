"""Letters through the API: the list (the letter list page's filters and figures), one letter with
the steps the caller may take, its items; and the drafting a clerk does on the letter pages:
start a draft, change it, add items. Signing, routing and issuing are steps (actions.py).

Each write is the letter page's one service call (services/letters.py), so the role, state and
input checks and the audit rows are the page's.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from supervision import services
from supervision.models import Item, Letter, Role, Unit, UnitKind, User
from supervision.parsing import clean_text
from supervision.selectors import visibility
from supervision.selectors.queues import units_where
from supervision.services.letters import KEEP
from supervision.services.roles import role_refusal
from supervision.services.steps import allowed

from . import calls, inputs, pagination
from . import serializers as out
from .base import ApiView, not_found, parsed, query, step_links
from .pagination import PAGE_PARAMETERS, page, page_serializer
from .reads import ItemPage, items_shown

LetterPage = page_serializer("LetterPage", out.LetterOut)
WRITE_ERRORS = {
    400: OpenApiResponse(out.ErrorOut, description="Bad input: the fields say what."),
    403: OpenApiResponse(out.ErrorOut, description="Not allowed (a clerk of the office drafts), or a read-only token."),
    404: OpenApiResponse(out.ErrorOut, description="No such letter, or not one the caller may see."),
    409: OpenApiResponse(out.ErrorOut, description="The letter is no longer a draft."),
}


def letter_detail(request: Request, pk: int) -> Letter | None:
    """A letter the person sees, with everything its detail shows and the steps they may take."""
    user = request.user
    shown = (
        visibility.letters_visible_to(user)
        .filter(pk=pk)
        .select_related("office", "drafter", "signer", "routed_to")
        .prefetch_related("addressees", "cc_units", "attachments")
    )
    letter = visibility.letters_with_figures(user, shown).first()
    if letter is None:
        return None
    # Editing is PATCH on the letter and POST on its items, not a step posted on its own.
    posted = calls.by_key("letter")
    offered = [(x.key, x.label, x.needs) for st in allowed(user, letter) if (x := posted.get(st.key))]
    letter.api_actions = step_links(request, "letter", pk, offered)
    return letter


def letter_out(request: Request, pk: int) -> dict | None:
    letter = letter_detail(request, pk)
    return out.LetterDetailOut(letter, context={"request": request}).data if letter is not None else None


def _drafting_office(user: User, wanted: int | None) -> Unit:
    """The office a clerk drafts in: the one named, else their office (the first, as the page)."""
    if wanted is not None:
        office = Unit.objects.filter(pk=wanted, kind=UnitKind.OFFICE).first()
        if office is None:
            raise ValidationError({"office": [_("Unknown office.")]})
        return office  # the service refuses it unless the caller is a clerk there
    office = Unit.objects.filter(pk__in=units_where(user, Role.CLERK), kind=UnitKind.OFFICE).order_by("pk").first()
    if office is None:
        raise role_refusal([Role.CLERK])
    return office


class LetterList(ApiView):
    @extend_schema(
        operation_id="letters_list",
        summary="Letters (督办函, 交办函, 催办函), the latest first",
        parameters=[inputs.LetterFiltersIn, *PAGE_PARAMETERS],
        responses=LetterPage,
    )
    def get(self, request: Request) -> Response:
        f = query(request, inputs.LetterFiltersIn)
        user = request.user
        qs = visibility.letters_visible_to(user)
        if f.get("state"):
            qs = qs.filter(state=f["state"])
        if f.get("kind"):
            qs = qs.filter(kind=f["kind"])
        text = clean_text(f.get("q"), 100)
        if text:
            qs = qs.filter(Q(title__icontains=text) | Q(number__icontains=text))
        # The figures come in the same query; a unit's are those of its own tasks only.
        qs = visibility.letters_with_figures(user, qs.select_related("office", "drafter"))
        rows, cursor = pagination.by_id(qs, request, descending=True)
        return Response(page(request, out.LetterOut(rows, many=True, context={"request": request}).data, cursor))

    @extend_schema(
        summary="Start a draft letter (拟稿), as a clerk of the office",
        request=inputs.LetterIn,
        responses={201: out.LetterDetailOut, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        d = parsed(inputs.LetterIn, request.data)
        letter = services.letter_create(
            actor=request.user,
            office=_drafting_office(request.user, d.get("office")),
            kind=d["kind"],
            title=d["title"],
            title_lines=d["title_lines"],
            body=d["body"],
            deadline=d["deadline"],
            addressee_ids=d["addressees"],
            cc_ids=d["cc_units"],
        )
        body = letter_out(request, letter.pk)
        headers = {"Location": request.build_absolute_uri(reverse("api:letter", args=[letter.pk]))}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class LetterDetail(ApiView):
    @extend_schema(
        operation_id="letters_retrieve",
        summary="One letter, with the steps the caller may take",
        responses=out.LetterDetailOut,
    )
    def get(self, request: Request, pk: int) -> Response:
        body = letter_out(request, pk)
        if body is None:
            raise not_found()
        return Response(body)

    @extend_schema(
        summary="Change a draft: the fields given, the others stay (deadline null takes it off)",
        request=inputs.LetterUpdateIn,
        responses={200: out.LetterDetailOut, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        letter = visibility.letter_get(request.user, pk)
        if letter is None:
            raise not_found()
        d = parsed(inputs.LetterUpdateIn, request.data)
        services.letter_update_draft(
            actor=request.user,
            letter=letter,
            title=d.get("title"),
            title_lines=d.get("title_lines"),
            body=d.get("body"),
            deadline=d.get("deadline", KEEP),
            addressee_ids=d.get("addressees"),
            cc_ids=d.get("cc_units"),
        )
        return Response(letter_out(request, pk))


class LetterItems(ApiView):
    @extend_schema(summary="A letter's items, in their order", parameters=PAGE_PARAMETERS, responses=ItemPage)
    def get(self, request: Request, pk: int) -> Response:
        query(request, inputs.NoFilters)
        letter = visibility.letter_get(request.user, pk)
        if letter is None:
            raise not_found()
        rows, cursor = pagination.by_id(items_shown(Item.objects.filter(letter=letter)), request, field="seq")
        return Response(page(request, out.ItemOut(rows, many=True).data, cursor))

    @extend_schema(
        summary="Add an item (整改事项) to a draft",
        request=inputs.ItemIn,
        responses={201: out.ItemOut, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        letter = visibility.letter_get(request.user, pk)
        if letter is None:
            raise not_found()
        d = parsed(inputs.ItemIn, request.data)
        item = services.item_add(
            actor=request.user,
            letter=letter,
            description=d["description"],
            measures=d["measures"],
            category=d["category"],
            source=d["source"],
            site=d["site"],
            deadline=d["deadline"],
            deadline_kind=d["deadline_kind"],
            lead_unit_id=d["lead_unit"],
            lead_unit_ids=d["lead_units"],
            cooperating_unit_ids=d["cooperating_units"],
            problem_no=d["problem_no"],
        )
        shown = items_shown(Item.objects.filter(pk=item.pk)).get()
        return Response(out.ItemOut(shown).data, status=status.HTTP_201_CREATED)
