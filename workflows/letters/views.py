"""Letter pages. Each write is one service call; refusals come back as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supervision import services
from supervision.models import OPEN_STATES, Item, Letter, Role, Unit, User
from supervision.selectors import visibility
from supervision.selectors.document_routing import directors_to_send_to, last_return, letter_routing
from supervision.selectors.search import office_choices, office_filter
from supervision.selectors.shares import letter_receiving_unit_ids, letter_shared_unit_ids, letter_shares
from supervision.services import DomainError, document_routing
from supervision.services.grants import SHAREABLE_STATES, SHARING_ROLES
from supervision.services.letters import item_update
from supervision.services.receipts import letter_mark_read
from supervision.services.roles import has_role, roles_by_unit
from supervision.services.steps import LETTER_EDIT, allowed, refusal
from workflows.files import private_file
from workflows.params import id_or_404, int_param, parse_id

from . import forms

PAGE = 50


def _letter(request: HttpRequest, pk: Any) -> Letter:
    letter = visibility.letter_get(request.user, id_or_404(pk))
    if letter is None:
        raise Http404
    return letter


def _call(request: HttpRequest, do: Callable[[], Any], done: str) -> Any:
    try:
        result = do()
    except DomainError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, done)
    return result if result is not None else True


def _offices_as_clerk(user: Any) -> list[Unit]:
    ids = [u for u, roles in roles_by_unit(user).items() if Role.CLERK in roles]
    return list(Unit.objects.filter(pk__in=ids, kind="office"))


@login_required
@require_GET
def letter_list(request: HttpRequest) -> HttpResponse:
    form = forms.LetterFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    qs = visibility.letters_visible_to(request.user)
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("q"):
        qs = qs.filter(Q(title__icontains=data["q"]) | Q(number__icontains=data["q"]))
    # The letters of one of the person's offices (its office_id index); any other office: no filter.
    office = office_filter(request.user, data.get("by"))
    if office is not None:
        qs = qs.filter(office_id=office)
    # The page cursor: anything but an id (a mangled link) shows the first page.
    before = int_param(request, "before")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    # The figures come in the same query; a unit's are those of its own tasks only.
    shown = qs.select_related("office", "drafter").order_by("-pk")
    rows = list(visibility.letters_with_figures(request.user, shown)[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    query = request.GET.copy()
    if more:
        query["before"] = rows[-1].pk
    return render(
        request,
        "letters/list.html",
        {
            "form": form,
            "rows": rows,
            "next_query": query.urlencode() if more else None,
            "unit_figures": any(not r.whole_letter for r in rows),
            "can_draft": bool(_offices_as_clerk(request.user)),
            "offices": office_choices(request.user),
            "office_filter": office,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_new(request: HttpRequest) -> HttpResponse:
    offices = _offices_as_clerk(request.user)
    if not offices:
        raise Http404
    form = forms.LetterForm(request.POST or None, office=offices[0])
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        letter = _call(
            request,
            lambda: services.letter_create(
                actor=request.user,
                office=offices[0],
                kind=d["kind"],
                title=d["title"],
                title_lines=d["title_lines"],
                body=d["body"],
                deadline=d["deadline"],
                addressee_ids=[u.pk for u in d["addressees"]],
                cc_ids=[u.pk for u in d["cc_units"]],
            ),
            _("Draft saved. Add its items next."),
        )
        if letter:
            return HttpResponseRedirect(reverse("letters:detail", args=[letter.pk]))
    return render(request, "letters/edit.html", {"form": form, "letter": None})


@login_required
@require_GET
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    letter_mark_read(actor=request.user, letter=letter)  # 已阅: a unit member's first opening
    office_role = has_role(request.user, letter.office_id, [Role.CLERK, Role.DIRECTOR, Role.INSPECTOR, Role.OBSERVER])
    items = Item.objects.filter(letter=letter).prefetch_related("item_units__unit").order_by("seq")
    routing_steps = letter_routing(letter)
    context: dict[str, Any] = {
        "letter": letter,
        "items": items,
        # 拟稿 → 送签 → 退回修改 … → 签发 → 印发, and the return the drafter has to act on.
        "routing": routing_steps,
        "returned": last_return(routing_steps, letter),
        "attachments": letter.attachments.all(),
        "addressees": letter.addressees.all(),
        "cc_units": letter.cc_units.all(),
        "is_office": office_role is not None,
        # The letter's steps this person may take now, by key: the step table decides, the page shows.
        "steps": {s.key: True for s in allowed(request.user, letter)},
    }
    if office_role is not None:
        # Progress of the letter per unit, one aggregate query.
        context["by_unit"] = (
            letter.assignments.exclude(state__in=["reassigned", "withdrawn"])
            .values("unit__name")
            .annotate(
                total=Count("pk"),
                open=Count("pk", filter=Q(state__in=OPEN_STATES)),
                closed=Count("pk", filter=Q(state="closed")),
            )
            .order_by("unit__name")
        )
    if office_role is not None:
        # Who else reads the letter; the clerk and the director may share it further or take a
        # share back (services/grants.py).
        context["shares"] = letter_shares(letter)
        context["can_share"] = has_role(request.user, letter.office_id, SHARING_ROLES) is not None
        if context["can_share"] and letter.state in SHAREABLE_STATES:
            reading = letter_receiving_unit_ids(letter) | letter_shared_unit_ids(letter)
            context["share_form"] = forms.ShareForm(
                units=Unit.objects.filter(is_active=True).exclude(pk__in=reading).order_by("kind", "sort_order", "id")
            )
    if "edit" in context["steps"]:
        context["edit_form"] = forms.LetterForm(
            office=letter.office_id,
            initial={
                "kind": letter.kind,
                "title": letter.title,
                "title_lines": letter.title_lines,
                "body": letter.body,
                "deadline": letter.deadline,
                "addressees": list(context["addressees"]),
                "cc_units": list(context["cc_units"]),
            },
        )
        context["item_form"] = forms.ItemForm(units=context["addressees"])
    if "send" in context["steps"]:
        context["directors"] = list(directors_to_send_to(letter))
    return render(request, "letters/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """Change one item of a draft in place (it keeps its number)."""
    letter = _letter(request, pk)
    found = Item.objects.filter(pk=id_or_404(item), letter=letter).prefetch_related("item_units").first()
    if found is None:
        raise Http404
    back = HttpResponseRedirect(reverse("letters:detail", args=[letter.pk]))
    refused = refusal(LETTER_EDIT, request.user, letter)
    if refused is not None:
        messages.error(request, str(refused))
        return back
    units = list(letter.addressees.all())
    if request.method == "POST":
        form = forms.ItemForm(request.POST, units=units)
        if form.is_valid():
            fields = form.item_fields()
            done = _call(request, lambda: item_update(actor=request.user, item=found, **fields), _("Item saved."))
            if done:
                return back
        else:
            messages.error(request, _("Check the item's fields: %(errors)s") % {"errors": _errors(form)})
    else:
        form = forms.ItemForm.of_item(found, units=units)
    return render(
        request, "letters/item_edit.html", {"letter": letter, "item": found, "item_form": form, "addressees": units}
    )


@login_required
@require_POST
def letter_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    letter = _letter(request, pk)
    user, post = request.user, request.POST
    back = HttpResponseRedirect(reverse("letters:detail", args=[letter.pk]))
    if action == "update":
        form = forms.LetterForm(post, office=letter.office_id)
        if not form.is_valid():
            messages.error(request, _("Check the letter's fields: %(errors)s") % {"errors": _errors(form)})
            return back
        d = form.cleaned_data
        _call(
            request,
            lambda: services.letter_update_draft(
                actor=user,
                letter=letter,
                title=d["title"],
                title_lines=d["title_lines"],
                body=d["body"],
                deadline=d["deadline"],
                addressee_ids=[u.pk for u in d["addressees"]],
                cc_ids=[u.pk for u in d["cc_units"]],
            ),
            _("Draft saved."),
        )
    elif action == "add_item":
        form = forms.ItemForm(post, units=letter.addressees.all())
        if not form.is_valid():
            messages.error(request, _("Check the item's fields: %(errors)s") % {"errors": _errors(form)})
            return back
        fields = form.item_fields()
        _call(request, lambda: services.item_add(actor=user, letter=letter, **fields), _("Item added."))
    elif action == "delete_item":
        item = Item.objects.filter(pk=id_or_404(post.get("item")), letter=letter).first()
        if item is None:
            raise Http404
        _call(request, lambda: services.item_delete(actor=user, item=item), _("Item removed."))
    elif action == "attach":
        form = forms.AttachForm(post, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose at least one file."))
            return back
        _call(
            request,
            lambda: services.letter_attach(actor=user, letter=letter, files=form.cleaned_data["files"]),
            _("Attachments added."),
        )
    elif action == "detach":
        _call(
            request,
            lambda: services.letter_detach(actor=user, attachment=id_or_404(post.get("attachment"))),
            _("Attachment removed."),
        )
    elif action == "sign":
        _call(
            request,
            lambda: services.letter_sign(actor=user, letter=letter, comment=post.get("comment", "")[:2000]),
            _("Signed. The letter can now be issued."),
        )
    elif action == "send":
        _call(
            request,
            # Anything but a director of the office is refused by the service, with its reason.
            lambda: document_routing.letter_send(actor=user, letter=letter, director=parse_id(post.get("director"))),
            _("Sent for signature. The director has been told."),
        )
    elif action == "return":
        _call(
            request,
            lambda: document_routing.letter_return(actor=user, letter=letter, reason=post.get("reason", "")),
            _("Returned to the drafter for revision."),
        )
    elif action == "issue":
        _call(request, lambda: services.letter_issue(actor=user, letter=letter), _("Issued to the units."))
    elif action == "withdraw":
        _call(
            request,
            lambda: services.letter_withdraw(actor=user, letter=letter, reason=post.get("reason", "")),
            _("Withdrawn."),
        )
    elif action == "share":
        form = forms.ShareForm(post)
        if not form.is_valid():
            messages.error(request, _errors(form))
            return back
        d = form.cleaned_data
        _call(
            request,
            lambda: services.letter_share(actor=user, letter=letter, user=d["user"], unit=d["unit"]),
            _("Shared. They can now read this letter."),
        )
    elif action == "unshare":
        if post.get("user"):
            target = {"user": User.objects.filter(pk=id_or_404(post.get("user"))).first()}
        else:
            target = {"unit": Unit.objects.filter(pk=id_or_404(post.get("unit"))).first()}
        if None in target.values():
            raise Http404
        _call(
            request,
            lambda: services.letter_unshare(actor=user, letter=letter, **target),
            _("No longer shared."),
        )
    else:
        raise Http404
    return back


def _errors(form: Any) -> str:
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else ''} {e}"
        for name, errs in form.errors.items()
        for e in errs
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = visibility.attachments_visible_to(request.user).filter(pk=id_or_404(pk)).first()
    if attachment is None:
        raise Http404
    return private_file(attachment, inline_allowed=False)
