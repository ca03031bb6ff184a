"""Expanding events into deliveries: which e-mail addresses and channels carry each event.

Run by the worker, never inside a transition: the reads a transition saved (who has an e-mail
address, who wants what, which robots a unit has) happen here, in a few queries per batch of
events. Per event:

- an e-mail to each person told in the inbox who has an address, wants e-mail, and wants the
  event's group (no preference row: the defaults, events.EMAIL_DEFAULT_GROUPS);
- each enabled channel of the units the event concerns that carries the event (a channel's own
  list of events, or for a group robot events.ROBOT_DEFAULT, for a webhook every event);
- each enabled integration of the office the event belongs to (a webhook whose unit is that
  office), with the same filter: the events of the office's own letters and their tasks (a
  sub-task's too: it is of its parent's letter), of its notices and of its cycles' rankings, and
  of its units (a stand-in there); and, as for any unit, those about the office as a unit (a city
  office working the province's letters). A webhook of one office never hears of another's
  letters;
- each enabled deployment-wide channel (no unit, from before several offices shared a
  deployment), with the same filter.

A delivery starts PENDING (due now), HELD until the end of quiet hours (a person's, or the
office's for a channel with quiet hours on), or DIGEST (a person who chose the daily digest).
Urgent events (the office's reminders) are never held or folded.

The unique constraints on Delivery make a second expansion of an event (two workers, a job run
twice) insert nothing: rows go in with ON CONFLICT DO NOTHING, and the event is then marked
expanded in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL

from supervision import events, offices
from supervision.models import (
    Channel,
    ChannelKind,
    Cycle,
    Delivery,
    DeliveryStatus,
    Letter,
    MessagePreference,
    Notice,
    OutboxEvent,
    Unit,
    UnitKind,
    UnitResult,
    User,
)

from .quiet import DEFAULT_WINDOW, QuietWindow
from .write import CHANNEL_TEST

# Events expanded per transaction: a notice to a province is 10,000 people in one event, so this
# bounds the number of events, and the people are read in chunks.
EXPAND_BATCH = 100
# SQLite's limit on bound parameters (999 in old builds): id lists are read in chunks below it.
CHUNK = 900

ROBOTS = frozenset({ChannelKind.WECOM, ChannelKind.DINGTALK})


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    items = sorted(set(ids))
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def channel_carries(channel: Channel, name: str) -> bool:
    """Whether a channel carries an event: its own list, else its kind's default."""
    if channel.events:
        return name in channel.events
    if channel.kind in ROBOTS:
        return name in events.ROBOT_DEFAULT
    return channel.kind == ChannelKind.WEBHOOK


def email_wanted(pref: MessagePreference | None, name: str) -> bool:
    """Whether a person wants an event by e-mail (no preference row: the defaults)."""
    event = events.BY_NAME.get(name)
    if event is None:
        return False  # a test message or a digest is not for personal e-mail
    if pref is None:
        return event.group.code in events.EMAIL_DEFAULT_GROUPS
    return pref.email and event.group.code in (pref.events or [])


