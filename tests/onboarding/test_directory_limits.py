"""The directory's upload is allowed the importer's size (10 MB, as its form says), by the
application and by the shipped nginx configuration alike; its other forms stay small."""

from __future__ import annotations

import pytest

from notices.workbook import MAX_FILE_BYTES
from project import limits
from tests.test_deploy_kit import MIB, https_server, location_for, size


def test_the_upload_takes_the_importers_size_and_the_confirm_a_forms():
    assert limits.body_limit("/directory/") == limits.import_limit() > MAX_FILE_BYTES
    assert limits.body_limit("/directory/confirm/") == limits.form_limit()


@pytest.mark.parametrize("path", ["/directory/", "/directory/confirm/", "/directory/accounts.pdf"])
def test_nginx_lets_through_what_the_application_accepts(path):
    server = https_server()
    cap = size(location_for(server, path).value("client_max_body_size") or server.value("client_max_body_size"))
    limit = limits.body_limit(path)
    assert limit <= cap < limit + MIB, (path, cap, limit)
