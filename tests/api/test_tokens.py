"""Personal API tokens: created on one's own page and shown once, stored as a hash, listed by their
prefix, revoked by their owner only; a revoked, expired or unknown token is refused with 401, and
a read-only token reads but never writes."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse

from supervision import clock
from supervision.models import ApiToken, AuditEvent, TokenScope, User
from supervision.services.api_tokens import MAX_LIVE_TOKENS, token_create, token_hash, token_revoke
from supervision.services.errors import InvalidInput, InvalidTransition, NotAllowed
from tests.api.conftest import ApiClient, token_for
from tests.factories import signed_in
from tests.helpers import snapshot

# --- the services ---------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_and_prefix_are_kept(world):
    token, raw = token_create(actor=world.liaison_a, name=" 县政务系统 ", scope=TokenScope.WRITE)
    assert raw.startswith("sv_") and len(raw) > 40
    token.refresh_from_db()
    assert token.name == "县政务系统"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix) and len(token.prefix) < 12
    assert raw not in str(list(ApiToken.objects.values()))
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == world.liaison_a and raw not in str(event.data)


@pytest.mark.parametrize(
    ("name", "scope", "days", "field"),
    [("", "write", None, "name"), ("x" * 61, "write", None, "name"), ("ok", "admin", None, "scope"),
     ("ok", "read", -1, "expires_at"), ("ok", "read", 800, "expires_at")],
)  # fmt: skip
def test_a_bad_token_form_is_refused_and_creates_nothing(world, name, scope, days, field):
    expires = clock.now() + dt.timedelta(days=days) if days is not None else None
    with pytest.raises(InvalidInput) as refused:
        token_create(actor=world.liaison_a, name=name, scope=scope, expires_at=expires)
    assert refused.value.field == field
    assert not ApiToken.objects.exists()


def test_a_person_holds_a_bounded_number_of_live_tokens(world):
    for n in range(MAX_LIVE_TOKENS):
        token_create(actor=world.clerk, name=f"t{n}", scope="read")
    with pytest.raises(InvalidInput):
        token_create(actor=world.clerk, name="one too many", scope="read")
    token_revoke(actor=world.clerk, token_id=ApiToken.objects.first().pk)
    token_create(actor=world.clerk, name="after a revocation", scope="read")


def test_only_the_owner_revokes_a_token_and_only_once(world):
    token, _raw = token_create(actor=world.liaison_a, name="mine", scope="write")
    for other in (world.leader_a, world.director, world.outsider):
        with pytest.raises(NotAllowed):
            token_revoke(actor=other, token_id=token.pk)
    token_revoke(actor=world.liaison_a, token_id=token.pk)
    with pytest.raises(InvalidTransition):
        token_revoke(actor=world.liaison_a, token_id=token.pk)
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=world.liaison_a).count() == 1


# --- the token at the door ------------------------------------------------------------------------


def test_a_revoked_expired_or_unknown_token_is_refused_with_401(world):
    raw = token_for(world.liaison_a)
    assert ApiClient(raw).get("/api/me/").status_code == 200
    token_revoke(actor=world.liaison_a, token_id=ApiToken.objects.get().pk)
    expired = token_for(world.liaison_a, expires_at=clock.now() + dt.timedelta(days=1))
    ApiToken.objects.filter(key_hash=token_hash(expired)).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    of_inactive = token_for(world.director)
    User.objects.filter(pk=world.director.pk).update(is_active=False)
    for bad in (raw, expired, of_inactive, "sv_" + "x" * 43, "not-ours", "sv_" + "x" * 200):
        r = ApiClient(bad).get("/api/assignments/")
        assert r.status_code == 401, bad
        assert r["WWW-Authenticate"] == "Bearer"
        assert set(r.json()) >= {"code", "message"}
    r = ApiClient(expired).get("/api/me/")
    assert r.json()["message"] == "The token has expired."
    # No token at all: 401 too, never the sign-in page.
    r = ApiClient(None).get("/api/assignments/")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_a_read_only_token_reads_and_cannot_write(world, letter, assignment_a, api):
    reader = api("liaison_a", scope=TokenScope.READ)
    assert reader.get(f"/api/assignments/{assignment_a.pk}/").status_code == 200
    before = snapshot()
    for url, body in (
        (f"/api/assignments/{assignment_a.pk}/claim/", {}),
        (f"/api/assignments/{assignment_a.pk}/report_progress/", {"text": "进展"}),
        ("/api/letters/", {"kind": "supervision", "title": "t"}),
    ):
        r = reader.post(url, body)
        assert r.status_code == 403
        assert r.json() == {"code": "permission_denied", "message": "This token may only read."}
    assert snapshot() == before


def test_the_last_use_is_recorded(world):
    raw = token_for(world.liaison_a)
    assert ApiToken.objects.get().last_used_at is None
    ApiClient(raw).get("/api/me/")
    assert ApiToken.objects.get().last_used_at is not None


# --- the page -------------------------------------------------------------------------------------


def test_the_token_page_creates_shows_once_lists_and_revokes(client, world):
    signed_in(client, world.liaison_a)
    page = reverse("api_tokens:list")
    assert client.get(page).status_code == 200
    r = client.post(page, {"name": "县办公系统", "scope": "write", "expires_on": ""})
    assert r.status_code == 200
    raw = r.context["raw"]
    assert raw.startswith("sv_") and raw in r.content.decode()
    assert "no-store" in r["Cache-Control"]
    # Listed by its prefix from now on, never again in full.
    listed = client.get(page).content.decode()
    token = ApiToken.objects.get()
    assert token.prefix in listed and raw not in listed and "县办公系统" in listed
    assert ApiClient(raw).get("/api/me/").json()["username"] == "liaison_a"
    # Someone else's token cannot be revoked from their page.
    signed_in(client, world.liaison_b)
    client.post(reverse("api_tokens:revoke", args=[token.pk]))
    assert ApiClient(raw).get("/api/me/").status_code == 200
    signed_in(client, world.liaison_a)
    r = client.post(reverse("api_tokens:revoke", args=[token.pk]), follow=True)
    assert "is revoked" in r.content.decode()
    assert ApiClient(raw).get("/api/me/").status_code == 401


def test_the_token_page_refuses_a_bad_form_on_the_page(client, world):
    signed_in(client, world.liaison_a)
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    r = client.post(reverse("api_tokens:list"), {"name": "x", "scope": "read", "expires_on": yesterday})
    assert r.status_code == 400
    assert "The expiry date must be in the future." in r.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_expiring_on_a_day_works_through_that_day(client, world):
    signed_in(client, world.liaison_a)
    today = clock.today().isoformat()
    r = client.post(reverse("api_tokens:list"), {"name": "today", "scope": "read", "expires_on": today})
    assert r.status_code == 200
    assert ApiClient(r.context["raw"]).get("/api/me/").status_code == 200
