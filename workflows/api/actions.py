"""One endpoint per step of the step table a person posts: ``POST /api/assignments/{id}/<key>/``,
``/api/extensions/{id}/<key>/`` and ``/api/letters/{id}/<key>/`` (calls.py lists them).

Each finds the object as the pages do (not visible: 404), parses the step's form (inputs.NEEDS)
and makes the one service call the page makes; a refusal comes back as the JSON error of
errors.py (403 not allowed, 409 wrong state or already claimed, 400 bad input), having changed
nothing. The answer is what the page would say, and the object as it now stands, with the steps
the caller may take next.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from supervision.models import ExtensionRequest, ProgressReport
from supervision.selectors import visibility

from . import inputs
from . import serializers as out
from .assignments import assignment_out, extension_out, reports_of, visible_assignment
from .base import ApiView, not_found, parsed
from .calls import ApiStep, by_key
from .letters import letter_out

ERRORS = {
    400: OpenApiResponse(out.ErrorOut, description="Bad input: the fields say what."),
    403: OpenApiResponse(out.ErrorOut, description="Not allowed: no role for this step here, or a read-only token."),
    404: OpenApiResponse(out.ErrorOut, description="No such object, or not one the caller may see."),
    409: OpenApiResponse(out.ErrorOut, description="Not in a state where the step applies (or already claimed)."),
}


class StepView(ApiView):
    """Takes one step (``api_step``, set per endpoint by ``step_view``)."""

    api_step: ApiStep
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def take(self, request: Request, pk: int) -> Response:
        step = self.api_step
        if step.subject == "assignment":
            return self._on_assignment(request, pk, step)
        if step.subject == "extension":
            return self._on_extension(request, pk, step)
        return self._on_letter(request, pk, step)

    def _input(self, request: Request, step: ApiStep) -> dict[str, Any]:
        return parsed(inputs.NEEDS[step.needs], request.data)

    def _on_assignment(self, request: Request, pk: int, step: ApiStep) -> Response:
        a = visible_assignment(request, pk)
        data = self._input(request, step)
        result = step.call(request.user, a.pk, data)
        body: dict[str, Any] = {"done": str(step.done), "assignment": assignment_out(request, a.pk)}
        if isinstance(result, ProgressReport):
            report = reports_of(a).get(pk=result.pk)
            body["report"] = out.ReportOut(report, context={"request": request}).data
        if isinstance(result, ExtensionRequest):
            body["extension"] = extension_out(request, result, a)
        return Response(body)

    def _on_extension(self, request: Request, pk: int, step: ApiStep) -> Response:
        assignment_id = ExtensionRequest.objects.filter(pk=pk).values_list("assignment_id", flat=True).first()
        if assignment_id is None:
            raise not_found()
        a = visible_assignment(request, assignment_id)
        data = self._input(request, step)
        ext = step.call(request.user, pk, data)
        return Response(
            {
                "done": str(step.done),
                "assignment": assignment_out(request, a.pk),
                "extension": extension_out(request, ext, a),
            }
        )

    def _on_letter(self, request: Request, pk: int, step: ApiStep) -> Response:
        if visibility.letter_get(request.user, pk) is None:
            raise not_found()
        data = self._input(request, step)
        step.call(request.user, pk, data)
        return Response({"done": str(step.done), "letter": letter_out(request, pk)})


def step_view(step: ApiStep) -> Any:
    """The endpoint of one step, with its own schema: the step's form in, the object out."""
    form = inputs.NEEDS[step.needs]
    result = out.LetterActionResultOut if step.subject == "letter" else out.ActionResultOut
    media = (
        {"multipart/form-data": form, "application/json": form}
        if step.needs == "report"
        else {"application/json": form, "multipart/form-data": form, "application/x-www-form-urlencoded": form}
    )

    @extend_schema(
        operation_id=f"{step.subject}_{step.key}",
        summary=step.label,
        tags=[f"{step.subject}s"],
        request=media,
        responses={200: result, **ERRORS},
    )
    def post(self: StepView, request: Request, pk: int) -> Response:
        return self.take(request, pk)

    name = "".join(part.title() for part in f"{step.subject}_{step.key}".split("_")) + "Step"
    return type(name, (StepView,), {"api_step": step, "post": post, "__doc__": f"The {step.key} step."}).as_view()


def step_urls(view_wrapper: Any) -> list[Any]:
    """The URL of every step, named ``api:<subject>-<key>``."""
    return [
        path(f"{subject}s/<int:pk>/{step.key}/", view_wrapper(step_view(step)), name=f"{subject}-{step.key}")
        for subject in ("assignment", "extension", "letter")
        for step in by_key(subject).values()
    ]
