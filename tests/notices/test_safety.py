"""Documents never read local files or the network: user text is escaped, and the renderer's
fetcher serves the app's static files and nothing else."""

from __future__ import annotations

import pytest
from django.test import override_settings

from notices import fetcher, fonts, pdf
from notices.letters import letter_html, letter_pdf
from supervision import services
from tests.conftest import FUTURE
from tests.helpers import draft_letter

from . import pdfs

LOCAL_FILE = '<img src="file:///etc/passwd">'
NETWORK = '<img src="http://127.0.0.1:9/x.png">'


class RecordingFetcher(fetcher.StaticOnlyFetcher):
    """The real fetcher, noting every URL it is asked for."""

    asked: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.asked = []

    def fetch(self, url, headers=None):
        self.asked.append(url)
        return super().fetch(url, headers)


@pytest.fixture
def recording(monkeypatch) -> list[RecordingFetcher]:
    made: list[RecordingFetcher] = []

    def make() -> RecordingFetcher:
        made.append(RecordingFetcher())
        return made[-1]

    monkeypatch.setattr(pdf, "StaticOnlyFetcher", make)
    return made


def test_markup_in_an_item_is_printed_as_text_and_never_fetched(world, recording):
    letter = draft_letter(world, items=[])
    for description in (f"安置点问题{LOCAL_FILE}", f"配套设施问题{NETWORK}"):
        services.item_add(
            actor=world.clerk,
            letter=letter,
            description=description,
            measures=NETWORK,
            deadline=FUTURE,
        )
    html = letter_html(letter)
    assert LOCAL_FILE not in html and NETWORK not in html
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html

    document = letter_pdf(letter)
    assert len(recording) == 1, "the letter is rendered with the static-only fetcher"
    asked = recording[0].asked
    assert not any("passwd" in url or "127.0.0.1" in url for url in asked)
    rows = pdfs.tables(document, 2)[0]
    assert rows[1][1:3] == ['安置点问题<imgsrc="file:///etc/passwd">', '<imgsrc="http://127.0.0.1:9/x.png">']
    assert rows[2][1:3] == ['配套设施问题<imgsrc="http://127.0.0.1:9/x.png">', '<imgsrc="http://127.0.0.1:9/x.png">']


def test_the_fetcher_is_the_second_wall_even_for_raw_markup(recording):
    """Should markup ever reach the renderer unescaped, the fetcher refuses it all the same."""
    html = f"<html><body><p>x</p>{LOCAL_FILE}{NETWORK}<img src='https://example.org/a.png'></body></html>"
    assert pdf.html_to_pdf(html).startswith(b"%PDF")
    asked = recording[0].asked
    assert "file:///etc/passwd" in asked and "http://127.0.0.1:9/x.png" in asked  # asked, and refused:
    for url in asked:
        with pytest.raises(fetcher.Refused):
            fetcher.static_path(url)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://127.0.0.1/static/admin/css/base.css",
        "https://documents.invalid:8443/static/admin/css/base.css",
        "https://user@documents.invalid/static/admin/css/base.css",
        "https://documents.invalid/media-not-served/evidence/x.pdf",
        "https://documents.invalid/static/../../../etc/passwd",
        "https://documents.invalid/static/admin/../../settings.py",
        "https://documents.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://documents.invalid/static/",
        "https://documents.invalid/static/no/such/file.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(fetcher.Refused):
        fetcher.StaticOnlyFetcher().fetch(url)


def test_the_fetcher_serves_a_static_file():
    response = fetcher.StaticOnlyFetcher().fetch(fetcher.BASE_URL + "static/admin/css/base.css")
    assert response.content_type == "text/css"
    assert b"body" in response.read()


@override_settings(PDF_FONT_SERIF=['Evil"; } body { display: none } <style', "Noto Serif CJK SC"])
def test_font_names_from_the_environment_cannot_break_out_of_the_css():
    stack = fonts.font_stacks().serif
    assert stack == '"Evil  body  display: none  style", "Noto Serif CJK SC", serif'
    for character in "{}<>;\\":
        assert character not in stack
