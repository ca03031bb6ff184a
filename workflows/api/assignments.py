"""The tasks (assignments) through the API: the task list with the list pages' filters and work
queues, one task with the steps the caller may take now, its progress reports with their
evidence, its extension requests and its timeline.

The list is the task list page's query (selectors/search.py ``assignment_search``: the visible
set, the filters, a (deadline, id) keyset), so it answers in the same two queries whatever the
data. A task the caller may not see is 404, as on the pages.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from supervision.models import Assignment, ExtensionRequest, ProgressReport, User
from supervision.selectors import hand_down, queues, task_page, visibility
from supervision.selectors.search import (
    LIST_RELATED,
    AssignmentFilters,
    assignment_search,
    light_expression,
    office_filter,
)
from workflows.files import private_file
from workflows.tasks import buttons
from workflows.tasks.forms import within_parent

from . import inputs, pagination
from . import serializers as out
from .base import ApiView, not_found, query, step_links
from .pagination import PAGE_PARAMETERS, page, page_serializer

AssignmentPage = page_serializer("AssignmentPage", out.AssignmentOut)
ReportPage = page_serializer("ReportPage", out.ReportOut)
ExtensionPage = page_serializer("ExtensionPage", out.ExtensionOut)
TimelinePage = page_serializer("TimelinePage", out.TimelineOut)


def filters_of(f: dict, user: User | None = None) -> AssignmentFilters:
    """The task list's filters as the page's FilterForm builds them (workflows/tasks/forms.py);
    ``by`` is read for ``user`` (one of their offices, else no filter)."""
    return AssignmentFilters(
        office=office_filter(user, f.get("by")) if user is not None else None,
        level=f.get("level") or "",
        text=f.get("q") or "",
        states=[f["state"]] if f.get("state") else [],
        light=f.get("light") or "",
        peer_group=f.get("peer_group") or "",
        category=f.get("category") or "",
        source=f.get("source") or "",
        units=[f["unit"]] if f.get("unit") else [],
        letter=f.get("letter"),
        site=f.get("site") or "",
        overdue=bool(f.get("overdue")),
        open_only=bool(f.get("open")),
    )


class AssignmentList(ApiView):
    @extend_schema(
        operation_id="assignments_list",
        summary="Tasks (任务), soonest deadline first: the task list's filters and work queues",
        description="A cursor this list did not hand out starts again from the first page, as on the task list.",
        parameters=[inputs.AssignmentFiltersIn, *PAGE_PARAMETERS],
        responses=AssignmentPage,
    )
    def get(self, request: Request) -> Response:
        f = query(request, inputs.AssignmentFiltersIn)
        size, cursor = pagination.page_params(request)
        user = request.user
        base = queues.ALL_QUEUES[f["queue"]].assignments(user) if f.get("queue") else None
        if f.get("parent"):
            # One task's sub-tasks (分解/转办), among what the caller sees.
            base = within_parent(base, user, f["parent"])
        found = assignment_search(user, filters_of(f, user), cursor=cursor, size=size, base=base)
        rows = out.AssignmentOut(found.rows, many=True, context={"request": request}).data
        return Response(page(request, rows, found.next_cursor))


def _visible(request: Request, pk: int) -> Assignment | None:
    """The task with what its detail shows, if the caller sees it. Its light is the lists'."""
    return (
        visibility.assignments_visible_to(request.user)
        .select_related(*LIST_RELATED)
        .annotate(light=light_expression())
        .filter(pk=pk)
        .first()
    )


def visible_assignment(request: Request, pk: int) -> Assignment:
    a = _visible(request, pk)
    if a is None:
        raise not_found()
    return a


def with_actions(request: Request, a: Assignment) -> Assignment:
    """The steps the caller may take now: the task page's buttons (the step table decides), and
    the sub-tasks it was handed down into (a constant number of queries, as on the page)."""
    offered = [(b.key, b.label, b.needs) for b in buttons.assignment_buttons(request.user, a)]
    a.api_actions = step_links(request, "assignment", a.pk, offered)
    a.api_sub_tasks = hand_down.sub_tasks(a)
    a.api_roll_up_ready = bool(a.api_sub_tasks) and hand_down.roll_up_ready(a)
    return a


def assignment_out(request: Request, pk: int) -> dict | None:
    """The task as its detail shows it, or None once the caller no longer sees it."""
    a = _visible(request, pk)
    if a is None:
        return None
    return out.AssignmentDetailOut(with_actions(request, a), context={"request": request}).data


class AssignmentDetail(ApiView):
    @extend_schema(
        operation_id="assignments_retrieve",
        summary="One task, with the steps the caller may take now",
        responses=out.AssignmentDetailOut,
    )
    def get(self, request: Request, pk: int) -> Response:
        a = with_actions(request, visible_assignment(request, pk))
        return Response(out.AssignmentDetailOut(a, context={"request": request}).data)


def reports_of(a: Assignment):
    return ProgressReport.objects.filter(assignment=a).select_related("author").prefetch_related("evidence")


class AssignmentReports(ApiView):
    @extend_schema(
        summary="A task's progress and completion reports with their evidence, newest first",
        parameters=PAGE_PARAMETERS,
        responses=ReportPage,
    )
    def get(self, request: Request, pk: int) -> Response:
        query(request, inputs.NoFilters)
        a = visible_assignment(request, pk)
        rows, cursor = pagination.by_time(reports_of(a), request, field="created_at")
        return Response(page(request, out.ReportOut(rows, many=True, context={"request": request}).data, cursor))


def extension_out(request: Request, ext: ExtensionRequest, a: Assignment) -> dict:
    ext.assignment = a  # read with its letter already: the step table reads both
    offered = [(b.key, b.label, b.needs) for b in buttons.extension_buttons(request.user, ext)]
    ext.api_actions = step_links(request, "extension", ext.pk, offered)
    return out.ExtensionOut(ext).data


class AssignmentExtensions(ApiView):
    @extend_schema(
        summary="A task's extension requests (延期申请), newest first, with the steps the caller may take",
        parameters=PAGE_PARAMETERS,
        responses=ExtensionPage,
    )
    def get(self, request: Request, pk: int) -> Response:
        query(request, inputs.NoFilters)
        a = visible_assignment(request, pk)
        qs = ExtensionRequest.objects.filter(assignment=a).select_related("requested_by")
        rows, cursor = pagination.by_id(qs, request, descending=True)
        return Response(page(request, [extension_out(request, e, a) for e in rows], cursor))


class AssignmentTimeline(ApiView):
    @extend_schema(
        summary="A task's timeline: every step taken on it, oldest first (the task page's)",
        responses=TimelinePage,
    )
    def get(self, request: Request, pk: int) -> Response:
        query(request, inputs.NoFilters)
        a = visible_assignment(request, pk)
        # A task's whole life is one page, as on the task page.
        return Response(page(request, out.TimelineOut(task_page.task_timeline(a), many=True).data, ""))


class EvidenceFile(ApiView):
    @extend_schema(
        summary="An evidence file (佐证材料), for whoever sees its task",
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        evidence = visibility.evidence_visible_to(request.user).filter(pk=pk).first()
        if evidence is None:
            raise not_found()
        return private_file(evidence)
