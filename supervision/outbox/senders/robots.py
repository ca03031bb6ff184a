"""The work groups' robots: 企业微信 (WeCom) and 钉钉 (DingTalk) custom robots, markdown messages.

企业微信: ``POST {url}?key=K`` with ``{"msgtype": "markdown", "markdown": {"content": …}}``.
钉钉: ``POST {url}?access_token=T&timestamp=MS&sign=S`` with ``{"msgtype": "markdown",
"markdown": {"title": …, "text": …}}``; with a signing secret (加签) ``S`` is the URL-encoded
base64 of HMAC-SHA256(key=secret, msg=f"{MS}\\n{secret}"), MS the time in milliseconds.
Both answer ``{"errcode": 0, "errmsg": "ok"}``; any other errcode is a failure. A code known to
mean the request itself is wrong (PERMANENT) fails at once; any other is retried. Each robot
takes about 20 messages a minute: the worker paces them (dispatch.py), and a rate-limit answer
is retried after a minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote_plus

from django.utils.translation import gettext as _

from supervision.crypto import decrypt
from supervision.models import Delivery

from ..messages import facts_of, robot_markdown
from .base import Outcome, Response, Transmit, failed, http_permanent, http_post, redact

# WeCom 45009 and DingTalk 130101: too many messages; wait a minute.
RATE_LIMITED = frozenset({45009, 130101})
RATE_LIMIT_WAIT = 60
# Codes that say the request is wrong, which the same request a minute later would be again: the
# robot's address or key is unknown (企业微信 93000, 钉钉 300001), 钉钉's security setting refuses
# it (310000: signature, keyword or IP address), the message is malformed (企业微信 40008 invalid
# message type, 40058 invalid parameter, 44004 empty content; 钉钉 40035 invalid parameter).
# Rate limits, "system busy" (-1) and any code not listed are retried as before.
PERMANENT = frozenset({93000, 40008, 40058, 44004, 300001, 310000, 40035})
# WeCom's markdown content is limited to 4,096 bytes; DingTalk's is larger. Both get this.
MAX_CONTENT = 3800
HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def _with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def _shorten(text: str) -> str:
    data = text.encode()
    return text if len(data) <= MAX_CONTENT else data[:MAX_CONTENT].decode(errors="ignore") + "…"


def _answer(response: Response, secrets: list[str]) -> Outcome:
    """A robot's answer: HTTP 200 and errcode 0, or a failure saying which."""
    if response.status != 200:
        error = redact(response.error or f"HTTP {response.status}", secrets)
        return Outcome(False, response.status, error, permanent=http_permanent(response.status))
    try:
        answer = json.loads(response.body.decode() or "{}")
        code = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        return Outcome(False, 200, _("The robot's answer is not JSON."))
    if code == 0:
        return Outcome(True, 200)
    message = redact(f"errcode {code}: {answer.get('errmsg', '')}", secrets)
    return Outcome(False, 200, message, RATE_LIMIT_WAIT if code in RATE_LIMITED else None, code in PERMANENT)


def wecom_prepare(delivery: Delivery) -> Transmit:
    channel = delivery.channel
    key = decrypt(channel.key_encrypted)
    if not key:
        return failed(_("The robot's key is missing: enter it again on the channel page."))
    _title, text = robot_markdown(facts_of(delivery.event))
    body = json.dumps({"msgtype": "markdown", "markdown": {"content": _shorten(text)}}, ensure_ascii=False).encode()
    url = _with_query(channel.url, f"key={quote_plus(key)}")
    return lambda: _answer(http_post(url, body, HEADERS), [key])


def dingtalk_prepare(delivery: Delivery) -> Transmit:
    channel = delivery.channel
    token = decrypt(channel.key_encrypted)
    if not token:
        return failed(_("The robot's access token is missing: enter it again on the channel page."))
    secret = decrypt(channel.secret_encrypted)
    title, text = robot_markdown(facts_of(delivery.event))
    body = json.dumps(
        {"msgtype": "markdown", "markdown": {"title": title, "text": _shorten(text)}}, ensure_ascii=False
    ).encode()

    def transmit() -> Outcome:
        query = f"access_token={quote_plus(token)}"
        if secret:
            # Signed when sent, not when prepared: 钉钉 refuses a timestamp an hour old.
            ms = int(time.time() * 1000)
            query += f"&timestamp={ms}&sign={dingtalk_sign(secret, ms)}"
        return _answer(http_post(_with_query(channel.url, query), body, HEADERS), [token, secret])

    return transmit