def _fill_units(batch: list[OutboxEvent]) -> list[OutboxEvent]:
    """The units a letter or notice event concerns, which the transition did not read: a letter's
    addressed (or copied) units, a published notice's ranked units. Stored on the event, so the
    API's feed shows them too. Returns the events changed."""
    issued = [e for e in batch if not e.unit_ids and e.letter_id and e.name in {"letter.issued", "letter.withdrawn"}]
    copied = [e for e in batch if not e.unit_ids and e.letter_id and e.name == "letter.copied"]
    ranked = [e for e in batch if not e.unit_ids and e.name == "notice.published" and e.notice_id]
    found: dict[int, set[int]] = defaultdict(set)
    for rows, through in ((issued, Letter.addressees.through), (copied, Letter.cc_units.through)):
        if rows:
            pairs = through.objects.filter(letter_id__in=[e.letter_id for e in rows]).values_list(
                "letter_id", "unit_id"
            )
            by_letter: dict[int, set[int]] = defaultdict(set)
            for letter_id, unit_id in pairs:
                by_letter[letter_id].add(unit_id)
            for e in rows:
                found[e.pk] = by_letter.get(e.letter_id, set())
    if ranked:
        # A notice's ranking: its cycle's results ranked by the notice's office (or ranking unit).
        cycles = {
            pk: (cycle_id, office_id)
            for pk, cycle_id, office_id in Notice.objects.filter(pk__in=[e.notice_id for e in ranked]).values_list(
                "pk", "cycle_id", "office_id"
            )
        }
        by_cycle: dict[tuple[int, int], set[int]] = defaultdict(set)
        for cycle_id, ranked_by_id, unit_id in UnitResult.objects.filter(
            cycle_id__in={c for c, _o in cycles.values()}
        ).values_list("cycle_id", "ranked_by_id", "unit_id"):
            by_cycle[(cycle_id, ranked_by_id)].add(unit_id)
        for e in ranked:
            found[e.pk] = by_cycle.get(cycles.get(e.notice_id), set())
    changed = []
    for e in batch:
        if found.get(e.pk):
            e.unit_ids = sorted(found[e.pk])
            changed.append(e)
    return changed


def _people(ids: set[int]) -> tuple[dict[int, str], dict[int, MessagePreference]]:
    """E-mail addresses of the active people among ``ids`` who have one, and their preferences."""
    addresses: dict[int, str] = {}
    prefs: dict[int, MessagePreference] = {}
    for chunk in _chunks(ids):
        rows = User.objects.filter(pk__in=chunk, is_active=True).exclude(email="").values_list("pk", "email")
        addresses.update(rows)
    for chunk in _chunks(addresses):
        prefs.update((p.user_id, p) for p in MessagePreference.objects.filter(user_id__in=chunk))
    return addresses, prefs


def _placed(delivery: Delivery, *, now: dt.datetime, urgent: bool, window: QuietWindow | None, digest: bool) -> None:
    """Status and due moment of a new delivery."""
    if urgent:
        return
    if digest:
        delivery.status = DeliveryStatus.DIGEST
        delivery.due_at = (window or DEFAULT_WINDOW).next_morning(now)
    elif window is not None and window.is_quiet(now):
        delivery.status = DeliveryStatus.HELD
        delivery.due_at = window.next_open(now)


def is_office_hook(channel: Channel) -> bool:
    """An office's integration: a webhook whose unit is an office (``unit_kind`` read with it)."""
    return channel.kind == ChannelKind.WEBHOOK and getattr(channel, "unit_kind", None) == UnitKind.OFFICE


def unit_offices(units: Iterable[int]) -> dict[int, set[int]]:
    """{unit id: the offices an event about it belongs to}: an office itself, else the nearest
    office above the unit, else (a unit placed nowhere) the top offices. One read of the tree."""
    units = set(units)
    if not units:
        return {}
    own = set(Unit.objects.filter(pk__in=units, kind=UnitKind.OFFICE).values_list("pk", flat=True))
    nearest = offices.nearest_offices(sorted(units - own))
    top: set[int] | None = None
    found: dict[int, set[int]] = {}
    for u in units:
        office = u if u in own else nearest.get(u)
        if office is None:
            if top is None:
                top = set(Unit.objects.filter(kind=UnitKind.OFFICE, parent__isnull=True).values_list("pk", flat=True))
            found[u] = top
        else:
            found[u] = {office}
    return found


def units_kept_by(office_ids: Iterable[int]) -> set[int]:
    """Every unit whose events belong to one of the offices (``unit_offices`` over the whole tree):
    the offices themselves and the units they keep. A few reads, whatever the number of units."""
    mine = set(office_ids)
    if not mine:
        return set()
    every = Unit.objects.values_list("pk", flat=True)
    return {u for u, owners in unit_offices(every).items() if owners & mine}


