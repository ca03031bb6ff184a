"""The task sheet (督办事项办理单): one assignment on paper, with every step taken on it.

The page is the letters' (GB/T 9704-2012 geometry, fonts, folios; the office's name as the red
mark, the letter's number and the item where a letter has its number), then the assignment's
particulars in a ruled table — the problem, the unit and its part in it, lead and cooperating
units, the deadline asked for and the one that holds — and the 办理过程: every audit row of the
assignment in order, with who acted (in which unit and role), when, and what they wrote. The
reports follow in full (the audit row keeps only their beginning), so the sheet is the whole
file of the task. Sign-offs are steps of the trail and carry their comments there.

``task_sheet_pdf(assignment)`` is all a caller needs; the view and the command decide who may ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from supervision import clock
from supervision.models import (
    Assignment,
    AssignmentState,
    AuditEvent,
    ItemUnit,
    ProgressReport,
    ReportKind,
    Role,
    Unit,
    UnitRole,
)

from . import layout, wording
from .pdf import document_html, html_to_pdf
from .progress_sheet import task_number

TEMPLATE = "notices/task_sheet.html"

# The sheet's fixed words, Chinese like the rest of the document's format (see wording).
TITLE = "督办事项办理单"
LABELS = {
    "number": "来文文号",
    "item": "事项序号",
    "letter": "来文标题",
    "description": "问题描述",
    "measures": "整改措施",
    "unit": "承办单位",
    "state": "办理状态",
    "lead": "牵头单位",
    "cooperating": "配合单位",
    "asked": "整改时限",
    "holds": "现行期限",
    "claimed": "签收人",
    "responsible": "责任人",
}
STEPS_TITLE = "办理过程"
STEP_HEADINGS = ("序号", "时间", "环节", "办理人", "意见及内容")
REPORTS_TITLE = "整改进展"
REPORT_HEADINGS = ("序号", "报送时间", "类别", "报送人", "内容")
NO_STEPS = "尚无办理记录。"
NO_REPORTS = "尚未报送整改进展。"
SYSTEM = "系统"
NONE = "无"
EXTENDED = "（经批准延期，以此为准）"
ORIGINAL = "（原定时限）"
EXTENSION_TO = "申请延期至{date}"
MOVED_TO = "改派至{unit}"
CARRIED = "（与上期相同）"
AMENDED = "（{date}修改）"
PRINTED = "打印"
SEE_REPORTS = "……（全文见整改进展）"
# Steps whose comment is the start of a report: the trail quotes its beginning, the reports
# section prints it whole.
REPORT_ACTIONS = frozenset(
    {"assignment.reported", "assignment.report_amended", "assignment.completion_submitted", "assignment.report_carried"}
)
REPORT_EXCERPT = 60


@dataclass(frozen=True)
class When:
    day: str  # 2026年11月23日
    time: str  # 14:05


@dataclass(frozen=True)
class StepRow:
    at: When
    what: str
    who: str
    comment: str


@dataclass(frozen=True)
class ReportRow:
    at: When
    kind: str
    who: str
    text: str


def _when(at: dt.datetime) -> When:
    local = timezone.localtime(at)
    return When(wording.chinese_date(local.date()), f"{local:%H:%M}")


def _said(at: dt.datetime) -> str:
    when = _when(at)
    return f"{when.day} {when.time}"


def _who(name: str, unit: str, role: str) -> str:
    """张三（甲县，联络员）; the system when nobody acted."""
    if not name:
        return SYSTEM
    where = "，".join(part for part in (unit, str(Role(role).label) if role in Role.values else "") if part)
    return f"{name}（{where}）" if where else name


def _units_named(events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.data.get("to_unit") for e in events if isinstance(e.data, dict)}
    ids = {pk for pk in ids if isinstance(pk, int)}
    return dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _comment(event: AuditEvent, units: dict[int, str]) -> str:
    """What the step says: its comment, with what the audit data adds that a reader needs."""
    data = event.data if isinstance(event.data, dict) else {}
    said = []
    if event.action == "extension.requested" and data.get("requested_deadline"):
        try:
            day = dt.date.fromisoformat(data["requested_deadline"])
        except (TypeError, ValueError):
            day = None
        if day is not None:
            said.append(EXTENSION_TO.format(date=wording.chinese_date(day)))
    if data.get("to_unit") in units:
        said.append(MOVED_TO.format(unit=units[data["to_unit"]]))
    if event.comment:
        comment = event.comment
        if event.action in REPORT_ACTIONS and len(comment) > REPORT_EXCERPT:
            comment = comment[:REPORT_EXCERPT] + SEE_REPORTS
        said.append(comment)
    return "；".join(said)


def _steps(events: QuerySet[AuditEvent]) -> list[StepRow]:
    events = list(events)
    units = _units_named(events)
    return [
        StepRow(
            at=_when(e.at),
            what=e.label,
            who=_who(
                e.actor_label,
                e.actor_unit.display_name if e.actor_unit else "",
                e.actor_role,
            ),
            comment=_comment(e, units),
        )
        for e in events
    ]


def _reports(a: Assignment) -> list[ReportRow]:
    rows = []
    reports = ProgressReport.objects.filter(assignment_id=a.pk).select_related("author").order_by("created_at", "id")
    for r in reports:
        kind = str(ReportKind(r.kind).label)
        if r.carried_from_id:
            kind += CARRIED
        if r.amended_at:
            kind += AMENDED.format(date=_said(r.amended_at))
        rows.append(ReportRow(at=_when(r.created_at), kind=kind, who=r.author.display_name, text=r.text))
    return rows


def _units(a: Assignment) -> tuple[str, str]:
    links = list(
        ItemUnit.objects.filter(item_id=a.item_id)
        .select_related("unit")
        .order_by("unit__kind", "unit__sort_order", "unit_id")
    )
    lead = [link.unit.name for link in links if link.role == UnitRole.LEAD]
    cooperating = [link.unit.name for link in links if link.role == UnitRole.COOPERATING]
    # An item naming no unit goes to every addressee as lead (see ItemUnit).
    return ("、".join(lead) if links else wording.EVERY_ADDRESSEE), "、".join(cooperating) or NONE


def task_sheet_context(assignment: Assignment) -> dict[str, Any]:
    """Everything the sheet prints; call with the document language active."""
    a = Assignment.objects.select_related("item", "letter__office", "unit", "claimed_by").get(pk=assignment.pk)
    item, letter = a.item, a.letter
    lead, cooperating = _units(a)
    asked = item.deadline_text
    holds = wording.deadline_text(a.deadline, item.deadline_kind)
    extended = a.deadline != item.deadline
    claimed = ""
    if a.claimed_by_id:
        claimed = a.claimed_by.display_name
        if a.claimed_at:
            claimed += f"（{_said(a.claimed_at)}）"
    events = (
        AuditEvent.objects.filter(assignment_id=a.pk)
        .select_related("actor", "actor_unit", "on_behalf_of")
        .order_by("at", "id")
    )
    return {
        "a": a,
        "item": item,
        "letter": letter,
        "layout": layout,
        "grid": layout.grid(),
        "mark": layout.mark(letter.office.name),
        "title": TITLE,
        "number": task_number(a),
        "labels": LABELS,
        "letter_number": letter.number or NONE,
        "item_seq": item.seq,
        "unit": f"{a.unit.name}（{a.get_role_display()}）",
        "state": a.get_state_display(),
        "lead": lead,
        "cooperating": cooperating,
        # After an extension both dates print, each saying which it is.
        "extended": extended,
        "asked": asked + ORIGINAL if extended else asked,
        "holds": holds + EXTENDED,
        "claimed": claimed or NONE,
        "responsible": a.responsible_person or NONE,
        "steps": _steps(events),
        "reports": _reports(a),
        "steps_title": STEPS_TITLE,
        "step_headings": STEP_HEADINGS,
        "reports_title": REPORTS_TITLE,
        "report_headings": REPORT_HEADINGS,
        "no_steps": NO_STEPS,
        "no_reports": NO_REPORTS,
        "printer": "".join(letter.office.name.split()),
        "printed_on": wording.chinese_date(clock.today()),
        "printed": PRINTED,
        "stamp": wording.WITHDRAWN if a.state == AssignmentState.WITHDRAWN else "",
    }


def task_sheet_html(assignment: Assignment) -> str:
    with wording.document_language():
        return document_html(TEMPLATE, task_sheet_context(assignment))


def task_sheet_pdf(assignment: Assignment) -> bytes:
    return html_to_pdf(task_sheet_html(assignment))


def task_sheet_filename(assignment: Assignment) -> str:
    """督办事项办理单（吕巩办督〔2026〕3号 第2项 甲县）.pdf"""
    a = assignment
    name = f"{TITLE}（{task_number(a)} {a.unit.display_name}）.pdf"
    return name.replace("/", "_").replace("\\", "_")
