"""``manage.py receive_messages [--port 8025]``: a local receiver for the messages the outbox
sends, for development (``make run``; the demo's channels point at it). It answers like a
企业微信 or 钉钉 robot (``/wecom``, ``/dingtalk``) or an integration (``/webhook``), checks the
钉钉 and webhook signatures with the secrets stored for the channels, and prints each message.
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.translation import gettext as _

from supervision.crypto import decrypt
from supervision.models import Channel, ChannelKind, Delivery
from supervision.outbox.receiver import Received, Receiver


def stored_secret(kind: str, ident: str) -> str | None:
    """The secret the channels store for a request: a robot's by its key or access token, a
    webhook's by the delivery id it carries. Read per message (development only)."""
    close_old_connections()  # each request runs in its own thread, with its own connection
    try:
        if kind == "webhook":
            found = Delivery.objects.filter(uuid=ident).select_related("channel").first()
            channel = found.channel if found is not None else None
            return decrypt(channel.secret_encrypted) or None if channel is not None else None
        robot = ChannelKind.WECOM if kind == "wecom" else ChannelKind.DINGTALK
        for channel in Channel.objects.filter(kind=robot):
            if decrypt(channel.key_encrypted) == ident:
                return ident if kind == "wecom" else (decrypt(channel.secret_encrypted) or None)
        return None
    except ValueError:  # a malformed delivery id
        return None
    finally:
        close_old_connections()


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Receive the messages the system sends to WeCom and DingTalk robots and webhooks, on this machine "
            "(development), check their signatures and print them."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--no-check", action="store_true", help=_("Accept every message without checking signatures.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        receiver = Receiver(
            port=options["port"], secret_for=None if options["no_check"] else stored_secret, on_message=self._print
        )
        receiver.start()
        self.stdout.write(
            _("Receiving messages on %(url)s (/wecom, /dingtalk, /webhook). Ctrl+C stops.") % {"url": receiver.url}
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            receiver.stop()

    def _print(self, m: Received) -> None:
        if m.verified is None:
            check = _("signature not checked")
        else:
            check = _("signature valid") if m.verified else _("signature INVALID")
        head = f"[{time.strftime('%H:%M:%S')}] {m.kind} {m.status} {m.answer.get('errmsg', '')} · {check}"
        if m.delivery:
            head += f" · {m.delivery}"
        self.stdout.write(head)
        for line in m.text.splitlines()[:8]:
            if line.strip():
                self.stdout.write(f"    {line}")
