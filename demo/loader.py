"""Loading the demo: master data and people directly, the campaign through the services."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.models import (
    OPEN_STATES,
    Assignment,
    AuditEvent,
    Cycle,
    CycleState,
    Evidence,
    ExtensionRequest,
    Item,
    Letter,
    LetterKind,
    LetterPrefix,
    Membership,
    Notice,
    Notification,
    PeerGroup,
    ProgressReport,
    Role,
    Unit,
    UnitKind,
    User,
)

from .history import Replay
from .messaging import configure_channels, demo_email, open_all_hours, settle_history
from .plan import Planner
from .stories import Member, World
from .units import (
    ADMIN_USERNAME,
    ALL_UNITS,
    DEMO_PASSWORD,
    GIVEN_NAMES,
    LETTER_PREFIXES,
    OFFICE_ACCOUNTS,
    OFFICE_NAME,
    OFFICE_SHORT,
    SURNAMES,
    UnitSpec,
)

SEED = 20230529  # the day the city's rectification campaign was launched (seed 004)

# The bureau of a county that answers for each line of work (the 责任人 named on a claim).
COUNTY_BUREAUS = ("乡村振兴局", "农业农村局", "人社局", "水利局", "住建局", "民政局", "财政局", "教育局", "卫健局")


class DemoUsernameTaken(Exception):
    """A demo username is already in use by someone else: loading would mix them up."""


@dataclass
class Summary:
    seconds: float
    units: int
    users: int
    letters: dict[str, int]
    items: int
    assignments: dict[str, int]
    extensions: dict[str, int]
    reports: int
    evidence: int
    audit_events: int
    notifications: int
    overdue_open: int
    failures: list[str] = field(default_factory=list)
    cycles_closed: int = 0
    current_cycle: int | None = None
    reminder_letters: int = 0
    notices: int = 0


def demo_loaded() -> bool:
    return Unit.objects.filter(name=OFFICE_NAME).exists()


def load_demo(*, log: Callable[[str], None] = print, scale: float = 1.0, seed: int = SEED) -> Summary | None:
    """Create the demo campaign, all or nothing. Returns None if it is already there."""
    if demo_loaded():
        return None
    started = time.monotonic()
    rng = random.Random(seed)
    # History ends at the top of the hour: loading twice within an hour gives the same campaign.
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        world = _create_world(rng, log)
        campaign = Planner(rng, now, scale).campaign()
        log(
            _("Replaying %(letters)d letters with %(items)d items from %(start)s to today…")
            % {"letters": len(campaign.letters), "items": campaign.item_count, "start": campaign.start}
        )
        replay = Replay(world, campaign, seed, log)
        replay.run()
        # After the history: the channels carry what happens from now on, not the history.
        settle_history()
        configure_channels(world, rng)
        people = [world.clerk, world.inspector, world.director, world.observer]
        open_all_hours(people + [u for m in world.members.values() for u in (m.liaison, m.leader)])
        return _summary(started, replay.failures)


# --- units and people ---------------------------------------------------------------------------


class _Names:
    """Distinct, plausible Chinese names from the seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)
            if name not in self.used:
                self.used.add(name)
                return name


