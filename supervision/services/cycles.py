"""``manage.py tick``: the office's clock. Run it every minute from cron (``make run`` runs it in
the background in the embedded mode). Each run, in one transaction:

1. for every office, closes its open cycle once its cut-off has passed — ranking the office's units
   into a snapshot, and the sub-units of every unit that ranks its own, stepping the escalation
   ladder (services.ranking, services.escalation) — and opens its next;
2. recomputes the stored part of the lights: which open assignments missed the report of the
   last closed cycle and have sent none since (yellow until they do; see search.light_expression);
3. sends the near-due reminders (CYCLE_REMINDER_DAYS before the deadline, once each);
4. marks assignments newly overdue, and adds them to a draft reminder letter (催办函) for their
   letter (services.reminder_letters) — a draft the office's clerk reviews, signs off with the
   director and issues; each newly overdue assignment is also an ``assignment.overdue`` outbox
   event, for its unit's work-group robot (once per lapse: keyed on ``overdue_since``);
5. after that transaction, for the outbox (supervision/outbox/): folds the daily digests that
   are due, and queues the worker when something waits (a dispatch job lost between a commit and
   its enqueue, a retry or a message held for quiet hours that came due).

Idempotent: every step writes only what is not there yet, so a second run at the same moment
writes nothing. Two runs at once are serialised by a lock held for the whole transaction (an
advisory lock on PostgreSQL; SQLite's immediate transactions lock the file), so the second finds
the first's work done and also writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supervision import clock, cycle_calendar, offices
from supervision.models import (
    OPEN_STATES,
    Assignment,
    Cycle,
    CycleState,
    DeadlineReminder,
    Membership,
    Notification,
    OutboxEvent,
    ProgressReport,
    Role,
    Unit,
)
from supervision.outbox.digests import digests_fold
from supervision.outbox.dispatch import work_waiting
from supervision.outbox.tasks import dispatch_enqueue
from supervision.outbox.write import outbox_event_build, outbox_events_save
from supervision.selectors.search import Light, light_filter

from .audit import audit_event, audit_record, audit_record_many
from .errors import DomainError
from .job_housekeeping import job_files_prune, jobs_recover
from .push import notification_payload, push_batches_after_commit
from .ranking import REPORTING_STATES, ranking_snapshot, sub_rankings_snapshot
from .reminder_letters import reminder_draft_extend
from .rule_sets import ruleset_current
from .storage import stored_files_sweep

# An arbitrary constant: the key of tick's PostgreSQL advisory lock.
TICK_LOCK = 0x5D0C_7106
# Cycles closed in one run at most when catching up after a long stop; the next run goes on.
MAX_CATCH_UP = 60


@dataclass
class TickResult:
    opened: list[int] = field(default_factory=list)  # cycle numbers
    closed: list[int] = field(default_factory=list)
    missed_marked: int = 0
    missed_cleared: int = 0
    sub_overdue_marked: int = 0  # parents turned yellow by a sub-task late by the date
    sub_overdue_cleared: int = 0  # parents with no late sub-task left
    reminders: int = 0
    overdue: int = 0
    overdue_cleared: int = 0
    reminder_letters: list[int] = field(default_factory=list)  # ids of drafts created or extended
    files_swept: int = 0  # stored files no row referred to, deleted
    digests: int = 0  # daily digest e-mails made
    dispatch_queued: bool = False  # the outbox had work waiting and its worker was queued
    jobs_expired: int = 0  # background jobs whose files were deleted after JOB_FILE_HOURS
    jobs_recovered: int = 0  # jobs whose worker died, queued again (or failed, tries spent)
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.opened
            or self.closed
            or self.missed_marked
            or self.missed_cleared
            or self.sub_overdue_marked
            or self.sub_overdue_cleared
            or self.reminders
            or self.overdue
            or self.overdue_cleared
            or self.reminder_letters
            or self.digests
            or self.jobs_expired
            or self.jobs_recovered
        )


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Held to the end of the transaction; a second tick waits here, then finds nothing to do.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TICK_LOCK])


def tick_run(*, now: dt.datetime | None = None) -> TickResult:
    """One run of the clock at ``now`` (default: the current time)."""
    now = now or clock.now()
    result = TickResult()
    with clock.frozen(now), transaction.atomic():
        _lock()
        cycle_advance(now=now, result=result)
        assignment_lights_refresh(now=now, result=result)
        deadline_reminders_send(now=now, result=result)
        overdue_assignments_chase(now=now, result=result)
    if result.closed:
        # Every two weeks, outside the tick's transaction (files are not transactional).
        result.files_swept = stored_files_sweep(now=now).deleted
    with clock.frozen(now):
        outbox_tick(now=now, result=result)
        # Outside the clock's transaction too: pruning deletes files, and each is its own small write.
        result.jobs_expired = job_files_prune(now=now)
        result.jobs_recovered = jobs_recover(now=now)
    return result


def outbox_tick(*, now: dt.datetime, result: TickResult | None = None) -> None:
    """The outbox's minute: fold the daily digests due, and queue the worker if anything waits.
    Outside the clock's transaction: a digest is its own small transaction, and a queue check that
    sees the clock's own events committed does not queue a second job for them."""
    result = result if result is not None else TickResult()
    result.digests += digests_fold(now=now)
    if work_waiting(now):
        result.dispatch_queued = dispatch_enqueue()


