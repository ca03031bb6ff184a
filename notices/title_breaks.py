"""Where a title that needs more than one line is broken (GB/T 9704-2012 7.3.1).

7.3.1 (标题): "回行时，要做到词意完整，排列对称，长短适宜，间距恰当，标题排列应当使用梯形或菱形。" So a
title breaks only between words — found with jieba's dictionary — and never inside a quotation
(“…”), a book title (《…》), a bracket or a letter number (吕巩办督〔2026〕1号); 关于 stays with
what follows it and the document kind stays with its 的 (…的督办函). Among the breaks that give
the fewest lines that fit, the one chosen has the most even lines in a trapezoid (the longer line
above) or a diamond (the middle one longest), never an hourglass, and prefers to break after the
issuing body, before 关于. The same balancing wraps a signature too long for its line.

jieba's dictionary takes about half a second to load: it is loaded once per process, only when a
title or name needs breaking, quietly, with its cache in a private temporary directory.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

logger = logging.getLogger(__name__)

# Words of the trade (the campaign's lines of work) that jieba's general dictionary cuts in two:
# a title breaks between them, not inside.
WORDS = (
    "督办函",
    "交办函",
    "催办函",
    "巩固拓展",
    "脱贫攻坚",
    "乡村振兴",
    "有效衔接",
    "领导小组",
    "办公室",
    "防返贫",
    "动态监测",
    "易地扶贫搬迁",
    "后续扶持",
    "脱贫人口",
    "小额信贷",
    "医疗保障",
    "教育保障",
    "兜底保障",
    "住房安全",
    "饮水安全",
    "安全隐患",
    "健康帮扶",
    "产业帮扶",
    "就业帮扶",
    "消费帮扶",
    "驻村帮扶",
    "光伏帮扶",
    "定点帮扶",
    "东西部协作",
    "人居环境",
    "衔接资金",
    "项目管理",
    "基层治理",
    "农村集体",
    "乡风文明",
    "整改台账",
    "整改方案",
)
# What a title names itself, after its last 的.
KINDS = frozenset(
    ("函", "督办函", "交办函", "催办函", "通知", "通报", "报告", "请示", "意见", "决定", "批复", "方案", "办法", "纪要")
)
# Words a line should not end on: they lean on what follows.
LEANING = frozenset(("关于", "和", "与", "及", "同", "并", "或", "对", "在", "把", "向", "为", "以及", "有关"))
OPENING = "“‘《（「『〔【(["
CLOSING = "”’》）」』〕】)]，。、；：？！,.;:?!"
_PAIRS = {"“": "”", "‘": "’", "《": "》", "（": "）", "「": "」", "『": "』", "【": "】", "(": ")", "[": "]"}
# Spans that are never broken: a letter number, and anything in brackets or quotes (if it fits).
_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}〔\d{4}〕\d+号")
_BRACKETED = re.compile("|".join(re.escape(o) + "[^" + re.escape(c) + "]*" + re.escape(c) for o, c in _PAIRS.items()))
_DIGITS = re.compile(r"[0-9A-Za-z.%]+")
_COUNTED = "期号年月日批次条项个届"

_lock = threading.Lock()
_tokenizer: Any = None


def _cache_dir() -> str | None:
    """A directory of this user's own under the system's temporary directory, or None (no cache)."""
    path = os.path.join(tempfile.gettempdir(), f"supervision-jieba-{os.getuid()}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    # Someone else's directory, or a link planted in a shared /tmp: do not read a cache from it.
    if not os.path.isdir(path) or os.path.islink(path) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return path


def tokenizer() -> Any:
    """jieba's tokenizer with its dictionary loaded: once per process."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # jieba's import of pkg_resources warns on new setuptools
                import jieba
            # jieba logs every load at DEBUG on its own stderr handler.
            logging.getLogger("jieba").setLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            cache = _cache_dir()
            if cache is None:
                tok.tmp_dir = tempfile.mkdtemp(prefix="supervision-jieba-")
            else:
                tok.tmp_dir = cache
            tok.initialize()
            for word in WORDS:
                tok.add_word(word)
            _tokenizer = tok
    return _tokenizer


