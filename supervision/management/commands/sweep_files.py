"""``manage.py sweep_files``: delete stored evidence and attachment files that no row refers to
and that are older than a day, unfinished writes older than half an hour, and unused files whose
bytes do not match their checksum name (``tick`` does the same whenever it closes a cycle)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from supervision.services import stored_files_sweep


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Delete stored files that no evidence or attachment refers to, once older than a day.")

    def handle(self, *args: Any, **options: Any) -> None:
        r = stored_files_sweep()
        self.stdout.write(
            _("Checked %(checked)d stored files; deleted %(deleted)d (%(size)s).")
            % {"checked": r.checked, "deleted": r.deleted, "size": filesizeformat(r.bytes_freed)}
        )
        if r.partial or r.mismatched:
            # Worth the administrator's attention: failed writes (a full or failing disk) and
            # damaged copies point at the storage, not at the application.
            self.stdout.write(
                _("Of these, %(partial)d were unfinished writes and %(mismatched)d damaged copies.")
                % {"partial": r.partial, "mismatched": r.mismatched}
            )
