"""The Simplified Chinese catalogs: complete, not fuzzy, placeholders intact, and compiled.

Two catalogs: the project's own strings (locale/zh_Hans) and viewflow's interface strings
(locale/viewflow/zh_Hans, since viewflow ships an empty zh_Hans catalog). The .mo files are
committed, so a .po edited without recompiling must fail here.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_ROOT = Path(settings.BASE_DIR) / "locale"
CATALOGS = {
    "project": LOCALE_ROOT / "zh_Hans" / "LC_MESSAGES" / "django.po",
    "viewflow": LOCALE_ROOT / "viewflow" / "zh_Hans" / "LC_MESSAGES" / "django.po",
}

# %(name)s, %(seconds).1f, %s, %d …; "%%" is a literal percent sign, not a placeholder.
PERCENT = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[A-Za-z_][\w.]*(?:![rsa])?(?::[^{}]*)?\}")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LETTER = re.compile(r"[A-Za-z]")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    assert len(text) >= 2 and text[0] == text[-1] == '"', f"{where}: not a quoted string: {text}"
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None  # the keyword a continuation line appends to

    def finish() -> None:
        nonlocal entry, flags, target
        if entry is not None:
            entries.append(entry)
        entry, flags, target = None, set(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert entry is not None and target is not None, f"{where}: continuation without a keyword"
            keyword, index = target
            value = _unquote(line, where)
            if keyword == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, keyword, (getattr(entry, keyword) or "") + value)
        else:
            keyword, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if keyword in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
                finish()  # an entry not separated by a blank line
            if entry is None:
                entry = Entry(line=number, flags=flags)
            value = _unquote(rest, where)
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                setattr(entry, keyword, value)
                target = (keyword, 0)
            elif keyword == "msgstr" or match:
                index = int(match.group(1)) if match else 0
                entry.msgstr[index] = value
                target = ("msgstr", index)
            else:
                raise AssertionError(f"{where}: unknown keyword {keyword!r}")
    finish()
    return entries


def placeholders(text: str) -> Counter[str]:
    found = Counter(m.group(0) for m in PERCENT.finditer(text) if m.group(0) != "%%")
    found.update(m.group(0) for m in BRACE.finditer(text))
    return found


def messages(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if e.msgid]


def header(path: Path) -> dict[str, str]:
    [head] = [e for e in parse_po(path) if not e.msgid and e.msgctxt is None]
    assert "fuzzy" not in head.flags, f"{path.name}: the header is marked fuzzy"
    pairs = (line.partition(":") for line in head.msgstr[0].splitlines() if line)
    return {key.strip(): value.strip() for key, _, value in pairs}


@pytest.fixture(params=sorted(CATALOGS), ids=str)
def catalog(request) -> Path:
    path = CATALOGS[request.param]
    assert path.is_file(), f"missing catalog {path.relative_to(LOCALE_ROOT.parent)}"
    return path


def test_catalog_directories_are_in_locale_paths():
    configured = {Path(p).resolve() for p in settings.LOCALE_PATHS}
    for path in CATALOGS.values():
        assert path.parent.parent.parent.resolve() in configured


def test_header_declares_chinese_with_one_plural_form(catalog):
    meta = header(catalog)
    assert meta["Language"] == "zh_Hans"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_every_message_is_translated_and_not_fuzzy(catalog):
    entries = messages(catalog)
    assert entries
    problems = []
    for e in entries:
        if "fuzzy" in e.flags:
            problems.append(f"{e.label} is fuzzy")
        expected = [0]  # nplurals=1: one form, plural entries included
        if sorted(e.msgstr) != expected:
            problems.append(f"{e.label} has forms {sorted(e.msgstr)}, expected {expected}")
        if not all(s.strip() for s in e.msgstr.values()):
            problems.append(f"{e.label} is untranslated")
    assert not problems, "\n".join(problems)


def test_placeholders_survive_translation(catalog):
    problems = []
    for e in messages(catalog):
        for form, text in e.msgstr.items():
            got = placeholders(text)
            if e.msgid_plural is None:
                want = placeholders(e.msgid)
                ok = got == want
            else:
                # The one Chinese form stands for any count, so it follows the plural source.
                want = placeholders(e.msgid_plural)
                ok = set(got) == set(want)
            if not ok:
                problems.append(f"{e.label} msgstr[{form}]: placeholders {dict(got)} != {dict(want)}")
    assert not problems, "\n".join(problems)


def test_translations_are_chinese(catalog):
    problems = []
    for e in messages(catalog):
        source = PERCENT.sub("", BRACE.sub("", e.msgid))
        if not LETTER.search(source):
            continue
        problems += [f"{e.label} -> {s!r} has no Chinese" for s in e.msgstr.values() if not CJK.search(s)]
    assert not problems, "\n".join(problems)


def test_compiled_catalog_matches_po(catalog):
    mo = catalog.with_suffix(".mo")
    assert mo.is_file(), f"{mo.name} missing next to {catalog.name}: run compilemessages"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    assert compiled.info().get("plural-forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    entries = messages(catalog)
    stale = []
    for e in entries:
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        # GNUTranslations keys a plural entry's forms by (singular msgid, form index).
        got = compiled._catalog.get(key if e.msgid_plural is None else (key, 0))
        if got != e.msgstr[0]:
            stale.append(f"{e.label}: .mo has {got!r}, .po has {e.msgstr[0]!r}")
    assert not stale, "the .mo is older than the .po; run compilemessages:\n" + "\n".join(stale)
    # Nothing in the .mo that the .po no longer has (the header is the "" entry).
    compiled_count = len([k for k in compiled._catalog if k != ""])
    assert compiled_count == len(entries), f".mo has {compiled_count} messages, .po {len(entries)}: run compilemessages"


def test_django_serves_chinese_for_project_and_viewflow_strings():
    from supervision.models import AssignmentState, LetterKind, Role

    with translation.override("zh-hans"):
        assert str(LetterKind.SUPERVISION.label) == "督办函"
        assert str(AssignmentState.CLOSED.label) == "已销号"
        assert str(Role.LIAISON.label) == "联络员"
        assert translation.gettext("%(field)s is required.") % {"field": "标题"} == "标题不能为空。"
        withdrawn = translation.ngettext(
            "%(n)d of its assignments was already claimed or returned: the letter can no longer be withdrawn.",
            "%(n)d of its assignments were already claimed or returned: the letter can no longer be withdrawn.",
            3,
        )
        assert withdrawn % {"n": 3} == "该函件已有 3 个任务被签收或退回，不能再撤回。"
        # viewflow's strings, from the project's copy of its catalog
        assert translation.gettext("Process #%(pk)s has been canceled.") % {"pk": 7} == "流程 #7 已取消。"
        assert translation.gettext("Process #%(pk)s can not be canceled.") % {"pk": 7} == "流程 #7 无法取消。"
        assert translation.pgettext("STATUS", "Done") == "已完成"
    with translation.override("en"):
        assert str(LetterKind.SUPERVISION.label) == "Supervision letter"


# A translation call written inside an f-string's braces runs, but gettext's extractor never sees
# it: the string stays out of the catalog and shows in English.
_CALL_IN_FSTRING = re.compile(r"""\bf(["'])[^\n]*?\{[^}\n]*\b(_|gettext|ngettext|pgettext|gettext_lazy)\(""")


def test_no_translation_call_hides_inside_an_f_string():
    root = Path(settings.BASE_DIR)
    found = [
        f"{path.relative_to(root)}:{n}"
        for package in ("project", "workflows", "supervision", "notices", "demo")
        for path in (root / package).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _CALL_IN_FSTRING.search(line)
    ]
    assert found == []
