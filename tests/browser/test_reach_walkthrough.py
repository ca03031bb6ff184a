"""Issue 13's "done when", end to end with the processes of ``make run``: the development server,
one ``manage.py db_worker`` and a local receiver standing in for 企业微信 and an integration.

The office issues a letter in the browser; the worker delivers it to unit A's WeCom robot (one
markdown message with the letter number), to the office's webhook (one signed ``letter.issued``
event) and by e-mail to the unit's liaison (printed by the console backend). The office asks for
the full ledger as PDF, watches its bar reach the end and downloads it. The API's documentation
page loads from this server alone and lists the task endpoints; a token made on the token page
claims a task and reports on it, and the task page shows both.

Both processes open the test's own database (tests/shared_database.py): on SQLite a file copy
this test switches to, on PostgreSQL the test database itself.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import IO

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from supervision import clock, services
from supervision.models import Assignment, ChannelKind, Delivery, DeliveryStatus, Letter, OutboxEvent
from supervision.outbox.receiver import Receiver, webhook_expected_signature
from supervision.services.channels import channel_create
from supervision.services.preferences import preference_update
from tests.factories import draft_letter, issue_letter
from tests.notices import pdfs
from tests.servers import ROOT, start_daphne
from tests.shared_database import shared_database

pytestmark = [pytest.mark.browser, pytest.mark.every_database, pytest.mark.django_db(transaction=True)]

WECOM_KEY = "5f1c2d3e-9a8b-4c7d-8e6f-0a1b2c3d4e5f"
WEBHOOK_SECRET = "whsec-" + "r3ach" * 5
PASSWORD = "pw-browser-1"
LIAISON_EMAIL = "liaison_a@example.org"
# Ledger rows of the large letter (26 items to two units): more than a PDF drawn in the request.
LARGE_ITEMS = 26
EMAIL_END = "-" * 79  # the console backend's line after each message
WAIT = 30  # seconds any one thing may take to happen


def _secret_for(kind: str, ident: str) -> str | None:
    # The receiver checks what it can: the robot's key, and every webhook delivery's signature.
    return {"wecom": WECOM_KEY if ident == WECOM_KEY else None, "webhook": WEBHOOK_SECRET}.get(kind)


def _until(check: Callable[[], object], what: str, seconds: float = WAIT) -> object:
    """``check()``'s first true answer, polled; fails saying ``what`` did not happen."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        time.sleep(0.1)


