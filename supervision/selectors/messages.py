"""Reading the message channels, a person's message preferences, and the office's monitor of
deliveries that failed or wait, and of background jobs that failed.

Who may see a unit's channels is who may change them (services/channels.py channel_authority):
the clerks and directors of the office that keeps the unit, and the unit's leader; an office's
clerk lists only the units its office keeps, and its own integrations. Every list here is read in a fixed
number of queries, whatever the number of channels, deliveries or attempts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber

from supervision import events as catalog
from supervision import offices as office_tree
from supervision.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Job,
    JobState,
    Membership,
    MessagePreference,
    Role,
    Unit,
    UnitKind,
    User,
)
from supervision.outbox.services import delivery_scope
from supervision.parsing import clean_text
from supervision.services.channel_input import default_events
from supervision.services.channels import channel_authority, staff_offices, top_office_ids
from supervision.services.preferences import preference_defaults
from supervision.services.roles import roles_by_unit

# Deliveries shown under each channel on its page.
RECENT_PER_CHANNEL = 5
# Units a search on the office's channel page offers at most.
UNIT_SEARCH_LIMIT = 30
# Rows of the monitor's lists per page.
MONITOR_PAGE = 50
# What the monitor lists: what did not go, and what waits for quiet hours to end.
MONITOR_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.HELD)


@dataclass(frozen=True)
class ChannelRow:
    channel: Channel
    recent: list[Delivery]
    # Whether a key / secret is stored: the page says "set", never what it is.
    key_set: bool
    secret_set: bool
    # What it carries, as the catalog names it (its kind's defaults when it names none).
    event_labels: list[str]
    # It carries every event of the catalog (the page says so instead of listing them).
    all_events: bool


@dataclass(frozen=True)
class UnitChannels:
    unit_id: int
    name: str
    channels: int
    enabled: int


@dataclass(frozen=True)
class MonitorFilter:
    status: str = ""  # one of MONITOR_STATUSES, or "" for both
    kind: str = ""  # a ChannelKind, or "" for any
    unit_id: int | None = None  # the unit whose robots carried it

    @property
    def statuses(self) -> tuple[str, ...]:
        return (self.status,) if self.status in MONITOR_STATUSES else tuple(MONITOR_STATUSES)


@dataclass
class MonitorPage:
    deliveries: list[Delivery]
    has_more: bool
    page: int
    counts: dict[str, int] = field(default_factory=dict)  # status → deliveries, for the whole office


# --- who ------------------------------------------------------------------------------------------


def may_configure(user: User, unit_id: int | None, kind: str | None = None) -> bool:
    """Whether the person may see and change the unit's channels (None: the deployment-wide
    integrations; ``kind`` a webhook: the office's integrations)."""
    return channel_authority(user, unit_id, kind) is not None


def configured_offices(user: User) -> list[Unit]:
    """The offices whose channels the person keeps (a clerk or director there), top offices first."""
    ids = staff_offices(user)
    if not ids:
        return []
    by_pk = Unit.objects.in_bulk(ids)
    return [by_pk[pk] for pk in ids if pk in by_pk]


def is_office_configurer(user: User) -> bool:
    """A clerk or director of an office: its units' channels, its integrations, the monitor."""
    return bool(staff_offices(user))


def led_units(user: User) -> list[Unit]:
    """The active units the person leads (or stands in for a leader of), whose robots they keep."""
    ids = [unit for unit, roles in roles_by_unit(user).items() if Role.LEADER in roles]
    if not ids:
        return []
    return list(Unit.objects.filter(pk__in=ids, is_active=True).order_by("kind", "sort_order", "id"))


