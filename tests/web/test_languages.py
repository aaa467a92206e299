"""The page in other languages: it follows the browser, has a picker, and mirrors for Arabic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.support import ARTIFACTS, Server

pytestmark = pytest.mark.playwright

# Which edge of its block an element's text is set against (a block's own box spans
# the whole width in either direction, so the text itself is measured).
_TEXT_SIDE = """(id) => {
  const block = document.getElementById(id);
  const range = document.createRange();
  range.selectNodeContents(block);
  const text = range.getBoundingClientRect();
  const box = block.getBoundingClientRect();
  return text.left - box.left < box.right - text.right ? "start-left" : "start-right";
}"""


def _page_in(browser: object, locale: str) -> Iterator[object]:
    """A fresh page whose browser prefers ``locale``; any script error fails the test."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale=locale)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    yield page
    context.close()
    assert problems == []


@pytest.fixture
def spanish_page(browser: object) -> Iterator[object]:
    yield from _page_in(browser, "es-ES")


@pytest.fixture
def english_page(browser: object) -> Iterator[object]:
    yield from _page_in(browser, "en-GB")


def test_the_page_follows_the_browser_language(spanish_page: object, server: Server) -> None:
    from playwright.sync_api import Page, expect

    page = spanish_page
    assert isinstance(page, Page)
    page.goto(server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#lang-picker")).to_have_value("es")
    page.get_by_label("Tu pregunta, o lo que te está pasando").fill(
        "Desde anoche no puedo orinar y me duele la espalda"
    )
    page.get_by_role("button", name="Preguntar").click()
    expect(page.locator("#ask-status")).to_have_text("Respuesta lista.")
    expect(page.locator("#triage")).to_be_visible()
    expect(page.locator("#triage-title")).to_have_text("Urgencia: busca ayuda ya")
    expect(page.locator("#triage-message")).to_contain_text("llama al 112")


def test_the_picker_switches_to_arabic_right_to_left(english_page: object, server: Server) -> None:
    from playwright.sync_api import Page, expect

    page = english_page
    assert isinstance(page, Page)
    page.goto(server.url + "/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    heading = page.locator("#ask-heading")
    assert page.evaluate(_TEXT_SIDE, "ask-heading") == "start-left"
    page.locator("#lang-picker").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(heading).to_have_text("اطرح سؤالًا")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # Mirrored: the heading's words now start against the right edge of its box, and
    # nothing hidden off the start edge widens the page.
    assert page.evaluate(_TEXT_SIDE, "ask-heading") == "start-right"
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]

    page.get_by_label("سؤالك، أو ما يحدث معك").fill("لا أستطيع التبول منذ الصباح وظهري يؤلمني")
    page.get_by_role("button", name="اسأل").click()
    expect(page.locator("#ask-status")).to_have_text("الإجابة جاهزة.")
    expect(page.locator("#triage-title")).to_have_text("حالة طارئة: اطلب المساعدة الآن")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "arabic-rtl.png"), full_page=True)

    # The choice is kept: a reload stays in Arabic although the browser prefers English.
    page.reload()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_an_unsupported_language_shows_unchecked_not_self_care(
    english_page: object, server: Server
) -> None:
    from playwright.sync_api import Page, expect

    page = english_page
    assert isinstance(page, Page)
    page.goto(server.url + "/")
    page.get_by_label("Your question, or what is happening").fill(
        "میرے کمر میں بہت درد ہے اور میں پیشاب نہیں کر سکتا"
    )
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#ask-status")).to_have_text("Answer ready.")
    expect(page.locator("#triage")).to_be_visible()
    expect(page.locator("#triage-title")).to_have_text("Warning signs not checked")
    expect(page.locator("#triage-message")).to_contain_text("999")
