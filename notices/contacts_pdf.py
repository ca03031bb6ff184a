"""The printable account sheet of a directory import (账号通知单): one A4 page per unit, with each
new person's username and one-time password, the site's address and what to do at the first
sign-in, to hand out or send to the units.

It is made from the import's result while the passwords are still in memory (the page that
offers it and ``import_directory --passwords-pdf``); nothing here reads or keeps a password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from supervision.models import Role
from supervision.services.onboarding import NewAccount

from . import wording
from .pdf import document_html, html_to_pdf

FILENAME = "账号通知单.pdf"


@dataclass
class SheetPerson:
    full_name: str
    role: str
    title: str
    username: str
    password: str


@dataclass
class UnitSheet:
    unit: str
    people: list[SheetPerson] = field(default_factory=list)


def unit_sheets(accounts: Iterable[NewAccount]) -> list[UnitSheet]:
    """The pages: one per unit, in the order units first appear; a person with roles in two
    units is on both pages (with the same account)."""
    pages: dict[str, UnitSheet] = {}
    with wording.document_language():
        for account in accounts:
            for unit, role in account.roles:
                page = pages.setdefault(unit, UnitSheet(unit))
                page.people.append(
                    SheetPerson(
                        account.full_name, str(Role(role).label), account.title, account.username, account.password
                    )
                )
    return list(pages.values())


def accounts_pdf(accounts: Iterable[NewAccount], *, site_url: str | None = None) -> bytes:
    """The sheet as a PDF (fixed Chinese, like the letters: it is a document of the office)."""
    sheets = unit_sheets(accounts)
    with wording.document_language():
        html = document_html(
            "directory/accounts_sheet.html",
            {
                "sheets": sheets,
                "site_url": site_url or settings.SITE_URL,
                "made_on": timezone.localdate(),
            },
        )
    return html_to_pdf(html)