def _kept(units: list[tuple[int, str]], offices: set[int]) -> set[int]:
    """The units among ``units`` ((id, kind)) whose channels the given offices keep (as
    channels.channel_offices says, for many units at once: one read of the tree)."""
    if not units or not offices:
        return set()
    nearest = office_tree.nearest_offices([pk for pk, kind in units if kind != UnitKind.OFFICE])
    top: set[int] | None = None
    found = set()
    for pk, kind in units:
        owner = pk if kind == UnitKind.OFFICE else nearest.get(pk)
        if owner is None:
            # Placed nowhere: the top offices keep it.
            if top is None:
                top = set(top_office_ids())
            if top & offices:
                found.add(pk)
        elif owner in offices:
            found.add(pk)
    return found


def units_with_channels(user: User) -> list[UnitChannels]:
    """Every unit of the person's offices that has a group robot, with how many (and how many are
    on): one grouped query, and one read of the tree."""
    rows = list(
        Channel.objects.filter(unit__isnull=False)
        .exclude(kind=ChannelKind.WEBHOOK)
        .values("unit_id", "unit__name", "unit__short_name", "unit__kind", "unit__sort_order")
        .annotate(n=Count("id"), on=Count("id", filter=Q(enabled=True)))
        .order_by("unit__kind", "unit__sort_order", "unit_id")
    )
    kept = _kept([(r["unit_id"], r["unit__kind"]) for r in rows], set(staff_offices(user)))
    return [
        UnitChannels(r["unit_id"], r["unit__short_name"] or r["unit__name"], r["n"], r["on"])
        for r in rows
        if r["unit_id"] in kept
    ]


def unit_search(text: str, user: User) -> list[Unit]:
    """Active units of the person's offices whose name or short name contains the text, for the
    office to pick one."""
    text = clean_text(text, max_length=50)
    if not text:
        return []
    found = list(
        Unit.objects.filter(Q(name__icontains=text) | Q(short_name__icontains=text), is_active=True).order_by(
            "kind", "sort_order", "id"
        )[: UNIT_SEARCH_LIMIT * 10]
    )
    kept = _kept([(u.pk, u.kind) for u in found], set(staff_offices(user)))
    return [u for u in found if u.pk in kept][:UNIT_SEARCH_LIMIT]


# --- channels -------------------------------------------------------------------------------------


def recent_deliveries(channel_ids: list[int], per_channel: int = RECENT_PER_CHANNEL) -> dict[int, list[Delivery]]:
    """The newest deliveries of each channel, at most ``per_channel`` each: one query (a window
    numbering each channel's deliveries, read on the channel/created index)."""
    if not channel_ids:
        return {}
    ranked = (
        Delivery.objects.filter(channel_id__in=channel_ids)
        .annotate(
            n=Window(RowNumber(), partition_by=[F("channel_id")], order_by=[F("created_at").desc(), F("id").desc()])
        )
        .filter(n__lte=per_channel)
        .select_related("event")
        .order_by("channel_id", "-created_at", "-id")
    )
    found: dict[int, list[Delivery]] = {pk: [] for pk in channel_ids}
    for d in ranked:
        found[d.channel_id].append(d)
    return found


def _rows(channels: list[Channel]) -> list[ChannelRow]:
    recent = recent_deliveries([c.pk for c in channels])
    return [
        ChannelRow(
            c,
            recent.get(c.pk, []),
            bool(c.key_encrypted),
            bool(c.secret_encrypted),
            [str(catalog.BY_NAME[n].label) for n in (c.events or default_events(c.kind)) if n in catalog.BY_NAME],
            set(c.events or default_events(c.kind)) >= catalog.BY_NAME.keys(),
        )
        for c in channels
    ]


def channel_rows(unit_id: int) -> list[ChannelRow]:
    """The unit's group robots (an office's webhooks are on its integrations page) with their
    recent deliveries: two queries."""
    return _rows(list(Channel.objects.filter(unit_id=unit_id).exclude(kind=ChannelKind.WEBHOOK)))


