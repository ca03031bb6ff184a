"""Messages leave through every kind of channel, in the providers' formats, signed; a failing
receiver is retried with growing waits, then the failure shows; secrets never show."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.core import mail

from supervision import clock
from supervision.crypto import encrypt
from supervision.models import Channel, ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent
from supervision.outbox.payload import event_body
from supervision.outbox.senders.webhook import webhook_signature
from supervision.services.reminders import assignment_remind
from tests.factories import issue_letter
from tests.outbox.conftest import SECRETS, WEBHOOK_SECRET, deliveries_of, dispatch, fresh, latest


def test_an_issued_letter_reaches_each_channel_once_in_its_format(channels):
    w, receiver = channels.world, channels.receiver
    letter = issue_letter(w)
    event = latest("letter.issued")
    # Two steps, two notifications, two events: signed (for the drafter), issued (for the units).
    assert list(OutboxEvent.objects.filter(letter=letter).values_list("name", flat=True)) == [
        "letter.issued",
        "letter.signed",
    ]

    result = dispatch()

    # The office's webhook carries both; the robots and e-mails only the issue.
    assert result.sent == 8 and result.failed == 0
    by_kind = deliveries_of(event)
    assert {k: len(v) for k, v in by_kind.items()} == {"wecom": 1, "dingtalk": 1, "webhook": 1, "email": 4}
    assert all(d.status == DeliveryStatus.SENT and d.attempts == 1 for v in by_kind.values() for d in v)
    # The event now names the units it went to (the transition did not read them).
    event.refresh_from_db()
    assert event.unit_ids == sorted([w.unit_a.pk, w.unit_b.pk])

    (wecom,) = receiver.delivered("wecom")
    assert wecom.verified and wecom.data["msgtype"] == "markdown"
    assert "Letter issued" in wecom.text and letter.number in wecom.text and "/letters/" in wecom.text
    (ding,) = receiver.delivered("dingtalk")
    assert ding.verified, "the 加签 signature and timestamp check out"
    assert ding.data["markdown"]["title"] == "Letter issued" and letter.number in ding.text
    # A batch is sent from several threads: the two arrive in either order.
    signed, hook = sorted(receiver.delivered("webhook"), key=lambda m: m.data["event"] != "letter.signed")
    assert signed.data["event"] == "letter.signed"
    assert hook.verified
    assert hook.headers["x-supervision-event"] == "letter.issued"
    assert hook.delivery == str(by_kind["webhook"][0].uuid)
    stamp = hook.headers["x-supervision-timestamp"]
    assert hook.headers["x-supervision-signature"] == webhook_signature(WEBHOOK_SECRET, stamp, hook.body)
    assert json.loads(hook.body) == json.loads(json.dumps(event_body(event)))

    assert sorted(m.to[0] for m in mail.outbox) == [
        "leader_a@example.org",
        "leader_b@example.org",
        "liaison_a@example.org",
        "liaison_b@example.org",
    ]
    first = mail.outbox[0]
    sent_to = Delivery.objects.get(event=event, user__email=first.to[0])
    assert first.extra_headers["Message-ID"] == f"<{sent_to.uuid}@127.0.0.1>"
    assert first.subject.startswith("Letter issued") and letter.number in first.body
    assert "http://" in first.body and first.alternatives[0][1] == "text/html"


def test_a_unit_event_reaches_only_that_units_robots(channels):
    w, receiver = channels.world, channels.receiver
    issue_letter(w, units=[w.unit_b])
    dispatch()
    # Unit B has no robot: only the office's webhook and B's people's e-mail carry it.
    assert receiver.delivered("wecom") == [] and receiver.delivered("dingtalk") == []
    assert len(receiver.delivered("webhook")) == 2 and len(mail.outbox) == 2


def test_a_receiver_failing_three_times_gets_the_message_once_on_the_fourth_try(channels, morning):
    w, receiver = channels.world, channels.receiver
    issue_letter(w, units=[w.unit_b])
    OutboxEvent.objects.exclude(name="letter.issued").delete()
    receiver.fail(3)
    at = morning
    waits = []
    for _ in range(4):
        dispatch(at)
        d = Delivery.objects.get(channel=channels.webhook)
        if d.status == DeliveryStatus.SENT:
            break
        waits.append((d.due_at - at).total_seconds())
        at = d.due_at
    d = Delivery.objects.get(channel=channels.webhook)
    assert d.status == DeliveryStatus.SENT and d.attempts == 4
    assert waits == [30, 60, 120], "the waits double from OUTBOX_BACKOFF_SECONDS"
    codes = list(DeliveryAttempt.objects.filter(delivery=d).order_by("id").values_list("status_code", "ok"))
    assert codes == [(500, False), (500, False), (500, False), (200, True)]
    assert len(receiver.delivered("webhook")) == 1
    assert fresh(channels.webhook).last_ok_at is not None and fresh(channels.webhook).last_error == ""


def test_a_receiver_that_is_down_fails_after_the_last_try_and_the_channel_shows_it(channels, morning, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    w, receiver = channels.world, channels.receiver
    receiver.stop()
    issue_letter(w, units=[w.unit_a])
    OutboxEvent.objects.exclude(name="letter.issued").delete()
    at = morning
    for _ in range(3):
        dispatch(at)
        at += dt.timedelta(hours=1)
    for channel in (channels.wecom, channels.dingtalk, channels.webhook):
        d = Delivery.objects.get(channel=channel)
        assert d.status == DeliveryStatus.FAILED and d.attempts == 3
        assert "refused" in d.last_error.lower()
        assert fresh(channel).last_error == d.last_error and fresh(channel).last_ok_at is None
    # Nothing is due any more: the next run sends nothing.
    assert dispatch(at + dt.timedelta(days=1)).sent == 0


def test_a_robot_error_code_is_a_failure_retried_a_minute_later(channels, morning):
    w, receiver = channels.world, channels.receiver
    issue_letter(w, units=[w.unit_a])
    receiver.refuse(1, errcode=45009)  # the first robot asked answers "too many messages"
    dispatch(morning)
    failed = Delivery.objects.filter(kind__in=[ChannelKind.WECOM, ChannelKind.DINGTALK], status=DeliveryStatus.PENDING)
    (d,) = failed
    assert "errcode 45009" in d.last_error and (d.due_at - morning) == dt.timedelta(minutes=1)
    dispatch(d.due_at)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.attempts == 2


def test_secrets_never_show_in_attempts_channels_or_logs(channels, morning, caplog, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    w, receiver = channels.world, channels.receiver
    caplog.set_level(logging.DEBUG)
    issue_letter(w, units=[w.unit_a])
    # The robots answer with an error that echoes the address they were called at, key included
    # ("system busy": retried, unlike a refusal of the request itself).
    receiver.refuse(2, errcode=-1)
    dispatch(morning)
    receiver.stop()  # then they are gone altogether
    dispatch(morning + dt.timedelta(hours=1))
    errors = [
        *DeliveryAttempt.objects.values_list("error", flat=True),
        *Delivery.objects.values_list("last_error", flat=True),
    ]
    errors += [fresh(c).last_error for c in (channels.wecom, channels.dingtalk, channels.webhook)]
    assert any("errcode -1" in e for e in errors) and any("refused" in e.lower() for e in errors)
    for secret in SECRETS:
        assert not any(secret in e for e in errors)
        assert secret not in caplog.text
    assert "access_token=" not in " ".join(errors) and "key=" not in " ".join(errors)


def test_a_second_expansion_writes_nothing_more(channels):
    from supervision.outbox.expand import events_expand

    w = channels.world
    issue_letter(w)
    assert events_expand(now=clock.now()) == 2
    before = Delivery.objects.count()
    OutboxEvent.objects.update(expanded_at=None)  # as if a second worker had read them at the same time
    assert events_expand(now=clock.now()) == 2
    assert Delivery.objects.count() == before == 8


def test_an_urgent_reminder_with_line_breaks_arrives_by_email_on_the_first_try(channels, assignment_a):
    # A mail header cannot hold a line break; the reminder's own words often do.
    w = channels.world
    assignment_remind(actor=w.clerk, assignment=assignment_a, text="请今天下班前报送进展。\n逾期将予以通报。")
    dispatch()
    mails = Delivery.objects.filter(event=latest("assignment.reminded"), kind=ChannelKind.EMAIL)
    assert {(d.status, d.attempts, d.last_error) for d in mails} == {(DeliveryStatus.SENT, 1, "")}
    sent = [m for m in mail.outbox if "逾期将予以通报" in m.subject]
    assert len(sent) == 2
    assert all("\n" not in m.subject and "报送进展。 逾期" in m.subject for m in sent)
    assert "请今天下班前报送进展。\n逾期将予以通报。" in sent[0].body, "the body keeps the line break"


def test_a_request_refused_for_good_fails_at_once_and_a_passing_refusal_is_retried(channels, morning):
    w, receiver = channels.world, channels.receiver
    # The WeCom robot does not know its key (errcode 93000); the webhook's address is gone (404).
    Channel.objects.filter(pk=channels.wecom.pk).update(key_encrypted=encrypt("a-key-nobody-knows"))
    Channel.objects.filter(pk=channels.webhook.pk).update(url=f"{receiver.url}/gone")
    issue_letter(w, units=[w.unit_a])
    OutboxEvent.objects.exclude(name="letter.issued").delete()
    dispatch(morning)
    by_channel = {d.channel_id: d for d in Delivery.objects.filter(channel__isnull=False)}
    for answered, channel in (("404", channels.webhook), ("errcode 93000", channels.wecom)):
        d = by_channel[channel.pk]
        assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 1) and answered in d.last_error
        assert answered in fresh(channel).last_error, "the channel page shows why"
    assert by_channel[channels.dingtalk.pk].status == DeliveryStatus.SENT
    # "Too many requests" is worth another try, a minute later or more.
    Channel.objects.filter(pk=channels.webhook.pk).update(url=f"{receiver.url}/webhook")
    issue_letter(w, units=[w.unit_b])
    OutboxEvent.objects.exclude(name="letter.issued").filter(expanded_at__isnull=True).delete()
    receiver.fail(1, status=429)
    dispatch(morning)
    d = Delivery.objects.get(channel=channels.webhook, event=latest("letter.issued"))
    assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 1) and "429" in d.last_error


def test_an_email_the_mail_library_refuses_fails_at_once(channels, morning):
    w = channels.world
    w.liaison_b.email = "liaison_b@example.org\nBcc: someone@example.org"  # stored before validation existed
    w.liaison_b.save(update_fields=["email"])
    issue_letter(w, units=[w.unit_b])
    dispatch(morning)
    d = Delivery.objects.get(event=latest("letter.issued"), user=w.liaison_b)
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 1) and d.last_error
    assert [m.to for m in mail.outbox] == [["leader_b@example.org"]]
