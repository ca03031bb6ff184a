"""The scenes of the hand-down page tests: a task of 甲县 (unit A) claimed by its liaison, ready
to be broken down (分解) or forwarded (转办) to the townships below it (the ``hierarchy`` fixture)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.test import Client
from django.urls import reverse

from supervision import services
from supervision.models import Assignment, PeerGroup, Unit, UnitKind
from supervision.services.hand_down import SubTaskPart
from tests.factories import issue_letter


def claimed_task(w: SimpleNamespace) -> Assignment:
    """Unit A's task of a fresh one-item letter (to A and B), claimed by A's liaison."""
    letter = issue_letter(w, items=1, units=[w.unit_a, w.unit_b])
    a = Assignment.objects.get(letter=letter, unit=w.unit_a, parent__isnull=True)
    services.assignment_claim(actor=w.liaison_a, assignment=a.pk)
    return Assignment.objects.get(pk=a.pk)


def part_rows(*rows: tuple[Unit | None, str, dt.date | str], comment: str = "") -> dict[str, Any]:
    """The break-down form as a browser sends it: one (unit, measures, deadline) per row."""
    data: dict[str, Any] = {
        "part-TOTAL_FORMS": str(len(rows)),
        "part-INITIAL_FORMS": "0",
        "part-MIN_NUM_FORMS": "1",
        "part-MAX_NUM_FORMS": "200",
        "comment": comment,
    }
    for n, (unit, measures, deadline) in enumerate(rows):
        data[f"part-{n}-unit"] = str(unit.pk) if unit is not None else ""
        data[f"part-{n}-measures"] = measures
        data[f"part-{n}-deadline"] = deadline.isoformat() if isinstance(deadline, dt.date) else deadline
    return data


def break_down(client: Client, a: Assignment, *rows: tuple[Unit | None, str, dt.date | str], **kw: Any):
    return client.post(reverse("tasks:break_down", args=[a.pk]), part_rows(*rows, **kw))


def broken_down(w: SimpleNamespace, a: Assignment, units: list[Unit]) -> list[Assignment]:
    """``a`` broken down through the service, one part per unit, due with the task."""
    parts = [SubTaskPart(unit_id=u.pk, deadline=a.deadline, measures=f"{u.short_name}负责整改") for u in units]
    return services.assignment_break_down(actor=w.liaison_a, assignment=a.pk, parts=parts)


def townships(w: SimpleNamespace, n: int) -> list[Unit]:
    """``n`` more townships below unit A (for the panel's query count)."""
    return Unit.objects.bulk_create(
        [
            Unit(
                name=f"甲县第{k}镇人民政府",
                short_name=f"第{k}镇",
                kind=UnitKind.TOWNSHIP,
                peer_group=PeerGroup.TOWNSHIP,
                parent=w.unit_a,
                sort_order=100 + k,
            )
            for k in range(n)
        ]
    )


def township_done(
    w: SimpleNamespace, sub: Assignment, *, liaison: Any, leader: Any, text: str, file: bool = False
) -> None:
    """A township claims its sub-task, reports its completion (with a file) and its leader signs:
    it waits for the county's verification."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.assignment_claim(actor=liaison, assignment=sub.pk)
    files = [SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 town")] if file else []
    services.assignment_report_progress(actor=liaison, assignment=sub.pk, text="正在整改\n第二行", files=files)
    services.assignment_submit_completion(actor=liaison, assignment=sub.pk, text=text)
    services.assignment_approve_completion(actor=leader, assignment=sub.pk)


def written_off_by_county(w: SimpleNamespace, sub: Assignment) -> None:
    """The county (the unit above) verifies and writes the sub-task off."""
    services.assignment_verify(actor=w.liaison_a, assignment=sub.pk)
    services.assignment_close(actor=w.leader_a, assignment=sub.pk)
