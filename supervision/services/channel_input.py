"""What a clerk or leader types for a message channel, read and checked: the address a robot's
page gives (its key or token split off), the provider's server it must be on, a webhook's address,
the name, the events, the secrets. Nothing here writes: services/channels.py saves what passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

from supervision import events as catalog
from supervision.models import ChannelKind
from supervision.parsing import clean_text

from .errors import InvalidInput

UNIT_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK)
OFFICE_KINDS = (ChannelKind.WEBHOOK,)

MAX_URL = 500  # Channel.url
MAX_NAME = 60  # Channel.name
# Stands for a stored address's query on the pages (see address_shown).
HIDDEN_QUERY = "…"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The hosts of the two robot services: an address of theirs pasted under another kind is a mix-up.
_WECOM_HOST = "qyapi.weixin.qq.com"
_DINGTALK_HOST = "oapi.dingtalk.com"
# A robot's key / access token, and a 钉钉 加签 secret, as the services issue them.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,200}$")
_DINGTALK_SECRET = re.compile(r"^SEC[A-Za-z0-9]{8,200}$")
# A webhook's signing secret typed in by hand: printable ASCII without spaces, long enough to matter.
_WEBHOOK_SECRET = re.compile(r"^[\x21-\x7e]{16,200}$")


@dataclass(frozen=True)
class _Address:
    url: str  # without the key or token
    key: str  # the key / access token found in the address, or ""


# --- what -----------------------------------------------------------------------------------------


def _split(raw: object) -> tuple[SplitResult, list[tuple[str, str]]]:
    """The address parsed, refused when it is not an http(s) address this app may call."""
    text = clean_text(raw, max_length=MAX_URL + 1)
    if not text:
        raise InvalidInput(_("Give the address."), field="url")
    if len(text) > MAX_URL:
        raise InvalidInput(_("The address is too long (at most %(n)d characters).") % {"n": MAX_URL}, field="url")
    if any(ch.isspace() for ch in text):
        raise InvalidInput(_("The address may not contain spaces."), field="url")
    if HIDDEN_QUERY in text:
        raise InvalidInput(
            _(
                "“…” stands for the part of the saved address that is not shown: give the address whole, "
                "or leave the “?…” unchanged to keep that part."
            ),
            field="url",
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise InvalidInput(_("This is not a web address."), field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(_("The address must begin with https://."), field="url")
    if parts.username or parts.password:
        # It would be shown on the page and written to the audit trail.
        raise InvalidInput(_("The address may not contain a user name or password."), field="url")
    return parts, parse_qsl(parts.query, keep_blank_values=True)


def _origin(url: str | SplitResult) -> tuple[str, str, int | None]:
    """The server an address reaches: scheme, host and port (the scheme's own when none is given)."""
    parts = urlsplit(url) if isinstance(url, str) else url
    return parts.scheme, parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme)


def _development() -> bool:
    """A development installation (``make run``, the test suite): DEVELOPMENT_MODE is what the
    environment said, which stays on when a test runner switches DEBUG off."""
    return bool(settings.DEBUG or settings.DEVELOPMENT_MODE)


def _robot_origins(kind: str) -> tuple[str, set[tuple[str, str, int | None]]]:
    """Where a robot of this kind may be: its provider's server (the scheme, host and port of
    WECOM_WEBHOOK_URL / DINGTALK_WEBHOOK_URL), and ROBOT_EXTRA_HOSTS ("host", "host:port" or
    "scheme://host:port"; https on its own port unless it says otherwise), e.g. the proxy through
    which an office's network reaches the providers. Returns the provider's address too, for the
    refusal to name."""
    provider = urlsplit(settings.WECOM_WEBHOOK_URL if kind == ChannelKind.WECOM else settings.DINGTALK_WEBHOOK_URL)
    allowed = {_origin(provider)}
    for entry in settings.ROBOT_EXTRA_HOSTS:
        try:
            allowed.add(_origin(entry if "://" in entry else f"https://{entry}"))
        except ValueError:  # a port that is not a number: the entry allows nothing
            continue
    return urlunsplit((provider.scheme, provider.netloc, "/", "", "")), allowed


def _require_robot_host(kind: str, parts: SplitResult) -> None:
    """A robot posts to its provider: an address anywhere else is refused, so that whoever may add
    a robot (a unit's leader) cannot have the server call, and report on, hosts of the internal
    network. In development the local receiver (``manage.py receive_messages``) stands in."""
    if _development() and (parts.hostname or "") in _LOCAL_HOSTS:
        return
    start, allowed = _robot_origins(kind)
    if _origin(parts) not in allowed:
        raise InvalidInput(
            _("A group robot's address begins with %(start)s: paste the address the robot's settings show.")
            % {"start": start},
            field="url",
        )


def _require_https(parts: SplitResult) -> None:
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS and not settings.DEBUG:
        raise InvalidInput(
            _("The address must begin with https:// (http:// only to this machine, for testing)."), field="url"
        )


