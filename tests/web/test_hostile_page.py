"""A hostile FAQ page, ingested with ``backcare ingest``'s library call, shown in a browser.

The knowledge base comes from ``tests/ingest/test_hostile.py``'s document
(scripts, event handlers, ``javascript:`` links, a 7,000-character line with
a 5,000-character word, repetition, nesting past libxml2's limit), built with
``ingest_to_kb`` and served by ``backcare serve --kb`` as in ``test_page.py``.
Its entries must appear as text: no element, no script run, no link, and the
page must not scroll sideways.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backcare import Encoder, KnowledgeBase, ingest_to_kb
from tests.ingest.test_hostile import LONG_WORD, hostile_html
from tests.web.support import ARTIFACTS, Server, _ask, _start

pytestmark = pytest.mark.playwright


@pytest.fixture(scope="module")
def hostile_server(
    tmp_path_factory: pytest.TempPathFactory,
    chromium_path: Path,
    real_encoder: Encoder,
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve-hostile")
    source = tmp / "hostile-faq.html"
    source.write_text(hostile_html(repeats=200, long_line=2_000), encoding="utf-8")
    ingest_to_kb([source], tmp / "kb", real_encoder, name="hostile-kb@1")
    assert len(KnowledgeBase.load(tmp / "kb").entries) == 4
    yield from _start(tmp, "--kb", str(tmp / "kb"))


def test_hostile_markup_is_shown_as_text(page: object, hostile_server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, hostile_server, "Is heat good for a back spasm?")
    expect(page.locator("#answer-question")).to_have_text("Is heat good for a back spasm?")
    answer = page.locator("#answer-text")
    expect(answer).to_contain_text("<script>window.__pwned = 7</script> is only text here.")
    assert page.locator("#result script, #result img, #result iframe").count() == 0
    assert page.locator("#result [onerror], #result [onclick], #result [onload]").count() == 0
    assert page.locator("#answer-sources a").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-as-text.png"), full_page=True)


def test_a_huge_answer_does_not_break_the_layout(page: object, hostile_server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, hostile_server, "Can a very long answer break the page?")
    expect(page.locator("#answer-text")).to_contain_text(LONG_WORD[:100])
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways ({width} px in {viewport} px)"
    assert page.evaluate("() => window.__pwned") is None
