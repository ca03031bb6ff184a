"""Hostile problem lists: a sheet cut short, XML that declares entities (XXE, billion laughs),
parts that unpack to far more than they weigh (zip bombs), sizes that lie. Each is refused with
a message the office can act on, nothing is written, nothing is expanded, never a 500.

The files are built here: a good workbook from openpyxl, then one part swapped for crafted XML.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import openpyxl.xml
import pytest
from django.urls import reverse

from notices.services import letter_import_items
from supervision.models import Item
from tests.helpers import browser_for, draft_letter, snapshot
from tests.notices.test_import import YEAR, row, xlsx

NOT_READABLE = "The workbook is damaged and cannot be read: open it in Excel, save it again as .xlsx and try once more."
FORBIDDEN = (
    "The workbook contains XML declarations that are not allowed (a document type or entities). "
    "Save it again from Excel and try once more."
)
SECRET = "never-in-an-item"


@pytest.fixture
def draft(world):
    return draft_letter(world, items=[])


def _parts(data: io.BytesIO) -> dict[str, bytes]:
    with zipfile.ZipFile(data) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    out.seek(0)
    out.name = "问题清单.xlsx"
    return out


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>(.*?)</t></is></c>')


def _good() -> dict[str, bytes]:
    """A valid two-problem list, its text in a shared-strings part as Excel writes it (openpyxl
    writes inline strings; Excel's table is the part a hostile file would use)."""
    parts = _parts(xlsx([row(description="安置点配套设施不完善"), row(seq=2, description="道路未硬化")]))
    strings: list[bytes] = []

    def shared(match: re.Match) -> bytes:
        strings.append(match.group(2))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (match.group(1), len(strings) - 1)

    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = b'<?xml version="1.0" encoding="UTF-8"?>' + INLINE.sub(shared, sheet)
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{len(strings)}">'.encode()
        + b"".join(b"<si><t>%s</t></si>" % text for text in strings)
        + b"</sst>"
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/workbook.xml"] = b'<?xml version="1.0" encoding="UTF-8"?>' + parts["xl/workbook.xml"].split(b"?>", 1)[-1]
    return parts


def _with(**replaced: bytes) -> io.BytesIO:
    parts = _good()
    for key, content in replaced.items():
        name = {"sheet": "xl/worksheets/sheet1.xml", "strings": "xl/sharedStrings.xml", "book": "xl/workbook.xml"}[key]
        assert name in parts
        parts[name] = content
    return _zip(parts)


def _errors(world, letter, workbook) -> list[str]:
    before = snapshot()
    result = letter_import_items(actor=world.clerk, letter=letter, workbook_file=workbook, campaign_year=YEAR)
    assert not result.ok and not result.items
    assert snapshot() == before, "a refused import changes nothing"
    return [str(e) for e in result.errors]


def _doctype(xml: bytes, declarations: str) -> bytes:
    """The part with a DOCTYPE inserted after its XML declaration."""
    head, sep, rest = xml.partition(b"?>")
    assert sep, "every crafted part starts with an XML declaration"
    return head + sep + f"<!DOCTYPE x [{declarations}]>".encode() + rest


def test_openpyxl_parses_with_defused_xml():
    # openpyxl switches to defusedxml by itself when it is installed; the import relies on it.
    assert openpyxl.xml.DEFUSEDXML is True


def test_the_unmodified_workbook_imports(world, draft):
    # The crafted files below differ from this one in a single part.
    result = letter_import_items(actor=world.clerk, letter=draft, workbook_file=_zip(_good()), campaign_year=YEAR)
    assert result.ok and len(result.items) == 2


def test_a_sheet_cut_short_is_a_damaged_workbook(world, draft):
    sheet = _good()["xl/worksheets/sheet1.xml"]
    # Cut inside the second data row: the heading and the first row read fine, then the XML stops.
    cut = sheet[: sheet.index(b'<row r="3"') + 20]
    assert _errors(world, draft, _with(sheet=cut)) == [NOT_READABLE]


def test_shared_strings_cut_short_are_a_damaged_workbook(world, draft):
    strings = _good()["xl/sharedStrings.xml"]
    assert _errors(world, draft, _with(strings=strings[: len(strings) // 2])) == [NOT_READABLE]


@pytest.mark.parametrize("part", ["sheet", "strings", "book"])
def test_an_external_entity_is_refused_and_never_read(world, draft, part, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    xml = _good()[
        {"sheet": "xl/worksheets/sheet1.xml", "strings": "xl/sharedStrings.xml", "book": "xl/workbook.xml"}[part]
    ]
    hostile = _doctype(xml, f'<!ENTITY xxe SYSTEM "file://{secret}">')
    if part == "strings":
        hostile = hostile.replace("安置点配套设施不完善".encode(), b"&xxe;")
    assert _errors(world, draft, _with(**{part: hostile})) == [FORBIDDEN]
    assert not Item.objects.filter(description__contains=SECRET).exists()


@pytest.mark.parametrize("part", ["sheet", "strings", "book"])
def test_a_billion_laughs_is_refused_without_expanding(world, draft, part):
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    xml = _good()[
        {"sheet": "xl/worksheets/sheet1.xml", "strings": "xl/sharedStrings.xml", "book": "xl/workbook.xml"}[part]
    ]
    hostile = _doctype(xml, laughs)
    if part == "strings":
        hostile = hostile.replace("安置点配套设施不完善".encode(), b"&lol9;")
    assert _errors(world, draft, _with(**{part: hostile})) == [FORBIDDEN]


def test_a_doctype_past_a_long_prologue_is_still_refused(world, draft):
    # Hidden behind 100 kB of comment, past any quick look at the head of the part: the parser
    # itself refuses it.
    xml = _good()["xl/sharedStrings.xml"]
    head, sep, rest = xml.partition(b"?>")
    hostile = head + sep + b"<!--" + b" " * 100_000 + b'--><!DOCTYPE x [<!ENTITY a "b">]>' + rest
    assert _errors(world, draft, _with(strings=hostile)) == [FORBIDDEN]


def test_a_part_that_unpacks_past_the_limit_is_refused_before_parsing(world, draft, monkeypatch):
    monkeypatch.setattr("notices.workbook.MAX_PART_BYTES", 1024 * 1024)
    strings = _good()["xl/sharedStrings.xml"]
    # Two megabytes of spaces inside a string: a few kilobytes zipped.
    bomb = strings.replace("道路未硬化".encode(), b"x" + b" " * (2 * 1024 * 1024))
    workbook = _with(strings=bomb)
    assert len(workbook.getvalue()) < 50_000
    assert _errors(world, draft, workbook) == ["A part of the workbook unpacks to more than 1 MB."]


def test_a_workbook_that_unpacks_past_the_limit_in_total_is_refused(world, draft, monkeypatch):
    monkeypatch.setattr("notices.workbook.MAX_UNPACKED_BYTES", 1024 * 1024)
    parts = _good()
    for n in range(3):
        parts[f"xl/media/filler{n}.bin"] = b"\0" * (512 * 1024)
    assert _errors(world, draft, _zip(parts)) == ["The workbook unpacks to more than 1 MB."]


def _lie_about_size(data: io.BytesIO, name: str, size: int) -> io.BytesIO:
    """The archive with ``name``'s uncompressed size in the central directory set to ``size``."""
    raw = bytearray(data.getvalue())
    encoded = name.encode()
    for match in re.finditer(re.escape(b"PK\x01\x02"), raw):
        start = match.start()
        name_length = struct.unpack_from("<H", raw, start + 28)[0]
        if raw[start + 46 : start + 46 + name_length] == encoded:
            struct.pack_into("<I", raw, start + 24, size)
            return io.BytesIO(bytes(raw))
    raise AssertionError(f"{name} not in the archive")


def test_a_part_that_lies_about_its_size_is_never_read_past_it(world, draft):
    # The central directory says 100 bytes; the data unpacks to two megabytes. The declared sizes
    # pass the limits, reading stops at them and the checksum fails: a damaged workbook.
    strings = _good()["xl/sharedStrings.xml"].replace("道路未硬化".encode(), b"x" + b" " * (2 * 1024 * 1024))
    workbook = _lie_about_size(_with(strings=strings), "xl/sharedStrings.xml", 100)
    assert _errors(world, draft, workbook) == [NOT_READABLE]


def test_the_import_page_shows_the_refusal_not_an_error_page(world, draft):
    client = browser_for(world.clerk)
    sheet = _good()["xl/worksheets/sheet1.xml"]
    hostile = {
        "truncated": _with(sheet=sheet[: sheet.index(b'<row r="3"') + 20]),
        "xxe": _with(sheet=_doctype(sheet, '<!ENTITY xxe SYSTEM "file:///etc/passwd">')),
    }
    expected = {"truncated": NOT_READABLE, "xxe": FORBIDDEN}
    for key, workbook in hostile.items():
        # The upload leads to the preview, which lists the refusal and offers nothing to confirm.
        response = client.post(reverse("notices:letter_import", args=[draft.pk]), {"file": workbook}, follow=True)
        assert response.status_code in (200, 400), key
        assert expected[key] in response.content.decode(), key
    assert not Item.objects.filter(letter=draft).exists()
