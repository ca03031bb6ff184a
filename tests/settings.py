"""The settings the suite runs with: the project's own, in development mode.

The project's settings default to production (``DEBUG`` off), which refuses to start without a
strong ``SECRET_KEY`` and an explicit host list. The suite runs in development mode, as
``make run`` does. It is set in the environment, not on the settings object, so every server or
command the tests start as a separate process inherits it too; a value given in the shell wins.
pytest-django imports this module (pyproject's DJANGO_SETTINGS_MODULE) before anything else reads
the settings, whichever way pytest is started.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")

from project.settings import *  # noqa: E402, F403
