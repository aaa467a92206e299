"""Language identification and the choice of red-flag rule sets (backcare.language)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare.language import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    detect_language,
    language_name,
    triage_plan,
)
from backcare.model import DetectedLanguage

AVAILABLE = frozenset(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("my lower back has been in spasm since this morning", "en"),
        ("no puedo controlar la vejiga desde ayer", "es"),
        ("je n'arrive plus à uriner depuis hier soir", "fr"),
        ("seit gestern kann ich nicht mehr pinkeln", "de"),
        ("nie czuję krocza od rana", "pl"),
        ("não consigo urinar desde ontem", "pt"),
        ("لا أستطيع التبول منذ الصباح", "ar"),
    ],
)
def test_supported_languages_are_recognised(text: str, code: str) -> None:
    found = detect_language(text)
    assert (found.code, found.supported, found.reliable) == (code, True, True)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("میں پیشاب نہیں کر سکتا اور کمر میں درد ہے", "ur"),
        ("mi fa molto male la schiena da tre giorni", "it"),
    ],
)
def test_other_languages_are_told_apart_from_supported_ones(text: str, code: str) -> None:
    found = detect_language(text)
    assert (found.code, found.supported, found.reliable) == (code, False, True)


@pytest.mark.parametrize("text", ["", "ok", "?!", "12345", "hello", "dolor"])
def test_short_or_ambiguous_text_falls_back_to_english(text: str) -> None:
    found = detect_language(text)
    assert (found.code, found.reliable) == (DEFAULT_LANGUAGE, False)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_detection_never_fails_and_always_names_a_code(text: str) -> None:
    found = detect_language(text)
    assert len(found.code) == 2 and 0.0 <= found.confidence <= 1.0
    if not found.reliable:
        assert found.code == DEFAULT_LANGUAGE


def _found(code: str, *, reliable: bool = True) -> DetectedLanguage:
    return DetectedLanguage(
        code=code, supported=code in AVAILABLE, confidence=0.9, reliable=reliable
    )


def test_a_served_language_replies_in_itself_and_every_set_still_runs() -> None:
    plan = triage_plan(_found("es"), AVAILABLE)
    assert (plan.reply, plan.run[:2], plan.unchecked) == ("es", ("es", "en"), None)
    assert set(plan.run) == AVAILABLE


def test_unreliable_detection_runs_every_rule_set() -> None:
    plan = triage_plan(_found("en", reliable=False), AVAILABLE)
    assert plan.reply == "en" and set(plan.run) == AVAILABLE and plan.unchecked is None


def test_an_unsupported_language_runs_every_set_and_is_marked_unchecked() -> None:
    plan = triage_plan(_found("ur"), AVAILABLE)
    assert plan.reply == "en" and set(plan.run) == AVAILABLE and plan.unchecked == "ur"


def test_an_override_sets_the_reply_but_never_narrows_the_check() -> None:
    plan = triage_plan(_found("pl"), AVAILABLE, override="de")
    assert plan.reply == "de" and {"de", "pl", "en"} <= set(plan.run)


def test_an_override_without_rules_is_refused() -> None:
    with pytest.raises(ValueError, match="no red-flag rules in language 'xx'"):
        triage_plan(_found("en"), AVAILABLE, override="xx")


def test_language_names() -> None:
    assert (language_name("ur"), language_name("zz")) == ("Urdu", "zz")