@contextmanager
def _worker(env: dict[str, str]) -> Iterator[IO[bytes]]:
    """``manage.py db_worker`` as ``make run`` starts it, polling often; yields its output file."""
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay"]
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update({"DJANGO_SETTINGS_MODULE": "project.settings", "PYTHONUNBUFFERED": "1", **env})
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*command, "--interval", "0.2"], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _output(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def _emails(log: IO[bytes]) -> list[email.message.EmailMessage]:
    """The e-mails the console backend printed so far."""
    chunks = _output(log).split(EMAIL_END + "\n")[:-1]  # the last chunk is not a finished message
    found = []
    for chunk in chunks:
        start = chunk.find("Content-Type: ")  # a message begins with its headers; log lines come before
        if start >= 0:
            found.append(email.message_from_bytes(chunk[start:].encode(), policy=email.policy.default))
    return found


def _text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def scene(people) -> SimpleNamespace:
    """The world with a large issued letter (the ledger's bulk), a signed letter to unit A waiting
    to be issued, unit A's WeCom robot and the office's webhook, and unit A's liaison with an
    e-mail address and no quiet hours (the test runs at any hour, on any day)."""
    w = people
    issue_letter(w, items=LARGE_ITEMS, units=[w.unit_a, w.unit_b])
    letter = draft_letter(w, units=[w.unit_a])
    services.letter_sign(actor=w.director, letter=letter)
    # What happened before the channels existed is not what this test watches being delivered.
    OutboxEvent.objects.update(expanded_at=clock.now())
    # The server process knows only the real hashers (the tests hash with MD5 for speed).
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    for user in (w.clerk, w.liaison_a):
        user.password = hashed
        user.save(update_fields=["password"])
    preference_update(
        actor=w.liaison_a,
        email=True,
        events=["todo", "issued", "returned", "reminders"],
        digest=False,
        quiet_start=dt.time(0, 0),
        quiet_end=dt.time(0, 0),
        quiet_rest_days=False,
        email_address=LIAISON_EMAIL,
    )
    return SimpleNamespace(world=w, letter=letter)


@pytest.fixture
def running(scene, tmp_path) -> Iterator[SimpleNamespace]:
    """The receiver, the channels pointing at it, the server and the worker, on the shared data."""
    w = scene.world
    with Receiver(secret_for=_secret_for) as receiver, shared_database(tmp_path) as db_env:
        channel_create(
            actor=w.clerk,
            unit_id=w.unit_a.pk,
            kind=ChannelKind.WECOM,
            name="甲县整改工作群",
            url=f"{receiver.url}/wecom?key={WECOM_KEY}",
            quiet_hours=False,  # the test runs at any hour, on any day
        )
        channel_create(
            actor=w.clerk,
            unit_id=None,
            kind=ChannelKind.WEBHOOK,
            name="大数据平台",
            url=f"{receiver.url}/webhook",
            secret=WEBHOOK_SECRET,
        )
        env = {
            **db_env,
            "DEBUG": "1",
            "DB_POOL": "0",
            "SECRET_KEY": settings.SECRET_KEY,  # channel secrets are encrypted with it
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }
        with start_daphne(env=env, runserver=True) as (_server, url), _worker({**env, "SITE_URL": url}) as log:
            yield SimpleNamespace(**vars(scene), url=url, receiver=receiver, worker_log=log)


def _login(browser, url: str, user):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT * 1000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # every confirmation is answered yes
    page.goto(url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    return page


def _path(link: str) -> str:
    """The path of a link the API gave (absolute or not)."""
    return urllib.parse.urlsplit(link).path


def _api(url: str, token: str, path: str, data: dict | None = None) -> dict:
    """One API call with the token: a GET, or a POST of ``data`` as JSON."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url + path, data=body, method="POST" if body is not None else "GET")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=WAIT) as response:  # noqa: S310 (the local server)
        assert response.status == 200
        return json.loads(response.read())


def test_issuing_reaches_the_robot_the_webhook_and_e_mail_and_the_ledger_and_api_work(browser, running):
    s = running
    w, url, receiver = s.world, s.url, s.receiver

    # --- 1. The clerk issues the signed letter in the browser. -------------------------------------
    clerk = _login(browser, url, w.clerk)
    clerk.goto(f"{url}/letters/{s.letter.pk}/")
    clerk.get_by_role("button", name="Issue (印发)").click()
    clerk.locator(".sv-msg--success").filter(has_text="Issued to the units.").wait_for()
    letter = Letter.objects.get(pk=s.letter.pk)
    assert letter.number
    clerk.get_by_role("heading", name=re.compile(re.escape(letter.number))).wait_for()

    # The worker delivers it: one markdown message in unit A's group, one signed event to the
    # integration, one e-mail to the liaison. Once every delivery of the event is marked sent,
    # nothing more of it will come, so the counts below are final.
    issued = OutboxEvent.objects.get(name="letter.issued", letter=letter)
    _until(
        lambda: (
            Delivery.objects.filter(event=issued).count() == 3
            and not Delivery.objects.filter(event=issued).exclude(status=DeliveryStatus.SENT).exists()
        ),
        "the letter's three deliveries",
    )
    robot = receiver.delivered("wecom")
    assert len(robot) == 1, [m.text for m in robot]
    assert robot[0].verified and robot[0].data["msgtype"] == "markdown"
    assert letter.number in robot[0].text and "甲县" in robot[0].text
    assert f"{url}/letters/{letter.pk}/" in robot[0].text
    (event,) = [m for m in receiver.delivered("webhook") if m.data.get("event") == "letter.issued"]
    assert event.verified is True
    headers = event.headers
    assert headers["x-supervision-event"] == "letter.issued"
    expected = webhook_expected_signature(WEBHOOK_SECRET, headers["x-supervision-timestamp"], event.body)
    assert headers["x-supervision-signature"] == expected
    assert event.data["data"]["letter"] == letter.pk and event.data["data"]["units"] == [w.unit_a.pk]
    (mail,) = _emails(s.worker_log)
    assert mail["To"] == LIAISON_EMAIL
    assert letter.number in _text_of(mail)

    # --- 2. The full ledger as PDF, made by the worker while its page shows how far it got. -------
    rows = Assignment.objects.count()
    assert rows == 2 * LARGE_ITEMS + 1
    clerk.goto(f"{url}/documents/ledger/")
    clerk.get_by_role("button", name="Download PDF").click()
    clerk.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    expect(clerk.locator("h1")).to_contain_text(f"({rows} rows)")
    bar = clerk.locator("progress[data-job-bar]")
    bar.wait_for()
    download_link = clerk.get_by_role("link", name=re.compile("^Download "))
    download_link.wait_for()  # the page reloads itself once the job is done
    assert bar.get_attribute("value") == "100"
    with clerk.expect_download() as started:
        download_link.click()
    pdf = started.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdfs.text(pdf)
    assert "问题排查整改台账" in text
    assert "甲县人民政府" in text and "乙县人民政府" in text
    for n in (1, LARGE_ITEMS):
        assert f"问题描述{n}：" in text
    assert letter.number in text

    # --- 3. The liaison makes a token, reads the API's documentation and uses the token. ----------
    liaison = _login(browser, url, w.liaison_a)
    liaison.goto(f"{url}/api-tokens/")
    liaison.fill("input[name=name]", "县督查系统")
    liaison.select_option("select[name=scope]", "write")
    liaison.get_by_role("button", name="Create token").click()
    token = liaison.locator("code.sv-token").inner_text().strip()
    assert len(token) >= 20
    liaison.goto(f"{url}/api-tokens/")
    assert token not in liaison.content(), "the token is shown only once"
    expect(liaison.locator("table.sv-table")).to_contain_text("县督查系统")

    requested: list[str] = []
    errors: list[str] = []
    liaison.on("request", lambda r: requested.append(r.url))
    liaison.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    liaison.get_by_role("link", name="API documentation").click()
    liaison.wait_for_url(f"{url}/api/docs/")
    paths = liaison.locator(".opblock-summary-path")
    expect(paths.filter(has_text="/api/assignments/{id}/claim/")).to_have_count(1)
    # Every endpoint of the schema, with the task's: Swagger UI breaks long paths with zero-width spaces.
    schema = _api(url, token, "/api/schema/?format=json")
    shown = {p.replace("\u200b", "").strip() for p in paths.all_inner_texts()}
    assert shown == set(schema["paths"])
    assert {"/api/assignments/", "/api/assignments/{id}/", "/api/assignments/{id}/report_progress/"} <= shown
    assert any(r.startswith(f"{url}/api/schema/") for r in requested)
    elsewhere = [r for r in requested if not r.startswith(url + "/") and not r.startswith(("data:", "blob:"))]
    assert not elsewhere and not errors, (elsewhere, errors)

    task = Assignment.objects.get(letter=letter, unit=w.unit_a)
    found = _api(url, token, f"/api/assignments/{task.pk}/")
    claim = next(a for a in found["actions"] if a["key"] == "claim")
    claimed = _api(url, token, _path(claim["url"]), {"responsible_person": "王科长"})
    assert claimed["assignment"]["state"] == "accepted"
    report = next(a for a in claimed["assignment"]["actions"] if a["key"] == "report_progress")
    reported = _api(url, token, _path(report["url"]), {"text": "已完成排查，正在施工"})
    assert reported["assignment"]["state"] == "in_progress"

    liaison.goto(f"{url}/tasks/{task.pk}/")
    expect(liaison.locator("main")).to_contain_text("responsible person: 王科长")
    expect(liaison.locator("main")).to_contain_text("已完成排查，正在施工")
    # The integration hears of the claim the token made, like of any other.
    _until(
        lambda: any(m.data.get("event") == "assignment.claimed" for m in receiver.delivered("webhook")),
        "the claim's webhook event",
    )
    assert len(receiver.delivered("wecom")) == 1, "a claim is not for the work group's robot"
    assert "Traceback" not in _output(s.worker_log)