def _without(parts: SplitResult, query: list[tuple[str, str]], name: str) -> str:
    kept = [(k, v) for k, v in query if k != name]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def _param(query: list[tuple[str, str]], name: str) -> str:
    values = [v for k, v in query if k == name]
    if len(values) > 1:
        raise InvalidInput(_("The address names %(param)s twice.") % {"param": name}, field="url")
    return values[0].strip() if values else ""


def _robot_address(kind: str, raw_url: object) -> _Address:
    parts, query = _split(raw_url)
    host = parts.hostname or ""
    names = {k for k, _v in query}
    if kind == ChannelKind.WECOM:
        if host == _DINGTALK_HOST or ("access_token" in names and "key" not in names):
            raise InvalidInput(
                _("This is the address of a DingTalk robot: add it as a DingTalk group robot."), field="url"
            )
        _require_robot_host(kind, parts)
        key = _param(query, "key")
        if key and not _TOKEN.match(key):
            raise InvalidInput(_("The key in this address is not a WeCom robot's key."), field="url")
        return _Address(_without(parts, query, "key"), key)
    if host == _WECOM_HOST or ("key" in names and "access_token" not in names):
        raise InvalidInput(_("This is the address of a WeCom robot: add it as a WeCom group robot."), field="url")
    _require_robot_host(kind, parts)
    token = _param(query, "access_token")
    if token and not _TOKEN.match(token):
        raise InvalidInput(_("The access_token in this address is not a DingTalk robot's token."), field="url")
    return _Address(_without(parts, query, "access_token"), token)


def _webhook_address(raw_url: object) -> _Address:
    parts, query = _split(raw_url)
    _require_https(parts)
    host = parts.hostname or ""
    if host in (_WECOM_HOST, _DINGTALK_HOST):
        raise InvalidInput(
            _("This is a group robot's address: add it on the unit's channel page as a WeCom or DingTalk robot."),
            field="url",
        )
    return _Address(urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")), "")


def _name(raw: object) -> str:
    name = clean_text(raw, max_length=MAX_NAME + 1)
    if not name:
        raise InvalidInput(_("Give the channel a name, e.g. the work group's name."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(_("The name is too long (at most %(n)d characters).") % {"n": MAX_NAME}, field="name")
    return name


def channel_events(raw: Iterable[object] | None) -> list[str]:
    """The event names chosen, in the catalog's order; an unknown name is refused."""
    if isinstance(raw, str | bytes) or raw is None:
        raw = [raw] if raw else []
    chosen = {str(v) for v in raw}
    unknown = chosen - catalog.BY_NAME.keys()
    if unknown:
        raise InvalidInput(_("Choose the events from the list."), field="events")
    if not chosen:
        raise InvalidInput(_("Choose at least one event for this channel to carry."), field="events")
    return [e.name for e in catalog.EVENTS if e.name in chosen]


def default_events(kind: str) -> list[str]:
    """What a new channel of this kind carries unless the form says otherwise: a robot the
    tasks' own events (events.ROBOT_DEFAULT), an integration every event."""
    if kind == ChannelKind.WEBHOOK:
        return [e.name for e in catalog.EVENTS]
    return [e.name for e in catalog.EVENTS if e.name in catalog.ROBOT_DEFAULT]


def _text(raw: object) -> str:
    return clean_text(raw, max_length=400) if raw is not None else ""


def _dingtalk_secret(raw: str) -> str:
    if not _DINGTALK_SECRET.match(raw):
        raise InvalidInput(
            _("The DingTalk signing secret (加签) begins with SEC: copy it from the robot's security settings."),
            field="secret",
        )
    return raw


def _webhook_secret(raw: str) -> str:
    if not _WEBHOOK_SECRET.match(raw):
        raise InvalidInput(
            _("A signing secret is at least 16 characters, without spaces; leave it blank to have one generated."),
            field="secret",
        )
    return raw


def _bearer(raw: str) -> str:
    """A webhook's optional access token for the receiving system (sent as Authorization: Bearer)."""
    if raw and not _WEBHOOK_SECRET.match(raw):
        raise InvalidInput(
            _("An access token is at least 16 characters, without spaces; leave it blank if the system needs none."),
            field="key",
        )
    return raw


def _kind(raw: object, unit_id: int | None, *, office: bool = False) -> str:
    """The channel's kind: a webhook for a deployment-wide integration (no unit), a robot for a
    unit; an office has both, its integrations and its work group's robots."""
    kind = str(raw or "")
    allowed = OFFICE_KINDS if unit_id is None else (OFFICE_KINDS + UNIT_KINDS if office else UNIT_KINDS)
    if kind not in allowed:
        if unit_id is None:
            raise InvalidInput(_("The office's integrations are webhooks."), field="kind")
        raise InvalidInput(_("A unit's channel is a WeCom or DingTalk group robot."), field="kind")
    return kind


def address_shown(url: str) -> str:
    """A channel's address as the pages and the admin show it: scheme, host and path, and "?…"
    for a query. A webhook's query may carry the receiving system's token, which, like every
    key, is never shown again once saved."""
    parts = urlsplit(url)
    shown = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return f"{shown}?{HIDDEN_QUERY}" if parts.query else shown


def _audit_url(url: str) -> str:
    # The address without its query: a webhook's query may carry a token of the receiving system.
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
