"""The packages depend on each other one way only, as DESIGN.md draws them:

    project → workflows → notices → supervision        demo → supervision

``supervision`` is the domain: it imports no web or document code, names no URL and draws no SVG.
``notices`` renders documents and nothing else: no pages, URLs or sockets. Nothing imports
``project`` (settings are read through django.conf) and nothing imports ``demo``. The rules are
read from the source (``ast`` over every module, imports inside functions and type-checking
blocks included), so a shortcut taken anywhere fails here rather than in a review.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import get_resolver

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("project", "workflows", "notices", "supervision", "demo")

# Which of the project's own packages each one may import; anything else is a wrong-way arrow.
ALLOWED: dict[str, set[str]] = {
    "project": {"workflows", "notices", "supervision", "demo"},
    "workflows": {"notices", "supervision"},
    "notices": {"supervision"},
    "supervision": set(),
    "demo": {"supervision"},
}

# Web machinery: whoever imports these serves pages, URLs or sockets.
WEB_MODULES = (
    "django.urls",
    "django.shortcuts",
    "django.http",
    "django.views",
    "channels.generic",
    "channels.routing",
    "viewflow.urls",
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing file, relative to the repository
    line: int
    target: str  # the dotted name imported

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def _sources(package: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(package: str) -> list[Import]:
    found = []
    for path, tree in _sources(package):
        module = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [Import(module, node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # "from supervision import charts" names the module too: both forms count.
                found.append(Import(module, node.lineno, node.module))
                found += [Import(module, node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _strings(package: str) -> Iterator[tuple[str, int, str]]:
    """String constants that are not docstrings: what the code says, not what it explains."""
    for path, tree in _sources(package):
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                yield str(path.relative_to(ROOT)), node.lineno, node.value


def _url_namespaces() -> set[str]:
    """Every namespace the site mounts (tasks, letters, cycles, notices, admin…), read from the
    live URL configuration so a new one is covered without editing this test."""
    names: set[str] = set()
    todo = [get_resolver()]
    while todo:
        resolver = todo.pop()
        for namespace, (_prefix, sub) in resolver.namespace_dict.items():
            names.add(namespace)
            todo.append(sub)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_packages_below_it(package):
    wrong = [
        str(i)
        for i in _imports(package)
        if (top := i.target.split(".")[0]) in PACKAGES and top != package and top not in ALLOWED[package]
    ]
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package]) or 'none of the others'}:\n" + "\n".join(
        wrong
    )


def test_the_rules_hold_on_something():
    # A walk that found no imports at all (a wrong root, a renamed package) would pass every rule.
    found = {top for i in _imports("workflows") if (top := i.target.split(".")[0]) in PACKAGES}
    assert {"notices", "supervision"} <= found
    assert any(i.target.startswith("supervision") for i in _imports("notices"))


@pytest.mark.parametrize("package", ["supervision", "notices"])
def test_the_domain_and_the_documents_serve_no_pages(package):
    web = [str(i) for i in _imports(package) if i.target.startswith(WEB_MODULES)]
    assert not web, "\n".join(web)
    modules = {p.stem for p, _tree in _sources(package)}
    assert not modules & {"views", "urls", "consumers", "routing"}


def test_the_domain_names_no_url():
    namespaces = _url_namespaces()
    assert {"tasks", "letters", "cycles", "notices"} <= namespaces
    url_name = re.compile(rf"^({'|'.join(map(re.escape, sorted(namespaces)))}):[\w-]+$")
    named = [f"{m}:{line} {text!r}" for m, line, text in _strings("supervision") if url_name.match(text)]
    assert not named, "supervision names URLs; register a link builder in workflows instead:\n" + "\n".join(named)


def test_the_domain_draws_no_svg():
    drawn = [f"{m}:{line}" for m, line, text in _strings("supervision") if "<svg" in text.lower()]
    assert not drawn, "SVG belongs in notices/charts.py:\n" + "\n".join(drawn)
