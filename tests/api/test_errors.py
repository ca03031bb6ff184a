"""Every API error is JSON with a stable code and a sentence in the caller's language (Accept-Language):
refusals of the services, bad input, unknown paths and methods, bad cursors, and too many
requests from one token (429, counted per token)."""

from __future__ import annotations

import pytest
from rest_framework.settings import api_settings

from supervision.models import TokenScope
from tests.api.conftest import ApiClient, token_for


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.content
    assert r["Content-Type"] == "application/json"
    body = r.json()
    assert body["code"] == code and body["message"]
    return body


def test_a_service_refusal_comes_back_with_its_code_in_the_caller_s_language(world, letter, assignment_a):
    raw = token_for(world.liaison_b)
    url = f"/api/assignments/{assignment_a.pk}/claim/"
    # B cannot see A's task at all: not found, in both languages.
    assert _error(ApiClient(raw).post(url, {}), 404, "not_found")["message"] == "Not found."
    assert ApiClient(raw, "zh-hans").post(url, {}).json()["message"] != "Not found."
    leader = token_for(world.leader_a)
    body = _error(ApiClient(leader).post(url, {}), 403, "not_allowed")
    assert body["message"] == "You need the role Liaison in this unit to do this."
    zh = _error(ApiClient(leader, "zh-hans").post(url, {}), 403, "not_allowed")
    assert zh["message"] != body["message"] and "联络员" in zh["message"]
    liaison = token_for(world.liaison_a)
    ApiClient(liaison).post(url, {})
    _error(ApiClient(liaison).post(url, {}), 409, "already_claimed")


def test_bad_input_names_the_fields(world, letter, assignment_a):
    client = ApiClient(token_for(world.liaison_a))
    client.post(f"/api/assignments/{assignment_a.pk}/claim/", {})
    url = f"/api/assignments/{assignment_a.pk}/request_extension/"
    body = _error(client.post(url, {"deadline": "31/12/2030"}), 400, "invalid")
    assert set(body["fields"]) == {"deadline"}
    body = _error(client.post(url, {"deadline": "2020-01-01", "reason": "来不及"}), 400, "invalid_input")
    assert set(body["fields"]) == {"requested_deadline"}
    body = _error(client.post(url, ["not", "an", "object"]), 400, "invalid")
    _error(client.get("/api/assignments/", {"state": "nonsense", "colour": "red"}), 400, "invalid")
    body = client.get("/api/assignments/", {"state": "nonsense", "colour": "red"}).json()
    assert set(body["fields"]) == {"state", "colour"}


def test_unknown_paths_methods_and_cursors_are_json_too(world, letter):
    client = ApiClient(token_for(world.clerk))
    _error(client.get("/api/assignments/999999/"), 404, "not_found")
    _error(client.get(f"/api/assignments/{2**63}/"), 404, "not_found")
    _error(client.client.delete("/api/letters/", **client.headers), 405, "method_not_allowed")
    _error(client.get("/api/letters/", {"cursor": "bm90IG91cnM"}), 400, "invalid")
    _error(client.get("/api/letters/", {"size": "0"}), 400, "invalid")
    _error(client.get("/api/events/", {"cursor": "WyJ4IiwgMV0"}), 400, "invalid")


def test_too_many_requests_from_one_token_are_refused_with_429(world, settings, monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "token", "3/min")
    first, second = token_for(world.clerk, TokenScope.READ), token_for(world.clerk, TokenScope.READ)
    for _n in range(3):
        assert ApiClient(first).get("/api/me/").status_code == 200
    r = ApiClient(first).get("/api/me/")
    body = _error(r, 429, "throttled")
    assert int(r["Retry-After"]) > 0
    assert "throttled" in body["message"].lower() or "request" in body["message"].lower()
    assert ApiClient(first, "zh-hans").get("/api/me/").json()["message"] != body["message"]
    # Counted per token: the owner's other token still works.
    assert ApiClient(second).get("/api/me/").status_code == 200


@pytest.mark.parametrize("path", ["/api/assignments/", "/api/docs/", "/api/schema/"])
def test_the_api_never_redirects_to_the_sign_in_page(client, db, path):
    r = client.get(path)
    assert r.status_code in (200, 401)
    assert "login" not in r.get("Location", "")
