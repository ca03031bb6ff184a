"""Every endpoint of the schema, fed generated input by schemathesis (valid and invalid bodies, query
strings and ids, real objects' ids among them) as an office clerk, a director and a unit's
liaison: whatever comes in, the answer is never a 500. Run on PostgreSQL too: a NUL in a text
only fails there."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests.api.conftest import token_for
from tests.helpers import drive

# Examples per operation: valid input (half of it on a real object, so that the steps' own
# refusals are reached, not only "not found"), and invalid input (the serializers' refusals).
# Enough to reach every refusal path of a step, few enough to keep the whole run to seconds.
VALID_EXAMPLES = 10
INVALID_EXAMPLES = 4
# Invalid input is refused by the serializers before any service runs, the same way for every
# step taking the same form: one step per form (inputs.NEEDS) is tried with it, with every read.
INVALID_FORMS = {"claim", "unclaim", "reject", "report_progress", "reassign", "request_extension", "send", "items"}


@pytest.fixture(scope="module")
def api_schema(django_db_blocker):
    """The served schema, loaded once (it needs no database)."""
    with django_db_blocker.unblock():
        raw = Client().get("/api/schema/", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(raw.json())
    schema.app = _in_the_test_transaction(get_wsgi_application())
    return schema


def _in_the_test_transaction(app):
    """The project's WSGI application as Django's test client runs it: the connection is not
    closed at the start and end of each request, so the requests see (and stay inside) the
    test's transaction, and each test's writes are rolled back with it."""

    def wsgi(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = app(environ, start_response)
            try:
                body = list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            return body
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return wsgi


def _operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_no_endpoint_answers_500_whatever_it_is_sent(world, api_schema):
    case = drive(world, "ext_awaiting_signoff")
    # A claimed task with an extension request waiting: most steps have something to refuse.
    ids = {"assignment": case.assignment.pk, "extension": case.extension.pk, "letter": case.assignment.letter_id}
    tokens = [f"Bearer {token_for(getattr(world, who))}" for who in ("clerk", "director", "liaison_a")]
    operations = _operations(api_schema)
    assert len(operations) >= 45

    for operation in operations:
        subject = operation.path.split("/")[2].rstrip("s")
        valid = [operation.as_strategy(GenerationMode.POSITIVE)]
        if "{id}" in operation.path and subject in ids:
            valid.append(operation.as_strategy(path_parameters={"id": ids[subject]}))
        _fuzz(st.one_of(*valid), tokens, VALID_EXAMPLES)
        form = operation.path.rsplit("/", 2)[-2]
        if operation.method == "get" or form in INVALID_FORMS:
            _fuzz(operation.as_strategy(GenerationMode.NEGATIVE), tokens, INVALID_EXAMPLES)


def _fuzz(strategy, tokens: list[str], examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(generated=strategy, token=st.sampled_from(tokens))
    def run(generated, token):
        generated.call_and_validate(
            headers={"Authorization": token, "Accept-Language": "en"}, checks=[not_a_server_error]
        )

    run()