def words(text: str) -> list[str]:
    """jieba's words (dictionary words only: an unknown name falls into single characters, each a
    possible break, rather than into guessed words)."""
    return [w for w in tokenizer().lcut(text, HMM=False) if w]


@dataclass(frozen=True)
class Unit:
    text: str
    cost: float  # of breaking the line before this unit


def _pieces(text: str, *, keep_spans: bool) -> list[str]:
    """Words, with letter numbers and (if asked) bracketed spans kept whole."""
    pieces: list[str] = []
    at = 0
    spans = [_NUMBER, _BRACKETED] if keep_spans else [_NUMBER]
    found = sorted((m.start(), m.end()) for pattern in spans for m in pattern.finditer(text))
    for start, end in found:
        if start < at:
            continue
        pieces += words(text[at:start]) if start > at else []
        pieces.append(text[start:end])
        at = end
    if at < len(text):
        pieces += words(text[at:])
    return pieces


def units(text: str, *, keep_spans: bool = True) -> list[Unit]:
    """The title cut where it may break, each cut with its cost."""
    merged: list[str] = []
    glue = False
    for piece in _pieces(text, keep_spans=keep_spans):
        previous = merged[-1] if merged else ""
        joins = (
            bool(merged)
            and (
                glue
                or piece[0] in CLOSING
                # 第 10 期, 2026 年: a number stays with its counter word.
                or (previous == "第" and _DIGITS.fullmatch(piece))
                or (_DIGITS.fullmatch(previous[-1:] or " ") and piece[0] in _COUNTED)
                or (previous.isspace() is False and piece.isspace())
            )
        )
        if joins:
            merged[-1] += piece
        else:
            merged.append(piece)
        glue = piece[-1] in OPENING
    # The kind stays with its 的: …问题的 / 督办函 would read badly, …问题 / 的督办函 does not.
    if len(merged) >= 2 and merged[-1] in KINDS and merged[-2].endswith("的") and merged[-2] != "的":
        merged[-2:] = [merged[-2][:-1], "的" + merged[-1]]
    elif len(merged) >= 2 and merged[-1] in KINDS and merged[-2] == "的":
        merged[-2:] = ["的" + merged[-1]]
    found = []
    for n, piece in enumerate(merged):
        cost = 0.0
        if n:
            before = merged[n - 1].strip()
            if piece.startswith("关于"):
                cost -= 1.0  # after the issuing body
            if before in LEANING or before.endswith("关于"):
                cost += 3.0 if before.endswith("关于") else 2.0
        found.append(Unit(piece, cost))
    return [u for u in found if u.text]


def _lines(parts: Sequence[Unit], cuts: Sequence[int]) -> list[str]:
    bounds = [0, *cuts, len(parts)]
    return ["".join(u.text for u in parts[a:b]).strip() for a, b in zip(bounds, bounds[1:], strict=False)]


def _shape_cost(sizes: list[float], tolerance: float) -> float:
    """7.3.1: a trapezoid or a diamond. Equal lines make a rectangle, a short middle line an hourglass."""
    if len(sizes) < 2:
        return 0.0
    if max(sizes) - min(sizes) <= tolerance:
        return 2.0
    if len(sizes) == 2:
        return 0.0 if sizes[0] > sizes[1] else 1.5
    inner = sizes[1:-1]
    if min(inner) < min(sizes[0], sizes[-1]) - tolerance:
        return 6.0  # hourglass
    falling = all(a >= b - tolerance for a, b in zip(sizes, sizes[1:], strict=False))
    rising = all(a <= b + tolerance for a, b in zip(sizes, sizes[1:], strict=False))
    peak = sizes.index(max(sizes))
    diamond = all(a <= b + tolerance for a, b in zip(sizes[:peak], sizes[1 : peak + 1], strict=False)) and all(
        a >= b - tolerance for a, b in zip(sizes[peak:], sizes[peak + 1 :], strict=False)
    )
    if falling or diamond:
        return 0.0
    return 1.5 if rising else 3.0


