"""What people do with the outbox: the office retries failed messages; whoever keeps a channel
sends it a test message. Each checks the role, locks what it changes, writes an audit row and
queues the worker, in one transaction.

Which messages an office looks after (``delivery_scope``): those of the events that belong to an
office where the person is a clerk or director (expand.py's rule: its letters and their tasks,
its notices, its cycles, its units), and those to the channels that office keeps (its
integrations, its units' robots); a top office's also those to the deployment-wide channels (no
unit) and of the events that belong to no office (a digest). Another office's messages are not
theirs to read nor to send again."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from supervision import clock
from supervision.models import Channel, Delivery, DeliveryStatus, OutboxEvent, Role, User
from supervision.services.audit import audit_record
from supervision.services.channels import channel_authority, staff_offices, top_office_ids
from supervision.services.errors import InvalidInput, InvalidTransition, NotAllowed
from supervision.services.roles import has_role, office_ids

from .expand import event_office_scope, units_kept_by
from .write import CHANNEL_TEST, dispatch_soon

# Who in the office looks after the messages that leave the system.
OUTBOX_ROLES = (Role.DIRECTOR, Role.CLERK)
# Deliveries the office may send again: failed ones, those waiting for a retry, or held for
# quiet hours (sent now).
RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.PENDING, DeliveryStatus.HELD)
MAX_IDS = 1000


def _office_role(actor: User) -> tuple[int, str] | None:
    """(office id, role) in which the actor looks after the outbox, or None."""
    for office in sorted(office_ids(actor)):
        role = has_role(actor, office, OUTBOX_ROLES)
        if role is not None:
            return office, role
    return None


def _require_office(actor: User) -> tuple[int, str]:
    found = _office_role(actor)
    if found is None:
        raise NotAllowed(_("Only the office's directors and clerks may send messages again."))
    return found


def delivery_scope(actor: User) -> Q | None:
    """The deliveries the actor looks after, as a filter on deliveries (None: every one, a
    superuser's). A fixed number of short reads: the roles, the unit tree, the offices' cycles
    and the channels."""
    if actor.is_superuser:
        return None
    mine = staff_offices(actor)
    if not mine:
        return Q(pk__in=[])
    kept = units_kept_by(mine)
    top = bool(set(mine) & set(top_office_ids()))
    # A channel is kept by the office that keeps its unit (services/channels.py channel_offices).
    channels = [pk for pk, unit in Channel.objects.values_list("pk", "unit_id") if (unit in kept if unit else top)]
    return event_office_scope(mine, prefix="event__", kept=kept, of_none=top) | Q(channel_id__in=channels)


def deliveries_looked_after(actor: User, ids: list[int]) -> set[int]:
    """Which of the deliveries ``ids`` the actor looks after (the monitor's 404 for the rest)."""
    scope = delivery_scope(actor)
    found = Delivery.objects.filter(pk__in=ids)
    if scope is not None:
        found = found.filter(scope)
    return set(found.values_list("pk", flat=True))


def _reset(d: Delivery) -> None:
    # A fresh round of tries: the earlier ones stay in the delivery's attempts.
    d.status, d.due_at, d.attempts, d.leased_until = DeliveryStatus.PENDING, clock.now(), 0, None


@transaction.atomic
def delivery_retry(*, actor: User, delivery_id: int) -> Delivery:
    """Send one message again now (a failed one, or one waiting for its next try or for the end
    of quiet hours), with a full round of tries."""
    office_id, role = _require_office(actor)
    # Another office's message is answered as one that does not exist.
    d = (
        Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if deliveries_looked_after(actor, [delivery_id])
        else None
    )
    if d is None:
        raise InvalidInput(_("There is no such message."), field="delivery")
    if d.status not in RETRYABLE:
        raise InvalidTransition(
            _("This message cannot be sent again: it is %(status)s.") % {"status": d.get_status_display()}
        )
    from_status = d.status
    _reset(d)
    d.save(update_fields=["status", "due_at", "attempts", "leased_until"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=office_id,
        action="delivery.retried",
        from_state=from_status,
        to_state=d.status,
        data={"delivery": str(d.uuid), "kind": d.kind, "channel": d.channel_id, "user": d.user_id},
    )
    dispatch_soon()
    return d


@transaction.atomic
def deliveries_retry_failed(*, actor: User, ids: Iterable[int]) -> int:
    """Send the failed messages among ``ids`` again (the monitor's selection). Returns how many;
    the others (already delivered, not failed, another office's, none) are left as they are."""
    office_id, role = _require_office(actor)
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise InvalidInput(_("Choose the messages to send again."), field="ids")
    if len(wanted) > MAX_IDS:
        raise InvalidInput(_("Choose at most %(n)d messages at a time.") % {"n": MAX_IDS}, field="ids")
    # Another office's messages are left alone, as ids of none are (the page answers 404).
    mine = sorted(deliveries_looked_after(actor, wanted))
    rows = list(Delivery.objects.select_for_update().filter(pk__in=mine, status=DeliveryStatus.FAILED))
    if not rows:
        return 0
    for d in rows:
        _reset(d)
    Delivery.objects.bulk_update(rows, ["status", "due_at", "attempts", "leased_until"])
    audit_record(
        actor=actor,
        role=role,
        unit_id=office_id,
        action="deliveries.retried",
        data={"count": len(rows), "deliveries": [str(d.uuid) for d in rows][:100]},
    )
    dispatch_soon()
    return len(rows)


@transaction.atomic
def channel_test_message(*, actor: User, channel: Channel | int) -> OutboxEvent:
    """A test message to one channel only (even while it is switched off, and in quiet hours):
    the page then shows whether it arrived (the delivery, and the channel's last error)."""
    pk = channel.pk if isinstance(channel, Channel) else int(channel)
    found = Channel.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("There is no such channel."), field="channel")
    # Whoever may configure the channel may test it (services/channels.py says who).
    who = channel_authority(actor, found.unit_id, found.kind)
    if who is None:
        raise NotAllowed(_("Only those who may configure this channel may send it a test message."))
    unit_id, role = who.unit_id, who.role
    now = clock.now()
    event = OutboxEvent.objects.create(
        name=CHANNEL_TEST,
        verb="channel_test",
        text=_("Test message from %(name)s: the channel “%(channel)s” works.")
        % {"name": actor.display_name, "channel": found.name},
        unit_ids=[found.unit_id] if found.unit_id else [],
        urgent=True,
        payload={"channel": found.pk},
        created_at=now,
    )
    audit_record(
        actor=actor,
        role=role,
        unit_id=unit_id,
        action="channel.tested",
        data={"channel": found.pk, "kind": found.kind, "event": str(event.uuid)},
    )
    dispatch_soon()
    return event
