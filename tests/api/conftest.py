"""Fixtures of the API tests: a client carrying a personal token (read or write) for any person of
the world, and a fresh throttle count for every test."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from supervision.models import TokenScope, User
from supervision.services.api_tokens import token_create


class ApiClient:
    """A test client sending ``Authorization: Bearer <token>`` and JSON, reading JSON back."""

    def __init__(self, raw: str | None, language: str = "en") -> None:
        self.raw = raw
        self.client = Client(raise_request_exception=False)
        self.headers: dict[str, str] = {"HTTP_ACCEPT_LANGUAGE": language}
        if raw is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    def get(self, path: str, data: dict | None = None, **extra: Any):
        return self.client.get(path, data or {}, **self.headers, **extra)

    def post(self, path: str, data: Any = None, **extra: Any):
        return self.client.post(
            path, json.dumps(data if data is not None else {}), content_type="application/json", **self.headers, **extra
        )

    def post_multipart(self, path: str, data: dict, **extra: Any):
        return self.client.post(path, data, **self.headers, **extra)

    def patch(self, path: str, data: Any, **extra: Any):
        return self.client.patch(path, json.dumps(data), content_type="application/json", **self.headers, **extra)


def token_for(user: User, scope: str = TokenScope.WRITE, **kwargs: Any) -> str:
    _token, raw = token_create(actor=user, name="test", scope=scope, **kwargs)
    return raw


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The request counts live in the cache, keyed by token id: ids repeat across tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(world) -> Callable[..., ApiClient]:
    """``api("liaison_a")`` or ``api(user, scope="read")``: a client with a new token of theirs."""

    def make(who: str | User, scope: str = TokenScope.WRITE, language: str = "en") -> ApiClient:
        user = getattr(world, who) if isinstance(who, str) else who
        return ApiClient(token_for(user, scope), language)

    return make
