"""The OpenAPI schema and its documentation page: a valid OpenAPI 3 document naming every endpoint,
every posted step of the step table among them; the page works offline under the
Content-Security-Policy (script-src 'self'): everything it loads is served by us."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from drf_spectacular.validation import validate_schema

from supervision.services import steps
from workflows.api import calls, inputs
from workflows.tasks.forms import FilterForm


def _schema(client: Client, language: str = "en") -> dict:
    r = client.get(reverse("api:schema"), HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 200
    return yaml.safe_load(r.content)


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    """The schema as an English-speaking integration reads it, built once for the module."""
    with django_db_blocker.unblock():
        return _schema(Client())


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document
    assert schema["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["token"]["description"],
    }


def test_every_posted_step_of_the_table_has_an_endpoint(schema):
    """A step added to the table without a service call here fails this test, not a user."""
    paths = schema["paths"]
    for subject in ("assignment", "extension"):
        posted = {s.key for s in steps.steps_of(subject) if not s.automatic}
        assert set(calls.by_key(subject)) == posted, subject
        for key in posted:
            assert "post" in paths[f"/api/{subject}s/{{id}}/{key}/"], key
    letter_steps = {s.key for s in steps.steps_of("letter") if not s.automatic} - {"edit"}
    assert set(calls.by_key("letter")) == letter_steps
    for key in letter_steps:
        assert "post" in paths[f"/api/letters/{{id}}/{key}/"], key
    # Every step's form has an input, and every call is reachable.
    for subject in ("assignment", "extension", "letter"):
        for step in calls.by_key(subject).values():
            assert step.needs in inputs.NEEDS


def test_the_task_list_takes_every_filter_of_the_task_list_page(schema):
    params = {p["name"] for p in schema["paths"]["/api/assignments/"]["get"]["parameters"]}
    assert set(FilterForm.base_fields) <= params
    assert {"queue", "size", "cursor"} <= params


def test_the_schema_follows_the_caller_s_language(schema, client, db):
    claim = "/api/assignments/{id}/claim/"
    assert schema["paths"][claim]["post"]["summary"] == "Claim"
    assert _schema(client, "zh-hans")["paths"][claim]["post"]["summary"] == "签收"


def test_the_documentation_page_loads_only_our_own_files(client, db):
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    # No inline script: every <script> has a src, and it is ours.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs
    for ref in refs:
        assert not re.match(r"^(https?:)?//", ref), ref
        if ref.startswith("/static/"):
            assert finders.find(ref.removeprefix("/static/").split("?")[0]), ref
        else:
            script = client.get(ref.replace("&amp;", "&"))
            assert script.status_code == 200, ref
            assert script["Content-Type"].startswith("application/javascript")
            body = script.content.decode()
            assert "http://" not in body and "https://" not in body
            assert "/api/schema/" in body