def _create_world(rng: random.Random, log: Callable[[str], None]) -> World:
    usernames = [a.username for a in OFFICE_ACCOUNTS] + [
        f"{spec.code}_{role}" for spec in ALL_UNITS for role in ("liaison", "leader")
    ]
    taken = list(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    if taken:
        raise DemoUsernameTaken(", ".join(sorted(taken)))
    # One hash for everyone: hashing ~110 times with PBKDF2 would take half a minute.
    password = make_password(DEMO_PASSWORD)
    names = _Names(rng)
    office = Unit.objects.create(
        name=OFFICE_NAME, short_name=OFFICE_SHORT, kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE
    )
    for kind, prefix, body in LETTER_PREFIXES:
        LetterPrefix.objects.create(office=office, kind=kind, prefix=prefix, issuing_body=body)
    office_users = {
        a.role: _user(a.username, names(), a.title, password, office, a.role, staff=True) for a in OFFICE_ACCOUNTS
    }
    members = {}
    units: dict[str, Unit] = {}
    for order, spec in enumerate(ALL_UNITS, start=1):
        unit = Unit.objects.create(
            name=spec.name,
            short_name=spec.short_name,
            kind=spec.kind,
            peer_group=spec.peer_group,
            parent=units.get(spec.parent) if spec.parent else None,
            sort_order=order,
        )
        units[spec.code] = unit
        members[spec.code] = _member(spec, unit, names, password, rng)
    _admin(password)
    log(
        _("Created %(units)d units and %(users)d demo accounts.")
        % {"units": len(units) + 1, "users": User.objects.filter(username__in=usernames).count()}
    )
    return World(
        office=office,
        clerk=office_users[Role.CLERK],
        inspector=office_users[Role.INSPECTOR],
        director=office_users[Role.DIRECTOR],
        observer=office_users[Role.OBSERVER],
        members=members,
    )


def _user(username: str, full_name: str, title: str, password: str, unit: Unit, role: str, staff: bool) -> User:
    # Office people also use the admin site for master data (units, people, prefixes).
    user = User.objects.create(
        username=username,
        password=password,
        full_name=full_name,
        title=title,
        email=demo_email(username),
        is_staff=staff,
    )
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def _member(spec: UnitSpec, unit: Unit, names: _Names, password: str, rng: random.Random) -> Member:
    liaison = _user(f"{spec.code}_liaison", names(), spec.liaison_title, password, unit, Role.LIAISON, staff=False)
    leader = _user(f"{spec.code}_leader", names(), spec.leader_title, password, unit, Role.LEADER, staff=False)
    if spec.kind == UnitKind.COUNTY:
        responsible = tuple(f"{names()}（{bureau}局长）" for bureau in rng.sample(COUNTY_BUREAUS, k=3))
    else:
        responsible = (f"{leader.full_name}（{spec.leader_title}）", f"{liaison.full_name}（{spec.liaison_title}）")
    # Some counties are quicker than others: the ranking needs laggards to name.
    if spec.kind == UnitKind.COUNTY:
        diligence = rng.choice((0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 1.15, 1.35, 1.6))
    else:
        diligence = rng.uniform(0.8, 1.25)
    return Member(spec.code, unit, liaison, leader, responsible, diligence)


def _admin(password: str) -> None:
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        return  # someone's own superuser: leave it and its password alone
    User.objects.create(
        username=ADMIN_USERNAME,
        password=password,
        full_name="系统管理员",
        is_staff=True,
        is_superuser=True,
    )


# --- what came out ------------------------------------------------------------------------------


def _counts(queryset, key: str) -> dict[str, int]:
    return dict(queryset.values_list(key).annotate(n=Count("pk")).order_by(key))


def _summary(started: float, failures: list[str]) -> Summary:
    office = Unit.objects.get(name=OFFICE_NAME)
    letters = Letter.objects.filter(office=office)
    assignments = Assignment.objects.filter(letter__office=office)
    today = timezone.localdate()
    return Summary(
        seconds=time.monotonic() - started,
        units=Unit.objects.count(),
        users=User.objects.count(),
        letters=_counts(letters, "state"),
        # The problems found; the items of reminder letters repeat them.
        items=Item.objects.filter(letter__office=office).exclude(letter__kind=LetterKind.REMINDER).count(),
        assignments=_counts(assignments, "state"),
        extensions=_counts(ExtensionRequest.objects.filter(assignment__letter__office=office), "state"),
        reports=ProgressReport.objects.filter(assignment__letter__office=office).count(),
        evidence=Evidence.objects.filter(report__assignment__letter__office=office).count(),
        audit_events=AuditEvent.objects.count(),
        notifications=Notification.objects.count(),
        overdue_open=assignments.filter(state__in=OPEN_STATES, deadline__lt=today).count(),
        failures=failures,
        cycles_closed=Cycle.objects.filter(state=CycleState.CLOSED).count(),
        current_cycle=Cycle.objects.filter(state=CycleState.OPEN).values_list("number", flat=True).first(),
        reminder_letters=letters.filter(kind=LetterKind.REMINDER).count(),
        notices=Notice.objects.filter(office=office).count(),
    )
