"""Where an assignment's reporting stands in the current cycle, for its page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from supervision.models import Assignment, ProgressReport
from supervision.selectors.rankings import report_window
from supervision.services.cycle_reports import cycle_progress_report
from supervision.services.ranking import REPORTING_STATES


@dataclass(frozen=True)
class CycleReport:
    """Whether the unit has reported on the assignment in the current report window."""

    made: bool
    cutoff_at: dt.datetime
    last_at: dt.datetime | None  # the latest report in the window
    # This cycle's progress report, which a further report amends (its text fills the form).
    text: str = ""


def cycle_report(a: Assignment) -> CycleReport | None:
    """This cycle's report on an assignment that owes one (issued, accepted, in progress);
    None for the others, whose page has nothing to say about it."""
    if a.state not in REPORTING_STATES:
        return None
    opens_at, cutoff_at = report_window()
    last = (
        ProgressReport.objects.filter(assignment_id=a.pk, created_at__gt=opens_at)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    current = cycle_progress_report(a.pk)
    return CycleReport(
        made=last is not None, cutoff_at=cutoff_at, last_at=last, text=current.text if current is not None else ""
    )