def lists_any(column: str, values: Iterable[int]) -> Q:
    """The event's JSON list ``column`` (``unit_ids``, ``recipient_ids``) holds one of ``values``,
    on a query of events or of rows joined to their event. One clause with one parameter: jsonb
    containment of any of the values on PostgreSQL, json_each on SQLite."""
    found = sorted({int(v) for v in values})
    if not found:
        return Q(pk__in=[])
    table = OutboxEvent._meta.db_table
    if connection.vendor == "postgresql":
        sql = f'"{table}"."{column}" @> ANY(%s::jsonb[])'
        return Q(RawSQL(sql, [[json.dumps([v]) for v in found]], output_field=BooleanField()))
    sql = (
        f'EXISTS (SELECT 1 FROM json_each("{table}"."{column}") AS a '
        "WHERE a.value IN (SELECT b.value FROM json_each(%s) AS b))"
    )
    return Q(RawSQL(sql, [json.dumps(found)], output_field=BooleanField()))


def event_office_scope(
    office_ids: Iterable[int], *, prefix: str = "", kept: set[int] | None = None, of_none: bool = False
) -> Q:
    """The events that belong to one of the offices, as a filter (``prefix``: the path from the
    rows filtered to their event, e.g. ``event__``), by the rule ``_event_offices`` applies to a
    batch: the letter's issuing office, else the notice's, else the cycle's, else the offices of
    the units it is about (``kept``: ``units_kept_by`` the offices, when already read).
    ``of_none``: also the events that belong to no office (a digest, a test of a channel of no
    unit), which a top office looks after. The monitor and the event feed filter by it."""
    mine = sorted(set(office_ids))
    p = prefix
    no_object = Q(**{f"{p}letter__isnull": True, f"{p}notice__isnull": True})
    no_cycle = ~Q(**{f"{p}payload__has_key": "cycle"})
    found = Q(**{f"{p}letter__office_id__in": mine}) | Q(
        # A notice's office is its cycle's: a unit's notice of its sub-units' ranking belongs to the
        # office whose cycle it ranked in (the notice's own "office" is then the unit).
        **{f"{p}letter__isnull": True, f"{p}notice__cycle__office_id__in": mine}
    )
    cycles = list(Cycle.objects.filter(office_id__in=mine).values_list("pk", flat=True)) if mine else []
    if cycles:
        found |= no_object & Q(**{f"{p}payload__cycle__in": cycles})
    units = units_kept_by(mine) if kept is None else kept
    if units:
        found |= no_object & no_cycle & lists_any("unit_ids", units)
    if of_none:
        found |= no_object & no_cycle & Q(**{f"{p}unit_ids": []})
    return found


def _event_offices(batch: list[OutboxEvent]) -> dict[int, set[int]]:
    """{event id: the offices it belongs to}: its letter's issuing office (a task's, a sub-task's
    too), its notice's cycle's office (an office's notice, or a unit's of its sub-units), its
    cycle's (a unit escalated); else the offices of the units it is about (``unit_offices``). A
    few queries per batch, the tree read only for the last kind.
    ``event_office_scope`` is the same rule as a filter: the two change together."""
    letters = dict(
        Letter.objects.filter(pk__in={e.letter_id for e in batch if e.letter_id}).values_list("pk", "office_id")
    )
    notices = dict(
        Notice.objects.filter(pk__in={e.notice_id for e in batch if e.notice_id}).values_list("pk", "cycle__office_id")
    )
    cycle_of = {e.pk: e.payload.get("cycle") for e in batch if not e.letter_id and not e.notice_id}
    cycles = dict(
        Cycle.objects.filter(pk__in={c for c in cycle_of.values() if isinstance(c, int)}).values_list("pk", "office_id")
    )
    found: dict[int, set[int]] = {}
    by_units: list[OutboxEvent] = []
    for e in batch:
        office = (
            letters.get(e.letter_id)
            if e.letter_id
            else notices.get(e.notice_id)
            if e.notice_id
            else cycles.get(cycle_of.get(e.pk))
        )
        if office is not None:
            found[e.pk] = {office}
        elif not e.letter_id and not e.notice_id and e.unit_ids:
            by_units.append(e)
    owners = unit_offices({u for e in by_units for u in e.unit_ids})
    for e in by_units:
        found[e.pk] = set().union(*(owners[u] for u in e.unit_ids))
    return found


