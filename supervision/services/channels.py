"""Message channels (消息渠道): a unit's 企业微信 or 钉钉 group robot, and an office's webhooks to
other systems (a webhook whose unit is the office: its integration, carrying the events of its own
letters; unit None: a deployment-wide integration that gets every event it asks for, from before
several offices shared a deployment).

Who: the clerks and directors of the office that keeps a unit (the nearest office above it in the
unit tree; an office keeps its own; a unit placed nowhere, and the deployment-wide integrations,
belong to the top offices); a unit's leader for their own unit's robots. A city office's clerk
never sees, changes or receives what another office keeps. What the clerk pastes is what the
robot's settings page shows:

- 企业微信: the full webhook address ``…/cgi-bin/webhook/send?key=XXXX``. The key is split off and
  kept encrypted (``Channel.key_encrypted``); ``Channel.url`` is the address without it.
- 钉钉: the full address ``…/robot/send?access_token=XXXX`` and the 加签 secret (``SEC…``): the token
  goes to ``key_encrypted``, the secret to ``secret_encrypted``, the address without the token to
  ``url``.
- webhook: an https address (http only to this machine, or in development) and a signing secret,
  generated when left blank and handed back once (``SavedChannel.new_secret``) for the page to show;
  optionally the receiving system's access token (sent as ``Authorization: Bearer``), in
  ``key_encrypted``.

A robot's address is on its provider's server (or a host of ROBOT_EXTRA_HOSTS; loopback too in
development): a leader may add one, and must not be able to have the server call inside the
office's network. Webhooks, the office's alone, may go to any https address.

A sender puts the address back together from ``url`` and the decrypted key. Secrets are never
shown again, never logged and never written to an audit row: the audit keeps the address without
its query, and whether a key or secret was set or replaced. A blank key or secret on a change
keeps the stored one, as long as the address stays on the same server (scheme, host and port):
a stored key or secret is never sent to a server other than the one it was given for.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from supervision import clock
from supervision.crypto import encrypt
from supervision.models import Channel, ChannelKind, Role, Unit, UnitKind, User
from supervision.offices import offices_above
from supervision.parsing import clean_text, parse_id

from .audit import audit_record
from .channel_input import (
    _TOKEN,
    MAX_URL,
    _Address,
    _audit_url,
    _bearer,
    _dingtalk_secret,
    _kind,
    _name,
    _origin,
    _robot_address,
    _text,
    _webhook_address,
    _webhook_secret,
    address_shown,
    channel_events,
    default_events,
)
from .errors import InvalidInput, NotAllowed
from .roles import has_role, office_ids

# Who in the office configures where messages go: those who may mark a one-person unit too.
OFFICE_CHANNEL_ROLES = (Role.CLERK, Role.DIRECTOR)


# A unit's own channels are its work group's robots; webhooks are the office's integrations.
@dataclass(frozen=True)
class Authority:
    """The role in which someone changes a channel, and the unit the audit row names."""

    role: str
    unit_id: int


@dataclass(frozen=True)
class SavedChannel:
    channel: Channel
    # A webhook secret the service generated: shown once by the page that saved it, never again.
    new_secret: str = ""


# --- who ------------------------------------------------------------------------------------------


def top_office_ids() -> list[int]:
    """The active offices with no office above them: theirs are the deployment-wide channels (no
    unit) and the units placed nowhere in the tree."""
    return list(
        Unit.objects.filter(kind=UnitKind.OFFICE, parent__isnull=True, is_active=True)
        .order_by("sort_order", "pk")
        .values_list("pk", flat=True)
    )


def channel_offices(unit_id: int | None) -> list[int]:
    """The offices whose clerks and directors keep the channels of ``unit_id``: for an office,
    the office itself (its integrations and its work group's robots); for another unit, the
    nearest office above it in the tree (a unit placed nowhere: the top offices); for None, the
    deployment-wide channels, the top offices. A few short reads, one per level of the tree."""
    if unit_id is None:
        return top_office_ids()
    row = Unit.objects.filter(pk=unit_id).values_list("kind", flat=True).first()
    if row is None:
        return []
    if row == UnitKind.OFFICE:
        return [unit_id]
    above = offices_above(unit_id)
    return above[:1] if above else top_office_ids()


def channel_authority(actor: User, unit_id: int | None, kind: str | None = None) -> Authority | None:
    """The role in which ``actor`` may manage the channels of ``unit_id`` (None: the
    deployment-wide channels; ``kind``: the channel's, None for the unit's robots): a clerk or
    director of the office that keeps them (``channel_offices``); the leader of a unit (or their
    stand-in) for its robots. An office's webhooks carry all of its letters: its clerks and
    directors alone keep them, not a city office's leader, who leads it as a unit working the
    province's letters."""
    if not (actor.is_authenticated and actor.is_active):
        return None
    mine = office_ids(actor)
    if mine:
        for office in channel_offices(unit_id):
            role = has_role(actor, office, OFFICE_CHANNEL_ROLES) if office in mine else None
            if role is not None:
                return Authority(role, office)
    if unit_id is not None and kind != ChannelKind.WEBHOOK:
        role = has_role(actor, unit_id, (Role.LEADER,))
        if role is not None:
            return Authority(role, unit_id)
    return None


def staff_offices(actor: User) -> list[int]:
    """The offices in which the actor keeps channels (a clerk or director there), top offices
    first: the integrations page offers each of them."""
    mine = [o for o in office_ids(actor) if has_role(actor, o, OFFICE_CHANNEL_ROLES) is not None]
    if not mine:
        return []
    return list(
        Unit.objects.filter(pk__in=mine, is_active=True)
        .order_by(F("parent_id").asc(nulls_first=True), "sort_order", "pk")
        .values_list("pk", flat=True)
    )


def _require_authority(actor: User, unit_id: int | None, kind: str | None = None) -> Authority:
    found = channel_authority(actor, unit_id, kind)
    if found is None:
        if unit_id is None:
            raise NotAllowed(_("Only the office's clerks and directors may configure integrations."))
        if kind == ChannelKind.WEBHOOK:
            raise NotAllowed(_("Only the office's clerks and directors may configure integrations."))
        raise NotAllowed(_("Only the office's clerks and directors, or the unit's leader, may configure its channels."))
    return found


def _record(actor: User, who: Authority, action: str, channel: Channel, **extra: object) -> None:
    audit_record(
        actor=actor,
        role=who.role,
        unit_id=who.unit_id,
        action=action,
        data={
            "channel": channel.pk,
            "unit": channel.unit_id,
            "kind": channel.kind,
            "name": channel.name,
            **extra,
        },
    )


# --- changes --------------------------------------------------------------------------------------


@transaction.atomic
def channel_create(
    *,
    actor: User,
    unit_id: int | None,
    kind: str,
    name: str,
    url: str,
    key: str = "",
    secret: str = "",
    events: Iterable[str] | None = None,
    quiet_hours: bool | None = None,
) -> SavedChannel:
    """A new channel for the unit: an office's webhook is its integration, carrying the events of
    its own letters (None: a deployment-wide integration, every event; a top office's). ``url`` is the address as
    the robot's page gives it, key included; ``key`` may be given apart instead. ``events``:
    the event names it carries (None: the kind's defaults). ``quiet_hours`` (None: the kind's
    default): a work group's robot keeps quiet at night, another system needs no quiet."""
    is_office = False
    if unit_id is not None:
        unit_id = parse_id(unit_id)
        found_kind = (
            Unit.objects.filter(pk=unit_id, is_active=True).values_list("kind", flat=True).first()
            if unit_id is not None
            else None
        )
        if found_kind is None:
            raise InvalidInput(_("There is no such unit."), field="unit")
        is_office = found_kind == UnitKind.OFFICE
    who = _require_authority(actor, unit_id, str(kind or ""))
    kind = _kind(kind, unit_id, office=is_office)
    name = _name(name)
    key, secret = _text(key), _text(secret)
    new_secret = ""
    if kind == ChannelKind.WEBHOOK:
        address = _webhook_address(url)
        if secret:
            secret = _webhook_secret(secret)
        else:
            secret = new_secret = secrets.token_urlsafe(32)
        key = _bearer(key)
    else:
        address = _robot_address(kind, url)
        key = _robot_key(kind, address, key)
        if not key:
            raise _missing_key(kind)
        if kind == ChannelKind.DINGTALK:
            if not secret:
                raise _missing_secret()
            secret = _dingtalk_secret(secret)
        elif secret:
            raise InvalidInput(_("A WeCom robot has no signing secret: leave it blank."), field="secret")
    chosen = channel_events(events) if events is not None else default_events(kind)
    channel = Channel.objects.create(
        kind=kind,
        unit_id=unit_id,
        name=name,
        url=address.url,
        key_encrypted=encrypt(key),
        secret_encrypted=encrypt(secret),
        events=chosen,
        quiet_hours=kind != ChannelKind.WEBHOOK if quiet_hours is None else bool(quiet_hours),
        enabled=True,
        created_by=actor,
        created_at=clock.now(),
    )
    _record(
        actor,
        who,
        "channel.created",
        channel,
        url=_audit_url(channel.url),
        events=chosen,
        quiet_hours=channel.quiet_hours,
        key_set=bool(key),
        secret_set=bool(secret),
        secret_generated=bool(new_secret),
    )
    return SavedChannel(channel, new_secret)


def _robot_key(kind: str, address: _Address, key: str) -> str:
    """The key (企业微信) or access token (钉钉): the one in the address, or the one given apart."""
    if key and not _TOKEN.match(key):
        raise InvalidInput(_("This key is not a robot's key."), field="key")
    if key and address.key and key != address.key:
        raise InvalidInput(_("The address and the key field name two different keys: give one."), field="key")
    return address.key or key


def _missing_secret() -> InvalidInput:
    return InvalidInput(
        _("Give the DingTalk robot's signing secret (加签, begins with SEC): unsigned messages are refused."),
        field="secret",
    )


def _missing_key(kind: str) -> InvalidInput:
    if kind == ChannelKind.WECOM:
        return InvalidInput(
            _("Paste the robot's full webhook address, with key=… at its end (the robot's settings show it)."),
            field="url",
        )
    return InvalidInput(
        _("Paste the robot's full address, with access_token=… at its end (the robot's settings show it)."),
        field="url",
    )


def _credentials_again(found: Channel, *, key: str, secret: str) -> None:
    """Refuse an address on another server unless each stored key and secret is given again.

    Whoever may change a channel may change its address, but the key and secret may have been
    set by someone else (the office's robot key, an integration's token): kept as they are, they
    would be sent to, or sign messages for, a server of the changer's choosing."""
    if found.key_encrypted and not key:
        if found.kind == ChannelKind.WEBHOOK:
            raise InvalidInput(
                _(
                    "The address is on another server than before: give the receiving system's access token "
                    "again, so that the stored one is not sent to the new server."
                ),
                field="key",
            )
        raise InvalidInput(
            _(
                "The address is on another server than before: paste the robot's full address with its key "
                "again, so that the stored key is not sent to the new server."
            ),
            field="url",
        )
    if found.secret_encrypted and not secret:
        if found.kind == ChannelKind.WEBHOOK:
            raise InvalidInput(
                _(
                    "The address is on another server than before: type a new signing secret or have one "
                    "generated, so that the new server gets no message signed with the stored one."
                ),
                field="secret",
            )
        raise InvalidInput(
            _(
                "The address is on another server than before: give the robot's signing secret again, so "
                "that the stored one is not used for the new server."
            ),
            field="secret",
        )


def _locked(channel: Channel | int) -> Channel:
    pk = parse_id(channel.pk if isinstance(channel, Channel) else channel)
    found = Channel.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotAllowed(_("This channel does not exist or you may not change it."))
    return found


@transaction.atomic
def channel_update(
    *,
    actor: User,
    channel: Channel | int,
    name: str,
    url: str,
    key: str = "",
    secret: str = "",
    events: Iterable[str] | None = None,
    quiet_hours: bool = True,
    renew_secret: bool = False,
) -> SavedChannel:
    """Change a channel; its kind and unit stay. A blank key or secret keeps the stored one (an
    address pasted with its key replaces the key) while the address stays on the same server;
    an address on another server needs every stored key and secret given again.
    ``renew_secret`` has a webhook's secret generated anew and handed back once."""
    found = _locked(channel)
    who = _require_authority(actor, found.unit_id, found.kind)
    name = _name(name)
    key, secret = _text(key), _text(secret)
    if clean_text(url, max_length=MAX_URL + 1) == address_shown(found.url):
        # The address given back as the page showed it, its query hidden: it stays as saved.
        url = found.url
    new_key, new_secret_value, generated = "", "", ""
    if found.kind == ChannelKind.WEBHOOK:
        address = _webhook_address(url)
        if secret:
            new_secret_value = _webhook_secret(secret)
        elif renew_secret:
            new_secret_value = generated = secrets.token_urlsafe(32)
        new_key = _bearer(key)
    else:
        address = _robot_address(found.kind, url)
        new_key = _robot_key(found.kind, address, key)
        if not new_key and not found.key_encrypted:
            raise _missing_key(found.kind)
        if found.kind == ChannelKind.DINGTALK:
            if secret:
                new_secret_value = _dingtalk_secret(secret)
            elif not found.secret_encrypted:
                raise _missing_secret()
        elif secret:
            raise InvalidInput(_("A WeCom robot has no signing secret: leave it blank."), field="secret")
    if _origin(address.url) != _origin(found.url):
        _credentials_again(found, key=new_key, secret=new_secret_value)
    chosen = channel_events(events) if events is not None else list(found.events)
    changed = [
        field
        for field, old, new in (
            ("name", found.name, name),
            ("url", found.url, address.url),
            ("events", list(found.events), chosen),
            ("quiet_hours", found.quiet_hours, bool(quiet_hours)),
        )
        if old != new
    ]
    if new_key:
        found.key_encrypted = encrypt(new_key)
    if new_secret_value:
        found.secret_encrypted = encrypt(new_secret_value)
    if not changed and not new_key and not new_secret_value:
        return SavedChannel(found)
    found.name, found.url, found.events, found.quiet_hours = name, address.url, chosen, bool(quiet_hours)
    if new_key or new_secret_value or "url" in changed:
        # The last error was about the old address or secret.
        found.last_error = ""
    found.save(
        update_fields=["name", "url", "events", "quiet_hours", "key_encrypted", "secret_encrypted", "last_error"]
    )
    _record(
        actor,
        who,
        "channel.updated",
        found,
        changed=changed,
        url=_audit_url(found.url),
        # A key pasted again is recorded as replaced even when it is the same: nobody compares secrets.
        key_replaced=bool(new_key),
        secret_replaced=bool(new_secret_value),
        secret_generated=bool(generated),
    )
    return SavedChannel(found, generated)


def _set_enabled(actor: User, channel: Channel | int, enabled: bool) -> Channel:
    found = _locked(channel)
    who = _require_authority(actor, found.unit_id, found.kind)
    if found.enabled == enabled:
        return found
    found.enabled = enabled
    found.save(update_fields=["enabled"])
    _record(actor, who, "channel.enabled" if enabled else "channel.disabled", found)
    return found


@transaction.atomic
def channel_disable(*, actor: User, channel: Channel | int) -> Channel:
    """Stop sending to a channel without forgetting it (its key, secret and deliveries stay)."""
    return _set_enabled(actor, channel, False)


@transaction.atomic
def channel_enable(*, actor: User, channel: Channel | int) -> Channel:
    return _set_enabled(actor, channel, True)


@transaction.atomic
def channel_delete(*, actor: User, channel: Channel | int) -> None:
    """Remove a channel, with its deliveries; the audit row keeps what it was."""
    found = _locked(channel)
    who = _require_authority(actor, found.unit_id, found.kind)
    _record(actor, who, "channel.deleted", found, url=_audit_url(found.url))
    found.delete()
