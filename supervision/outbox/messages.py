"""What a message says: the event's label and text, and the facts a reader needs without opening
the system (unit, letter number, item, deadline) with the link. In the active language: the
worker and tick run as management commands, in settings.LANGUAGE_CODE (Chinese)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supervision import events
from supervision.models import OutboxEvent, Unit

from .payload import event_url
from .write import CHANNEL_TEST, DIGEST


def event_label(event: OutboxEvent) -> str:
    if event.name == CHANNEL_TEST:
        return _("Test message")
    if event.name == DIGEST:
        return _("Daily digest")
    found = events.BY_NAME.get(event.name)
    return str(found.label) if found is not None else event.name


@dataclass(frozen=True)
class Facts:
    label: str
    text: str
    url: str
    unit: str = ""
    letter: str = ""
    item: str = ""
    deadline: str = ""

    def lines(self) -> list[str]:
        """The facts that are known, one "name: value" line each."""
        found = []
        if self.unit:
            found.append(_("Unit: %(name)s") % {"name": self.unit})
        if self.letter:
            found.append(_("Letter: %(number)s") % {"number": self.letter})
        if self.item:
            found.append(_("Item: %(text)s") % {"text": self.item})
        if self.deadline:
            found.append(_("Deadline: %(date)s") % {"date": self.deadline})
        return found


def facts_of(event: OutboxEvent) -> Facts:
    """The facts of an event. Reads the related rows the worker loaded with select_related
    (assignment, its unit, item and letter; the letter), and one unit row for a unit's event."""
    unit = letter = item = deadline = ""
    a = event.assignment
    if a is not None:
        unit = a.unit.display_name
        letter = a.letter.number or ""
        item = Truncator(" ".join(a.item.description.split())).chars(60)
        deadline = date_format(a.deadline)
    elif event.letter is not None:
        letter = event.letter.number or event.letter.title
    if not unit and len(event.unit_ids or []) == 1:
        found = Unit.objects.filter(pk=event.unit_ids[0]).first()
        unit = found.display_name if found is not None else ""
    return Facts(
        label=event_label(event),
        text=event.text,
        url=event_url(event),
        unit=unit,
        letter=letter,
        item=item,
        deadline=deadline,
    )


def open_label() -> str:
    # Outside the f-strings below: gettext's extractor does not look inside them.
    return _("Open in the system")


def robot_markdown(facts: Facts) -> tuple[str, str]:
    """(title, markdown) for a group robot: short, the label in bold, the facts quoted."""
    parts = [f"**{facts.label}**", facts.text]
    parts += [f"> {line}" for line in facts.lines()]
    if facts.url:
        parts.append(f"[{open_label()}]({facts.url})")
    return facts.label, "\n\n".join(parts)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space. A mail header
    cannot hold a line break (Django refuses the message with BadHeaderError), and an event's text
    often has one: a reminder's words, a rejection's reason, an item's description."""
    return " ".join(text.split())


def email_subject(facts: Facts) -> str:
    return Truncator(one_line(f"{facts.label}：{facts.text}")).chars(120)


def email_bodies(facts: Facts) -> tuple[str, str]:
    """(plain text, HTML) of one event's e-mail."""
    footer = _("You receive this e-mail because of your message preferences in the supervision system.")
    plain = [facts.text, "", *facts.lines()]
    if facts.url:
        plain += ["", facts.url]
    plain += ["", "—", footer]
    html = [f"<p><strong>{escape(facts.label)}</strong></p>", f"<p>{escape(facts.text)}</p>"]
    if facts.lines():
        html.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in facts.lines()) + "</ul>")
    if facts.url:
        html.append(f'<p><a href="{escape(facts.url)}">{escape(open_label())}</a></p>')
    html.append(f'<p style="color:#777">{escape(footer)}</p>')
    return "\n".join(plain), "\n".join(html)


def digest_subject(count: int) -> str:
    return one_line(ngettext("Daily digest: %(n)d message", "Daily digest: %(n)d messages", count) % {"n": count})


def digest_bodies(items: list[Facts]) -> tuple[str, str]:
    """(plain text, HTML) of a digest: each message's label, text and link."""
    footer = _("You receive one e-mail a day because you chose the daily digest in your message preferences.")
    plain: list[str] = []
    html = ["<ul>"]
    for f in items:
        plain.append(f"· {f.label}：{f.text}")
        if f.url:
            plain.append(f"  {f.url}")
        link = f' <a href="{escape(f.url)}">{escape(open_label())}</a>' if f.url else ""
        html.append(f"<li><strong>{escape(f.label)}</strong>：{escape(f.text)}{link}</li>")
    html.append("</ul>")
    plain += ["", "—", footer]
    html.append(f'<p style="color:#777">{escape(footer)}</p>')
    return "\n".join(plain), "\n".join(html)