def deliveries_for(
    event: OutboxEvent,
    *,
    now: dt.datetime,
    channels: list[Channel],
    addresses: dict[int, str],
    prefs: dict[int, MessagePreference],
    offices_of: frozenset[int] | set[int] = frozenset(),
) -> list[Delivery]:
    """The deliveries of one event (unsaved); ``offices_of``: the offices it belongs to, whose
    integrations carry it."""
    rows: list[Delivery] = []

    def new(**fields: object) -> Delivery:
        return Delivery(event=event, status=DeliveryStatus.PENDING, due_at=now, created_at=now, **fields)

    if event.name == CHANNEL_TEST:
        # Addressed to one channel only, whatever its filters and quiet hours: the person testing
        # it is waiting for it.
        target = event.payload.get("channel")
        return [new(kind=c.kind, channel=c) for c in channels if c.pk == target and c.kind != ChannelKind.EMAIL]
    units = set(event.unit_ids or [])
    for channel in channels:
        if not channel.enabled or channel.kind == ChannelKind.EMAIL:
            continue  # e-mail goes to people (below); a channel of that kind carries nothing
        about = channel.unit_id is None or channel.unit_id in units
        if not about and not (is_office_hook(channel) and channel.unit_id in offices_of):
            continue
        if not channel_carries(channel, event.name):
            continue
        d = new(kind=channel.kind, channel=channel)
        _placed(d, now=now, urgent=event.urgent, window=DEFAULT_WINDOW if channel.quiet_hours else None, digest=False)
        rows.append(d)
    for user_id in event.recipient_ids or []:
        if user_id not in addresses:
            continue
        pref = prefs.get(user_id)
        if not email_wanted(pref, event.name):
            continue
        d = new(kind=ChannelKind.EMAIL, user_id=user_id)
        _placed(d, now=now, urgent=event.urgent, window=QuietWindow.of(pref), digest=bool(pref and pref.digest))
        rows.append(d)
    return rows


def events_expand(*, now: dt.datetime, limit: int = EXPAND_BATCH) -> int:
    """Expand up to ``limit`` unexpanded events, oldest first, in one transaction. Returns how
    many were expanded (0: none left). Two workers at once take different events on PostgreSQL
    (SKIP LOCKED); on SQLite the write lock serialises them."""
    with transaction.atomic():
        pending = OutboxEvent.objects.filter(expanded_at__isnull=True).order_by("created_at", "id")
        if connection.vendor == "postgresql":
            pending = pending.select_for_update(skip_locked=True)
        batch = list(pending[:limit])
        if not batch:
            return 0
        changed = _fill_units(batch)
        unit_ids = {u for e in batch for u in e.unit_ids or []}
        # A test message reaches its channel even while the channel is off: it is tried first.
        tested = [e.payload.get("channel") for e in batch if e.name == CHANNEL_TEST]
        scope = Q(enabled=True) & (
            Q(unit__isnull=True)
            | Q(unit_id__in=sorted(unit_ids))
            | Q(kind=ChannelKind.WEBHOOK, unit__kind=UnitKind.OFFICE)
        )
        channels = list(
            Channel.objects.filter(scope | Q(pk__in=[c for c in tested if isinstance(c, int)])).annotate(
                unit_kind=F("unit__kind")
            )
        )
        # Which office each event belongs to, read only when an office has an integration.
        owners = _event_offices(batch) if any(is_office_hook(c) for c in channels) else {}
        addresses, prefs = _people({u for e in batch for u in e.recipient_ids or []})
        rows = [
            d
            for e in batch
            for d in deliveries_for(
                e, now=now, channels=channels, addresses=addresses, prefs=prefs, offices_of=owners.get(e.pk, set())
            )
        ]
        Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        for e in changed:
            OutboxEvent.objects.filter(pk=e.pk).update(unit_ids=e.unit_ids)
        OutboxEvent.objects.filter(pk__in=[e.pk for e in batch]).update(expanded_at=now)
    return len(batch)