# --- cycles ---------------------------------------------------------------------------------------


def _open(
    span: cycle_calendar.CycleSpan, *, office_id: int, number: int, opens_at: dt.datetime, now: dt.datetime
) -> Cycle:
    cycle = Cycle.objects.create(
        office_id=office_id,
        number=number,
        seq=span.seq,
        starts_on=span.starts_on,
        ends_on=span.ends_on,
        opens_at=opens_at,
        cutoff_at=span.cutoff_at,
        state=CycleState.OPEN,
        opened_at=now,
    )
    audit_record(
        at=now,
        unit_id=office_id,
        action="cycle.opened",
        to_state=CycleState.OPEN,
        data={
            "cycle": number,
            "office": office_id,
            "starts_on": span.starts_on.isoformat(),
            "cutoff_at": span.cutoff_at.isoformat(),
        },
    )
    return cycle


@transaction.atomic
def cycle_close(*, cycle: Cycle, now: dt.datetime) -> bool:
    """Close an open cycle whose cut-off has passed: rank it into a snapshot with its office's
    current rule set (the office's units, then each unit's ranking of its sub-units), and step
    the ladder. A conditional UPDATE claims the close, so it happens once."""
    rule_set = ruleset_current(cycle.office_id)
    claimed = Cycle.objects.filter(pk=cycle.pk, state=CycleState.OPEN, cutoff_at__lte=now).update(
        state=CycleState.CLOSED, closed_at=now, rule_set=rule_set
    )
    if claimed != 1:
        return False
    cycle.state, cycle.closed_at, cycle.rule_set = CycleState.CLOSED, now, rule_set
    results = ranking_snapshot(cycle=cycle, rule_set=rule_set, now=now)
    sub_rankings = sub_rankings_snapshot(cycle=cycle, rule_set=rule_set, now=now)
    audit_record(
        at=now,
        unit_id=cycle.office_id,
        action="cycle.closed",
        from_state=CycleState.OPEN,
        to_state=CycleState.CLOSED,
        data={
            "cycle": cycle.number,
            "office": cycle.office_id,
            "rule_set": rule_set.version,
            "units": len(results),
            "ranked": sum(1 for r in results if r.ranked),
            **({"sub_rankings": {str(k): v for k, v in sub_rankings.items()}} if sub_rankings else {}),
        },
    )
    return True


@transaction.atomic
def cycle_advance(
    *, now: dt.datetime, result: TickResult | None = None, office: Unit | int | None = None
) -> Cycle | None:
    """Advance every active office's cycles, or only ``office``'s (see ``office_cycle_advance``).
    Returns the first office's open cycle (None when there is no office yet: nothing to run
    cycles for)."""
    result = result if result is not None else TickResult()
    if office is not None:
        return office_cycle_advance(office=office, now=now, result=result)
    found: Cycle | None = None
    for office in offices.offices():
        latest = office_cycle_advance(office=office, now=now, result=result)
        found = found or latest
    return found


@transaction.atomic
def office_cycle_advance(*, office: Unit | int, now: dt.datetime, result: TickResult | None = None) -> Cycle:
    """Open the office's first cycle, close its open one once its cut-off has passed and open the
    next. Returns the open cycle. The next cycle's window starts at the stored cut-off of the
    last, so windows stay contiguous even if the calendar settings were changed in between.
    Every office's cycles follow the same calendar settings, as rows of its own numbered from 1."""
    result = result if result is not None else TickResult()
    office_id = office.pk if isinstance(office, Unit) else int(office)
    latest = Cycle.objects.filter(office_id=office_id).order_by("-number").first()
    if latest is None:
        span = cycle_calendar.span_at(now)
        latest = _open(span, office_id=office_id, number=1, opens_at=span.opens_at, now=now)
        result.opened.append(latest.number)
    for _step in range(MAX_CATCH_UP):
        if latest.state == CycleState.OPEN:
            if latest.cutoff_at > now:
                break
            if cycle_close(cycle=latest, now=now):
                result.closed.append(latest.number)
            latest.refresh_from_db()
        seq = latest.seq + 1
        span = cycle_calendar.span(seq)
        while span.cutoff_at <= latest.cutoff_at:  # the calendar settings moved backwards
            seq += 1
            span = cycle_calendar.span(seq)
        latest = _open(span, office_id=office_id, number=latest.number + 1, opens_at=latest.cutoff_at, now=now)
        result.opened.append(latest.number)
    return latest


