"""Sheets and steps the import-flow tests share: a problem list written with the headings
offices use, uploaded, previewed and confirmed on the pages."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from notices.xlsx import XLSX_CONTENT_TYPE

YEAR = 2031
HEADINGS = ["序号", "问题类别", "问题来源", "安置点", "问题描述", "整改措施", "牵头单位", "配合单位", "整改时限"]
KEYS = ["seq", "category", "source", "site", "description", "measures", "lead", "cooperating", "deadline"]


def row(**cells: Any) -> list:
    """A sheet row from column keys; a complete, valid problem by default."""
    values = {
        "seq": 1,
        "category": "个性问题",
        "source": "自查发现",
        "site": "",
        "description": "安置点配套设施不完善",
        "measures": "完善配套设施",
        "lead": "甲县人民政府",
        "cooperating": "",
        "deadline": "8月15日前",
    }
    values.update(cells)
    return [values[key] for key in KEYS]


def problems(n: int, **cells: Any) -> list[list]:
    return [row(seq=k, description=f"安置点问题{k}", **cells) for k in range(1, n + 1)]


def workbook(*sheets: tuple[str, list[list]]) -> bytes:
    """An .xlsx with these (title, rows) sheets, each with the heading row first."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(HEADINGS)
        for values in rows:
            ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx(rows: list[list]) -> io.BytesIO:
    return io.BytesIO(workbook(("问题清单", rows)))


def upload(rows: list[list] | None = None, *, content: bytes | None = None) -> SimpleUploadedFile:
    data = content if content is not None else workbook(("问题清单", rows or []))
    return SimpleUploadedFile("问题清单.xlsx", data, content_type=XLSX_CONTENT_TYPE)


def post_upload(client, letter, rows: list[list] | None = None, *, content: bytes | None = None, **extra):
    return client.post(
        reverse("notices:letter_import", args=[letter.pk]),
        {"file": upload(rows, content=content), "year": YEAR, **extra},
    )


def token_of(html: str) -> str:
    return re.search(r'name="t" value="([^"]+)"', html).group(1)


def token_in(url: str) -> str:
    """The token a preview page's address carries."""
    return parse_qs(urlsplit(url).query)["t"][0]


def preview(client, letter, rows: list[list] | None = None, *, content: bytes | None = None):
    """Upload, then open the preview the upload leads to: (its response, its token)."""
    response = post_upload(client, letter, rows, content=content)
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    return page, token_in(response["Location"])


def confirm(client, letter, token: str, **fields: Any):
    return client.post(reverse("notices:letter_import_confirm", args=[letter.pk]), {"t": token, **fields})
