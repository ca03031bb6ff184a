"""System check: every viewflow flow of this project locks its process row.

viewflow's default ``lock_impl`` is no lock at all: two users completing tasks of the same
process at once can both succeed. Any Flow defined here must use ``select_for_update_lock``.
"""

from __future__ import annotations

from django.core import checks
from django.utils.translation import gettext_lazy as _


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def project_flows() -> list[type]:
    from viewflow.workflow.flow import Flow

    project_packages = ("project.", "workflows.", "supervision.", "notices.")
    return [flow for flow in _all_subclasses(Flow) if flow.__module__.startswith(project_packages)]


@checks.register()
def check_flow_locks(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from viewflow.workflow.lock import SelectForUpdateLock

    errors = []
    for flow in project_flows():
        if not isinstance(flow.lock_impl, SelectForUpdateLock):
            errors.append(
                checks.Error(
                    _("%(flow)s does not lock its process row.") % {"flow": flow.__qualname__},
                    hint=_("Set lock_impl = viewflow.workflow.lock.select_for_update_lock."),
                    obj=flow,
                    id="workflows.E001",
                )
            )
    return errors