# --- lights ---------------------------------------------------------------------------------------


def _owes_report() -> Q:
    """Open assignments that owed a report in the last closed cycle of their letter's office and
    have sent none since that cycle's window opened. Offices whose last closed cycles share their
    bounds (the same calendar: the usual case) are asked together, so the condition stays one
    term per distinct window, not one per office."""
    grace = dt.timedelta(days=int(settings.CYCLE_REPORT_GRACE_DAYS))
    last_closed = (
        Cycle.objects.filter(state=CycleState.CLOSED)
        .order_by("office_id", "-number")
        .values_list("office_id", "opens_at", "cutoff_at")
    )
    if connection.vendor == "postgresql":
        last_closed = last_closed.distinct("office_id")
        windows_of = list(last_closed)
    else:
        seen: dict[int, tuple[int, dt.datetime, dt.datetime]] = {}
        for row in last_closed:
            seen.setdefault(row[0], row)
        windows_of = list(seen.values())
    windows: dict[tuple[dt.datetime, dt.datetime], list[int]] = defaultdict(list)
    for office_id, opens_at, cutoff_at in windows_of:
        windows[(opens_at, cutoff_at)].append(office_id)
    owes = Q(pk__in=[])
    for (opens_at, cutoff_at), office_ids in sorted(windows.items()):
        reported = ProgressReport.objects.filter(created_at__gt=opens_at).values("assignment_id")
        owes |= Q(
            letter__office_id__in=sorted(office_ids), state__in=REPORTING_STATES, issued_at__lte=cutoff_at - grace
        ) & ~Q(pk__in=reported)
    return owes


@transaction.atomic
def assignment_lights_refresh(*, now: dt.datetime, result: TickResult | None = None) -> None:
    """Mark open assignments that owed a report in the last closed cycle (of their letter's office)
    and have sent none since that cycle's window opened; unmark the others. Only rows whose mark
    changes are written."""
    result = result if result is not None else TickResult()
    owes = _owes_report()
    result.missed_marked += Assignment.objects.filter(owes, report_missed=False).update(report_missed=True)
    result.missed_cleared += Assignment.objects.filter(report_missed=True).exclude(owes).update(report_missed=False)
    from .transitions import sub_tasks_overdue_sweep  # a sub-task late by the date turns its parent yellow

    # By the date of the run's ``now``, as the other marks, not the clock's: a run for a given
    # moment (catching up, or not under clock.frozen) judges lateness on that day.
    marked, cleared = sub_tasks_overdue_sweep(timezone.localdate(now))
    result.sub_overdue_marked += marked
    result.sub_overdue_cleared += cleared


# --- near-due reminders ---------------------------------------------------------------------------


