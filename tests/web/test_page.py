"""The web page in a real browser: Debian's chromium, driven by Playwright.

Each server is ``python -m backcare serve`` in a subprocess on a free port, as
datasette's ``tests/test_playwright.py`` does. Screenshots go to the
git-ignored ``artifacts/web/`` folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from backcare import SqlFeedbackStore
from tests.web.support import ARTIFACTS, EMERGENCY, SCRIPT_QUESTION, Server, _ask

pytestmark = pytest.mark.playwright


def test_ask_a_question_and_see_the_answer_and_its_source(page: object, server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, server, "how long do back spasms last")
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#answer-question")).not_to_be_empty()
    expect(page.locator("#answer-text")).not_to_be_empty()
    expect(page.locator("#answer-confidence")).to_contain_text("Confidence:")
    source = page.locator("#answer-sources a").first
    expect(source).to_be_visible()
    assert (source.get_attribute("href") or "").startswith("https://")
    expect(page.locator("#triage")).to_be_hidden()
    related = page.locator("#related-list a")
    expect(related.first).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)

    # A related question is a real link that asks that question in place.
    question = related.first.inner_text()
    related.first.click()
    expect(page.locator("#q")).to_have_value(question)
    expect(page.locator("#ask-status")).to_have_text("Answer ready.")
    assert "#q=" in page.url


def test_a_question_in_the_url_is_asked_on_load(page: object, server: Server) -> None:
    """The question rides in the fragment, so it never reaches the server's access log."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(server.url + "/#q=ice%20or%20heat%20for%20a%20back%20spasm")
    expect(page.locator("#ask-status")).to_have_text("Answer ready.")
    expect(page.locator("#q")).to_have_value("ice or heat for a back spasm")
    assert "heat" not in server.log.read_text(errors="replace")


def test_an_emergency_banner_shows_above_the_answer(page: object, server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, server, EMERGENCY)
    banner = page.locator("#triage")
    expect(banner).to_be_visible()
    expect(banner).to_have_class("triage triage-emergency")
    expect(banner).to_have_attribute("role", "alert")
    expect(page.get_by_role("alert")).to_contain_text("Emergency")
    expect(banner).to_contain_text("999")
    expect(page.locator("#triage-flags li").first).to_contain_text("You said:")
    banner_box = banner.bounding_box()
    result_box = page.locator("#result").bounding_box()
    assert banner_box is not None and result_box is not None
    assert banner_box["y"] + banner_box["height"] <= result_box["y"], "banner is above"
    assert banner_box["y"] < 900, "the banner is on the first screen"
    # The page's own colours make it loud: white on red.
    colour = banner.evaluate("node => getComputedStyle(node).backgroundColor")
    assert colour == "rgb(176, 0, 32)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "emergency.png"), full_page=True)


def test_feedback_is_recorded(page: object, server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, server, "which sleeping position is best with a sore lower back")
    page.get_by_role("button", name="Not helpful").click()
    expect(page.locator("#feedback-status")).to_have_text("Thank you, your feedback was recorded.")
    expect(page.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    rows = SqlFeedbackStore(f"sqlite:///{server.data_dir / 'backcare.db'}").recent()
    assert rows[0].rating == "not_helpful"
    assert rows[0].query == "which sleeping position is best with a sore lower back"


def test_the_care_plan_form_makes_a_plan_and_a_calendar_file(
    page: object, server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(server.url + "/")
    onset = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
    page.get_by_label("When did it start?").fill(onset.isoformat())
    page.get_by_label("Your age (optional)").fill("42")
    page.get_by_role("button", name="Make my plan").click()
    expect(page.locator("#plan-status")).to_have_text("Your plan is ready.")
    expect(page.locator("#plan-headline")).not_to_be_empty()
    expect(page.locator("#plan-today")).to_contain_text("day 2")
    expect(page.locator("#plan-days li").first).to_be_hidden()
    page.get_by_text("Day by day (").click()
    expect(page.locator("#plan-days li").first).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the plan for your calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == "backcare-care-plan.ics"
    target = tmp_path / "plan.ics"
    download.save_as(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "careplan.png"), full_page=True)


def test_the_page_works_with_the_keyboard_alone(page: object, server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(server.url + "/")
    keyboard = page.keyboard

    def focused() -> str:
        return str(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.id || e.dataset.rating || e.textContent.trim() || e.tagName; }"
            )
        )

    keyboard.press("Tab")
    assert focused() == "Skip to the question box"
    keyboard.press("Enter")
    assert focused() == "q"
    keyboard.type("what can I do right now for a back spasm")
    keyboard.press("Enter")
    expect(page.locator("#ask-status")).to_have_text("Answer ready.")

    # Tab forward to the first rating button: every stop on the way is visible.
    for _ in range(30):
        keyboard.press("Tab")
        visible = page.evaluate(
            "() => { const r = document.activeElement.getBoundingClientRect();"
            " return r.width > 0 && r.height > 0; }"
        )
        assert visible, f"focus went to something invisible: {focused()}"
        if focused() == "helpful":
            break
    else:
        pytest.fail("the rating buttons cannot be reached with Tab")
    keyboard.press("Enter")
    expect(page.locator("#feedback-status")).to_contain_text("Thank you")

    # On to the care-plan form, typed like a person would (en-US: mm dd yyyy).
    for _ in range(10):
        keyboard.press("Tab")
        if focused() == "onset":
            break
    onset = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    keyboard.type(onset.strftime("%m%d%Y"))
    assert page.locator("#onset").input_value() == onset.isoformat()
    # The date's month, day and year may be tab stops of their own.
    for _ in range(6):
        keyboard.press("Tab")
        if focused() == "age":
            break
    assert focused() == "age"
    keyboard.type("35")
    keyboard.press("Tab")
    assert focused() == "plan-button"
    keyboard.press("Enter")
    expect(page.locator("#plan-status")).to_have_text("Your plan is ready.")
    for _ in range(10):
        keyboard.press("Tab")
        if focused() == "plan-ics":
            break
    with page.expect_download():
        keyboard.press("Enter")
    ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", "keyboard focus is visible"


def test_the_page_fits_a_phone(browser: object, server: Server) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        _ask(page, server, EMERGENCY)
        expect(page.locator("#triage")).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways ({width} px)"
        font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    finally:
        context.close()


def test_knowledge_base_markup_is_shown_as_text(page: object, script_server: Server) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, script_server, SCRIPT_QUESTION)
    expect(page.locator("#answer-question")).to_have_text(SCRIPT_QUESTION)
    expect(page.locator("#answer-text")).to_contain_text("<script>window.__pwned = 2</script>")
    expect(page.locator("#answer-text")).to_contain_text('<img src="x"')
    expect(page.locator("#answer-sources")).to_contain_text("<script>window.__pwned = 4</script>")
    assert page.locator("#result script, #result img").count() == 0
    assert page.locator("#answer-sources a").count() == 0, "a javascript: URL is not a link"
    assert page.evaluate("() => window.__pwned") is None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "markup-as-text.png"), full_page=True)
