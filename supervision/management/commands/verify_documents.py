"""``manage.py verify_documents``: prove the documents kept as issued are what went out.

Recomputes the SHA-256 of every stored letter and notice PDF (``IssuedDocument``) and compares
it with its row and with the audit row written when it was stored (supervision.integrity,
``issued_document_findings``). Prints one line per problem (a missing file, another size or
checksum, an audit row that is missing or says otherwise) and a summary; exits non-zero on any
problem, so cron or a restore check can rely on the exit status. Also lists, without failing,
issues not kept yet (the worker is behind: tick queues them) and files under ``issued/`` no row
names (a storing transaction that failed after writing its file). Reads only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supervision import clock
from supervision.integrity import issued_document_findings
from supervision.models import IssuedDocument
from supervision.services.issued_documents import REQUEUE_AFTER, issued_documents_missing

FOLDER = "issued"


def _stored_names(storage: Storage, folder: str) -> Iterator[str]:
    if not storage.exists(folder):
        return
    dirs, files = storage.listdir(folder)
    for name in sorted(files):
        yield f"{folder}/{name}"
    for sub in sorted(dirs):
        yield from _stored_names(storage, f"{folder}/{sub}")


class Command(BaseCommand):
    @property
    def help(self) -> str:  # translated when the parser is built, not at import
        return _(
            "Recompute the SHA-256 of every stored issued letter and published notice and compare it with its "
            "row and its audit record. Exits 1 on any missing file, mismatch or audit disagreement."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total = IssuedDocument.objects.count()
        damaged: set[int] = set()
        counts: Counter[str] = Counter()
        for document_id, violation in issued_document_findings(default_storage):
            counts[violation.kind] += 1
            if document_id is not None:
                damaged.add(document_id)
            self.stdout.write(str(violation))
        named = set(IssuedDocument.objects.values_list("file", flat=True))
        # Hidden names are writes in progress (storage.content_store), not stray files.
        stored = [n for n in _stored_names(default_storage, FOLDER) if not n.rsplit("/", 1)[-1].startswith(".")]
        stray = [n for n in stored if n not in named]
        for name in stray:
            self.stdout.write(_("Note: %(name)s is stored but no document row names it.") % {"name": name})
        letters, notices = issued_documents_missing(before=clock.now() - REQUEUE_AFTER)
        if letters or notices:
            self.stdout.write(
                _("Note: %(letters)d issued letters and %(notices)d published notices are not kept yet.")
                % {"letters": len(letters), "notices": len(notices)}
            )
        self.stdout.write(
            _("%(total)d documents, %(intact)d intact.") % {"total": total, "intact": total - len(damaged)}
        )
        if counts:
            summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items()))
            failed = _("Verification failed: %(n)d problem(s) (%(summary)s).")
            raise CommandError(failed % {"n": sum(counts.values()), "summary": summary})