def integration_rows(office_id: int, *, deployment_wide: bool = False) -> list[ChannelRow]:
    """The office's integrations (its webhooks), and with ``deployment_wide`` (a top office) the
    channels of no unit, which carry every office's events: two queries."""
    scope = Q(unit_id=office_id, kind=ChannelKind.WEBHOOK)
    if deployment_wide:
        scope |= Q(unit__isnull=True)
    return _rows(list(Channel.objects.filter(scope).order_by(F("unit_id").asc(nulls_first=True), "id")))


def channel_for(user: User, pk: int | None) -> Channel | None:
    """The channel, when the person may configure it (else None: the page answers 404)."""
    if pk is None:
        return None
    channel = Channel.objects.select_related("unit").filter(pk=pk).first()
    if channel is None or not may_configure(user, channel.unit_id, channel.kind):
        return None
    return channel


# --- preferences ----------------------------------------------------------------------------------


def preference_of(user: User) -> MessagePreference:
    """The person's saved preferences, or the defaults (unsaved) when they never saved any."""
    return MessagePreference.objects.filter(user_id=user.pk).first() or preference_defaults(user)


# --- the office's monitor -------------------------------------------------------------------------
# What an office's clerk or director sees here is outbox/services.py delivery_scope: the messages
# of its own letters, notices, cycles and units and of the channels it keeps; a top office's also
# the deployment-wide ones. Failed jobs: the person's own and those of the office's people.


def monitor_counts(scope: Q | None = None) -> dict[str, int]:
    """Deliveries failed and held within ``scope`` (None: all of them): one query."""
    counts = dict.fromkeys(MONITOR_STATUSES, 0)
    qs = Delivery.objects.filter(status__in=MONITOR_STATUSES)
    if scope is not None:
        qs = qs.filter(scope)
    for status, n in qs.values_list("status").annotate(n=Count("id")).order_by():
        counts[status] = n
    return counts


def monitor_deliveries(f: MonitorFilter, page: int = 1, *, user: User) -> MonitorPage:
    """One page of the failed and held deliveries the person looks after, newest first, with
    every attempt of each: two queries (the page, its attempts), one for the counts, and the
    short reads of who looks after what."""
    page = max(1, min(page, 10_000))
    scope = delivery_scope(user)
    qs = Delivery.objects.filter(status__in=f.statuses)
    if scope is not None:
        qs = qs.filter(scope)
    if f.kind in ChannelKind.values:
        qs = qs.filter(kind=f.kind)
    if f.unit_id is not None:
        qs = qs.filter(channel__unit_id=f.unit_id)
    start = (page - 1) * MONITOR_PAGE
    rows = list(
        qs.select_related("event", "channel", "channel__unit", "user")
        .prefetch_related(Prefetch("tries", queryset=DeliveryAttempt.objects.order_by("started_at", "id")))
        .order_by("-due_at", "-id")[start : start + MONITOR_PAGE + 1]
    )
    return MonitorPage(rows[:MONITOR_PAGE], len(rows) > MONITOR_PAGE, page, monitor_counts(scope))


def _jobs_scope(user: User) -> Q | None:
    """The jobs the monitor shows the person: their own, and those asked for by a member of an
    office where they are a clerk or director (its staff, and the liaisons and leaders who work
    the letters there); not those of the units below, nor of another office. None: every job (a
    superuser's)."""
    if user.is_superuser:
        return None
    mine = staff_offices(user)
    own = Q(requested_by_id=user.pk)
    if not mine:
        return own
    return own | Q(requested_by__in=Membership.objects.filter(unit_id__in=mine).values("user_id"))


def failed_jobs(user: User, limit: int = MONITOR_PAGE) -> list[Job]:
    """The background jobs that failed which the person looks after, newest first: one query."""
    qs = Job.objects.filter(state=JobState.FAILED)
    scope = _jobs_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    return list(qs.select_related("requested_by").order_by("-created_at", "-id")[:limit])


def failed_job_for(user: User, job_id: object) -> Job | None:
    """The job with this uuid when the monitor shows it to the person (else None: 404)."""
    qs = Job.objects.filter(uuid=job_id)
    scope = _jobs_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    return qs.first()
