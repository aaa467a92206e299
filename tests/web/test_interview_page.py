"""The red-flag interview on the page, in Chromium: follow-up questions in the banner,
and the "check my warning signs" checklist before any question."""

from __future__ import annotations

import pytest

from tests.web.support import ARTIFACTS, Server, _ask

pytestmark = pytest.mark.playwright

CALF = "shooting pain down to my calf on the left"
BOTH_LEGS = "Are both of your legs painful, tingling, numb or weak?"
LEG_WEAKNESS = (
    "Is a leg getting weaker or giving way, or does a foot drag, catch or slap the floor "
    "when you walk?"
)


def test_answering_the_follow_up_questions_updates_the_banner_in_place(
    page: object, server: Server
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, server, CALF)
    banner = page.locator("#triage")
    expect(banner).to_have_class("triage triage-doctor")
    form = banner.locator("#follow-up")
    expect(form).to_be_visible()
    legend = "A few questions to tell how urgent this is"
    expect(form.get_by_role("group", name=legend)).to_be_visible()
    questions = form.locator("fieldset.question")
    expect(questions).to_have_count(2)
    # Each yes/no pair is a group named by its question, so it is announced with it.
    both = form.get_by_role("group", name=BOTH_LEGS)
    weak = form.get_by_role("group", name=LEG_WEAKNESS)
    answer_box = page.locator("#result").bounding_box()
    form_box = form.bounding_box()
    assert answer_box is not None and form_box is not None
    assert form_box["y"] + form_box["height"] <= answer_box["y"], "the questions come first"

    # Submitting nothing is refused with a message, not sent.
    form.get_by_role("button", name="Check my answers").click()
    expect(page.locator("#follow-up-status")).to_have_text("Answer at least one question first.")

    # One answer: still a doctor's level, and the unanswered question stays.
    both.get_by_label("No").check()
    form.get_by_role("button", name="Check my answers").click()
    expect(page.locator("#follow-up-status")).to_contain_text("Your answers were checked")
    expect(banner).to_have_class("triage triage-doctor")
    expect(questions).to_have_count(1)
    expect(form.get_by_role("group", name=LEG_WEAKNESS)).to_be_visible()

    # A yes, answered with the keyboard alone, makes it an emergency.
    weak.get_by_label("Yes").focus()
    page.keyboard.press("Space")
    expect(weak.get_by_label("Yes")).to_be_checked()
    # Tab leaves the radio group (arrow keys move inside it) for the button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "follow-up-submit"
    page.keyboard.press("Enter")
    expect(banner).to_have_class("triage triage-emergency")
    expect(banner).to_have_attribute("role", "alert")
    expect(page.locator("#triage-title")).to_have_text("Emergency: get help now")
    expect(page.locator("#triage-message")).to_contain_text("999")
    expect(page.locator("#triage-flags")).to_contain_text("You answered yes:")
    expect(form).to_be_hidden()
    # Focus moves to the banner, so a screen reader reads the new level.
    assert page.evaluate("document.activeElement.id") == "triage"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "follow-up-emergency.png"), full_page=True)


def test_answering_no_to_everything_keeps_the_level_the_words_gave(
    page: object, server: Server
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _ask(page, server, CALF)
    form = page.locator("#follow-up")
    for group in form.locator("fieldset.question").all():
        group.get_by_label("No").check()
    form.get_by_role("button", name="Check my answers").click()
    expect(page.locator("#ask-status")).to_contain_text("Your answers were checked")
    expect(page.locator("#triage")).to_have_class("triage triage-doctor")
    expect(form).to_be_hidden()


def test_check_my_warning_signs_offers_the_whole_checklist_first(
    page: object, server: Server
) -> None:
    import httpx
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expected = httpx.get(f"{server.url}/v1/triage/questions").json()["questions"]
    page.goto(server.url + "/")
    button = page.get_by_role("button", name="Check my warning signs")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    section = page.locator("#signs")
    expect(section).to_be_visible()
    groups = section.locator("fieldset.question")
    expect(groups).to_have_count(len(expected))
    expect(groups.first.locator("legend")).to_have_text(expected[0]["question"])
    expect(page.locator("#triage")).to_be_hidden()

    # No to everything: the banner says self-care (shown, since it holds the result).
    for group in groups.all():
        group.get_by_label("No").check()
    section.get_by_role("button", name="Check my answers").click()
    banner = page.locator("#triage")
    expect(banner).to_be_visible()
    expect(banner).to_have_class("triage triage-self_care")
    expect(page.locator("#triage-title")).to_have_text("Self-care")

    # Changing one answer to yes turns the same banner into an emergency.
    saddle = next(q for q in expected if q["id"] == "saddle_numbness")
    section.get_by_role("group", name=saddle["question"]).get_by_label("Yes").check()
    section.get_by_role("button", name="Check my answers").click()
    expect(banner).to_have_class("triage triage-emergency")
    expect(page.locator("#triage-flags li")).to_have_count(1)
    expect(page.locator("#signs-status")).to_contain_text("Your answers were checked")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "warning-signs.png"), full_page=True)


def test_the_checklist_in_arabic_is_right_to_left_and_translated(
    page: object, server: Server
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(server.url + "/")
    page.locator("#lang-picker").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_role("button", name="افحص علامات الخطر لدي").click()
    groups = page.locator("#signs fieldset.question")
    expect(groups.first).to_be_visible()
    expect(groups.first.get_by_label("نعم")).to_be_visible()
    legend = groups.first.locator("legend")
    expect(legend).to_contain_text("الصدر")
    assert legend.evaluate("node => getComputedStyle(node).direction") == "rtl"
    # "Yes" sits to the right of "No" on a right-to-left page.
    yes = groups.first.get_by_label("نعم").bounding_box()
    no = groups.first.get_by_label("لا", exact=True).bounding_box()
    assert yes is not None and no is not None and yes["x"] > no["x"]
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    groups.first.get_by_label("نعم").check()
    page.get_by_role("button", name="افحص إجاباتي").click()
    expect(page.locator("#triage-title")).to_have_text("حالة طارئة: اطلب المساعدة الآن")
