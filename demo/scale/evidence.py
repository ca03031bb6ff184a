"""The few evidence files of the province-scale data set: a handful of small, distinct files stored
once under their content-addressed names and shared by every evidence row that names them (as the
engine shares one stored file between identical uploads), so ``check_integrity`` finds each file
with the size and SHA-256 its rows record.
"""

from __future__ import annotations

import hashlib
import random

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from demo.evidence import tiny_pdf, tiny_png
from supervision.models import Evidence
from supervision.services.storage import content_name

DISTINCT = 6
NAMES = ("整改台账.pdf", "现场照片.png", "入户核实记录.pdf", "整改前后对比照片.png", "专题会议纪要.pdf", "公示照片.png")


class Files:
    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.rows: list[tuple[str, str, str, int, str]] = []
        for n in range(DISTINCT):
            name = NAMES[n % len(NAMES)]
            pdf = name.endswith(".pdf")
            content = tiny_pdf(f"Scale evidence {seed}-{n}") if pdf else tiny_png(rng, f"scale-{seed}-{n}")
            sha = hashlib.sha256(content).hexdigest()
            stored = content_name(Evidence, sha)
            if not default_storage.exists(stored):
                default_storage.save(stored, ContentFile(content))
            self.rows.append((stored, name, "application/pdf" if pdf else "image/png", len(content), sha))

    def pick(self, rng: random.Random) -> tuple[str, str, str, int, str]:
        """(file, original name, content type, size, sha256) of one of the files."""
        return rng.choice(self.rows)
