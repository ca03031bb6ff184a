"""Give every existing report its cycle, then merge the progress reports a unit sent twice in one
cycle (before one per cycle was enforced) so that 0009's uniqueness rule holds.

The cycle of a report is the one whose report window holds its creation time: a cycle that was
run (its stored window, as the report pages used it), else the calendar's. Done by time range,
one UPDATE per window, not row by row.

Merging is deterministic: per (assignment, cycle) the latest progress report is kept (latest
created_at, then highest id); the others' evidence moves to it, reports carried forward from
them point at it, and one audit row per merged group keeps the dropped texts. Nothing is lost
that an auditor could ask for.
"""

import datetime as dt

from django.db import migrations
from django.db.models import Count, Max, Min
from django.utils import timezone

from supervision import cycle_calendar


def fill_and_merge(apps, schema_editor):
    Cycle = apps.get_model("supervision", "Cycle")
    ProgressReport = apps.get_model("supervision", "ProgressReport")
    Evidence = apps.get_model("supervision", "Evidence")
    AuditEvent = apps.get_model("supervision", "AuditEvent")
    Assignment = apps.get_model("supervision", "Assignment")

    for cycle in Cycle.objects.order_by("seq"):
        ProgressReport.objects.filter(
            cycle_seq__isnull=True, created_at__gt=cycle.opens_at, created_at__lte=cycle.cutoff_at
        ).update(cycle_seq=cycle.seq)
    bounds = ProgressReport.objects.filter(cycle_seq__isnull=True).aggregate(lo=Min("created_at"), hi=Max("created_at"))
    if bounds["lo"] is not None:
        cfg = cycle_calendar.config()
        span = cycle_calendar.span_at(bounds["lo"], cfg)
        while span.opens_at < bounds["hi"]:
            ProgressReport.objects.filter(
                cycle_seq__isnull=True, created_at__gt=span.opens_at, created_at__lte=span.cutoff_at
            ).update(cycle_seq=span.seq)
            span = cycle_calendar.span(span.seq + 1, cfg)

    twice = (
        ProgressReport.objects.filter(kind="progress")
        .values("assignment_id", "cycle_seq")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("assignment_id", "cycle_seq")
    )
    now = timezone.now()
    for group in twice:
        rows = list(
            ProgressReport.objects.filter(
                kind="progress", assignment_id=group["assignment_id"], cycle_seq=group["cycle_seq"]
            ).order_by("-created_at", "-id")
        )
        kept, dropped = rows[0], rows[1:]
        dropped_ids = [r.pk for r in dropped]
        Evidence.objects.filter(report_id__in=dropped_ids).update(report_id=kept.pk)
        ProgressReport.objects.filter(carried_from_id__in=dropped_ids).exclude(pk=kept.pk).update(
            carried_from_id=kept.pk
        )
        if kept.carried_from_id in dropped_ids:
            ProgressReport.objects.filter(pk=kept.pk).update(carried_from_id=None)
        letter_id = Assignment.objects.filter(pk=kept.assignment_id).values_list("letter_id", flat=True).first()
        AuditEvent.objects.create(
            at=now,
            action="assignment.reports_merged",
            letter_id=letter_id,
            assignment_id=kept.assignment_id,
            comment=kept.text[:200],
            data={
                "kept": kept.pk,
                "cycle": kept.cycle_seq,
                "merged": [
                    {"id": r.pk, "author": r.author_id, "at": r.created_at.isoformat(), "text": r.text}
                    for r in dropped
                ],
            },
        )
        ProgressReport.objects.filter(pk__in=dropped_ids).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0007_report_cycle")]

    operations = [migrations.RunPython(fill_and_merge, migrations.RunPython.noop)]
