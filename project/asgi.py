"""ASGI entry point: HTTP through Django, websockets through channels.

Django is initialised before anything imports models (the websocket routing does).
HTTP bodies are limited per route before anything buffers them (project/limits.py); websocket
handshakes are accepted only from this site's own pages (project/origin.py).
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from project.limits import BodyLimitMiddleware, guard_daphne  # noqa: E402
from project.origin import SameOriginValidator  # noqa: E402
from project.routing import websocket_urlpatterns  # noqa: E402

# Under daphne, Twisted has buffered a body before the application sees it: refuse it there.
guard_daphne()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
