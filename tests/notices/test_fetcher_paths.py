"""The PDF fetcher judges a static path itself: plain segments only, and the file must lie
inside a static directory once symlinks are followed. The finders are not trusted to refuse
what a careless join would let through."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders

from notices import fetcher

BASE = fetcher.BASE_URL  # "https://documents.invalid/"


@pytest.mark.parametrize(
    "path",
    [
        "static//etc/passwd",  # an absolute path after the prefix
        "static///etc/passwd",
        "static/admin//css/base.css",  # an empty segment
        "static/./admin/css/base.css",
        "static/../static/admin/css/base.css",
        "static/admin/../admin/css/base.css",
        "static/..",
        "static/%2e%2e/%2e%2e/etc/passwd",  # encoded dots
        "static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",  # encoded dots and slashes
        "static/admin/css/..%2f..%2f..%2fstatic%2fadmin%2fcss%2fbase.css",
        "static/%252e%252e/%252e%252e/etc/passwd",  # encoded twice
        "static/admin\\css\\base.css",  # backslashes
        "static/admin%5ccss%5cbase.css",
        "static/..%5c..%5cetc%5cpasswd",
        "static/admin/css/base.css%00.png",  # NUL
        "static/admin/css/base.css%00",
        "static/admin/css/%0abase.css",  # another control character
        "static/admin/css/base.css?x=1",
        "static/admin/css/base.css#x",
        "static/admin/css",  # a directory, not a file
    ],
)
def test_anything_but_a_plain_path_to_a_static_file_is_refused(path):
    with pytest.raises(fetcher.Refused):
        fetcher.static_path(BASE + path)


def test_an_absolute_path_is_refused_before_any_finder_sees_it(monkeypatch):
    asked: list[str] = []
    real_find = finders.find

    def find(path, *args, **kwargs):
        asked.append(path)
        return real_find(path, *args, **kwargs)

    monkeypatch.setattr(finders, "find", find)
    for path in ("static//etc/passwd", "static/%2e%2e/etc/passwd", "static/a\\b"):
        with pytest.raises(fetcher.Refused):
            fetcher.static_path(BASE + path)
    assert asked == []


def test_a_static_file_is_still_served():
    found = fetcher.static_path(BASE + "static/admin/css/base.css")
    assert found.name == "base.css" and found.is_file()
    assert any(found.is_relative_to(root) for root in fetcher.static_roots())


def test_a_link_out_of_a_static_directory_is_refused(tmp_path, settings):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("never in a document")
    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.css").write_text("body{}")
    (static / "secret.css").symlink_to(secret)
    (static / "up").symlink_to(outside, target_is_directory=True)
    settings.STATICFILES_DIRS = [static]

    assert fetcher.static_path(BASE + "static/ok.css").read_text() == "body{}"
    for path in ("static/secret.css", "static/up/secret.txt"):
        with pytest.raises(fetcher.Refused):
            fetcher.StaticOnlyFetcher().fetch(BASE + path)
