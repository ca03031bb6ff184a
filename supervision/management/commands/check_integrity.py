"""``manage.py check_integrity``: the invariants an auditor checks (see supervision.integrity).

Prints one line per violation and a summary; exits non-zero when anything is wrong, so a
cron job, a restore check or a test can rely on the exit status. Reads only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from supervision import integrity


class Command(BaseCommand):
    help = (
        "Check the audit trail (continuous chain, one row per change), letter numbers (1..n per prefix and"
        " year, counter at the highest), letter states (no assignments on drafts, closed letters only closed"
        " assignments) and stored files (present, with the recorded size and SHA-256). Exits 1 on any violation."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--skip-files", action="store_true", help="Do not check stored files.")
        parser.add_argument(
            "--no-hash", action="store_true", help="Check that stored files exist with their size, without hashing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts: Counter[str] = Counter()
        for violation in integrity.check_all(files=not options["skip_files"], hashes=not options["no_hash"]):
            counts[violation.kind] += 1
            self.stdout.write(str(violation))
        checked = [name for name in integrity.CHECKS if name != "files" or not options["skip_files"]]
        if not counts:
            self.stdout.write(f"Integrity OK: {', '.join(checked)} checked, no violation.")
            return
        summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items()))
        self.stdout.write(f"{sum(counts.values())} violation(s) ({summary}).")
        raise CommandError(f"Integrity check failed: {sum(counts.values())} violation(s).")