def _members(unit_ids: set[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = Membership.objects.filter(
        unit_id__in=sorted(unit_ids), role__in=[Role.LIAISON, Role.LEADER], user__is_active=True
    ).values_list("unit_id", "user_id")
    for unit_id, user_id in rows.order_by("unit_id", "user_id").distinct():
        found[unit_id].append(user_id)
    return found


@transaction.atomic
def deadline_reminders_send(*, now: dt.datetime, result: TickResult | None = None) -> int:
    """Tell each unit, once per threshold, that an open assignment is due within
    CYCLE_REMINDER_DAYS days. A run that missed a day still sends the threshold it is in."""
    result = result if result is not None else TickResult()
    thresholds = sorted({int(d) for d in settings.CYCLE_REMINDER_DAYS if int(d) >= 0})
    if not thresholds:
        return 0
    today = clock.today()
    due = list(
        Assignment.objects.filter(
            state__in=OPEN_STATES, deadline__gte=today, deadline__lte=today + dt.timedelta(days=thresholds[-1])
        )
        .order_by("deadline", "pk")
        .values_list("pk", "unit_id", "letter_id", "deadline", "item__description")
    )
    if not due:
        return 0
    sent = set(
        DeadlineReminder.objects.filter(assignment_id__in=[row[0] for row in due], deadline__gte=today).values_list(
            "assignment_id", "deadline", "days_before"
        )
    )
    fresh = []
    for pk, unit_id, letter_id, deadline, description in due:
        left = (deadline - today).days
        threshold = next(d for d in thresholds if d >= left)
        if (pk, deadline, threshold) not in sent:
            fresh.append((pk, unit_id, letter_id, deadline, description, left, threshold))
    if not fresh:
        return 0
    DeadlineReminder.objects.bulk_create(
        [DeadlineReminder(assignment_id=r[0], deadline=r[3], days_before=r[6], sent_at=now) for r in fresh]
    )
    members = _members({r[1] for r in fresh})
    # One multi-row INSERT … RETURNING for all, then one push per assignment's batch after commit.
    outbox: list[Notification] = []
    events: list[OutboxEvent] = []
    batches = []
    for pk, unit_id, letter_id, deadline, description, left, _threshold in fresh:
        if left == 0:
            text = _("Due today (%(date)s): %(item)s")
        else:
            text = ngettext("Due tomorrow (%(date)s): %(item)s", "Due in %(n)d days (%(date)s): %(item)s", left)
        text = text % {"n": left, "date": date_format(deadline), "item": description[:60]}
        told = [
            Notification(
                recipient_id=user_id,
                verb="deadline_near",
                text=text[:300],
                letter_id=letter_id,
                assignment_id=pk,
                created_at=now,
            )
            for user_id in members.get(unit_id, [])
        ]
        outbox += told
        batches.append((told, text, letter_id, pk))
        events.append(
            outbox_event_build(
                verb="deadline_near",
                text=text,
                letter_id=letter_id,
                assignment_id=pk,
                unit_ids=[unit_id],
                recipient_ids=[n.recipient_id for n in told],
                payload={"deadline": deadline.isoformat(), "days_left": left},
                created_at=now,
            )
        )
    Notification.objects.bulk_create(outbox)
    outbox_events_save(events)
    push_batches_after_commit(
        [
            (
                [(n.pk, n.recipient_id) for n in told],
                notification_payload(
                    verb="deadline_near", text=text, letter_id=letter_id, assignment_id=pk, created_at=now
                ),
            )
            for told, text, letter_id, pk in batches
        ]
    )
    result.reminders += len(fresh)
    return len(fresh)


# --- overdue assignments and reminder letters -----------------------------------------------------


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@transaction.atomic
def overdue_assignments_chase(*, now: dt.datetime, result: TickResult | None = None) -> list[int]:
    """Mark open assignments found past their deadline (the red light, as lists show it), record
    it in their timelines, and put them in a draft reminder letter of their letter. Returns the
    ids newly marked. A mark is cleared when the assignment is no longer overdue (written off,
    or given a later deadline), so a second lapse is chased again."""
    result = result if result is not None else TickResult()
    today = clock.today()
    red = light_filter(Light.RED, today)
    result.overdue_cleared += (
        Assignment.objects.filter(overdue_since__isnull=False).exclude(red).update(overdue_since=None)
    )
    # Lock what is marked: a write-off racing this waits, and is not chased after it happened.
    found = list(
        Assignment.objects.select_for_update(no_key=True, of=("self",))
        .filter(red, overdue_since__isnull=True)
        .order_by("letter_id", "pk")
        .values_list("pk", "letter_id", "unit_id", "state", "deadline", "item__description")
    )
    if not found:
        return []
    for chunk in _chunks([row[0] for row in found]):
        Assignment.objects.filter(pk__in=chunk).update(overdue_since=today)
    audit_record_many(
        [
            audit_event(
                at=now,
                action="assignment.overdue",
                letter=letter_id,
                assignment=pk,
                from_state=state,
                to_state=state,
                data={"deadline": deadline.isoformat()},
            )
            for pk, letter_id, _unit, state, deadline, _item in found
        ]
    )
    # Nobody is told in the inbox (the lists turn red, the reminder letter follows): the event is
    # for the unit's work-group robot and the integrations. Once per lapse, as the mark above.
    outbox_events_save(
        [
            outbox_event_build(
                verb="assignment_overdue",
                text=_("Overdue since %(date)s: %(item)s") % {"date": date_format(deadline), "item": item[:60]},
                letter_id=letter_id,
                assignment_id=pk,
                unit_ids=[unit_id],
                payload={"state": state, "deadline": deadline.isoformat()},
                created_at=now,
            )
            for pk, letter_id, unit_id, state, deadline, item in found
        ]
    )
    result.overdue += len(found)
    by_letter: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, letter_id, unit_id, _state, _deadline, _item in found:
        by_letter[letter_id].append((pk, unit_id))
    for letter_id, chased in by_letter.items():
        try:
            draft = reminder_draft_extend(letter_id=letter_id, chased=chased, now=now)
        except DomainError as exc:
            # No clerk, no reminder prefix…: the marks stand, the office drafts by hand.
            result.problems.append(f"letter {letter_id}: {exc}")
            continue
        if draft is not None and draft.pk not in result.reminder_letters:
            result.reminder_letters.append(draft.pk)
    return [row[0] for row in found]