def _fewest_lines(parts: Sequence[Unit], fits: Callable[[str], bool]) -> int | None:
    count, line = 1, ""
    for unit in parts:
        if fits((line + unit.text).strip()):
            line += unit.text
        elif fits(unit.text.strip()):
            count, line = count + 1, unit.text
        else:
            return None
    return count


def _best(
    parts: Sequence[Unit], lines: int, width: Callable[[str], float], limit: float, em: float, shape: bool
) -> list[str] | None:
    best: tuple[float, list[str]] | None = None
    if lines <= 3:
        candidates = combinations(range(1, len(parts)), lines - 1)
    else:
        candidates = iter([_even_cuts(parts, lines, width, limit)] if len(parts) > lines else [])
    for cuts in candidates:
        if cuts is None:
            continue
        text = _lines(parts, cuts)
        sizes = [width(t) / em for t in text]
        if any(not t for t in text) or max(sizes) * em > limit:
            continue
        cost = max(sizes) - min(sizes) + sum(parts[c].cost for c in cuts)
        if shape:
            cost += _shape_cost(sizes, 0.5)
        if best is None or cost < best[0] - 1e-9:
            best = (cost, text)
    return best[1] if best else None


def _even_cuts(
    parts: Sequence[Unit], lines: int, width: Callable[[str], float], limit: float
) -> tuple[int, ...] | None:
    """Four lines or more (a very long title): the cuts with the least squared deviation from an
    even line, by dynamic programming over the units."""
    n = len(parts)
    target = width("".join(u.text for u in parts)) / lines
    inf = float("inf")
    best: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {(0, 0): (0.0, ())}
    for k in range(1, lines + 1):
        for end in range(k, n + 1):
            options = []
            for start in range(k - 1, end):
                prior = best.get((k - 1, start))
                if prior is None:
                    continue
                line = "".join(u.text for u in parts[start:end]).strip()
                size = width(line)
                if size > limit:
                    continue
                cost = prior[0] + (size - target) ** 2 + (parts[start].cost if start else 0.0)
                options.append((cost, (*prior[1], start) if start else prior[1]))
            if options:
                best[(k, end)] = min(options, key=lambda o: o[0])
    found = best.get((lines, n))
    return found[1] if found and found[0] < inf else None


def balanced_lines(
    text: str, *, width: Callable[[str], float], limit: float, em: float, shape: bool = True
) -> list[str]:
    """``text`` in as few lines of at most ``limit`` as its words allow, balanced.

    ``width`` gives a string's printed width, ``em`` the font size (same unit). A text that fits
    one line is returned as it is, without loading the dictionary.
    """
    text = " ".join(text.split()) if " " in text.strip() else "".join(text.split())
    if not text or width(text) <= limit:
        return [text] if text else []

    def fits(line: str) -> bool:
        return width(line) <= limit

    # Coarse units first (brackets whole), then words, then characters: a quotation wider than
    # the block has to break somewhere.
    for parts in (units(text), units(text, keep_spans=False), [Unit(c, 0.0) for c in text]):
        fewest = _fewest_lines(parts, fits)
        if fewest is None:
            continue
        found = _best(parts, fewest, width, limit, em, shape)
        if found:
            return found
    return [text]


def drafted_lines(title: str, title_lines: str) -> list[str] | None:
    """The drafter's own breaks, if they still spell the title (whitespace aside)."""
    lines = [line.strip() for line in title_lines.splitlines() if line.strip()]
    if len(lines) < 2 or "".join("".join(lines).split()) != "".join(title.split()):
        return None
    return lines
