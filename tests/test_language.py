"""Language identification and the choice of red-flag rule sets (backcare.language)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare.knowledge.pack import KnowledgePack
from backcare.language import (
    CONFIG,
    DEFAULT_LANGUAGE,
    ENGLISH_MARKERS,
    SUPPORTED_LANGUAGES,
    IdentifierConfig,
    LanguageIdentifier,
    detect_language,
    language_name,
    triage_plan,
)
from backcare.model import DetectedLanguage, TriageLevel
from backcare.service import triage_text
from tests.conftest import read_jsonl

AVAILABLE = frozenset(SUPPORTED_LANGUAGES)
REPO = Path(__file__).resolve().parents[1]
I18N = REPO / "eval" / "i18n"
UNSUPPORTED = read_jsonl(I18N / "unsupported" / "messages.jsonl")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("my lower back has been in spasm since this morning", "en"),
        ("no puedo controlar la vejiga desde ayer", "es"),
        ("je n'arrive plus à uriner depuis hier soir", "fr"),
        ("seit gestern kann ich nicht mehr pinkeln", "de"),
        ("nie czuję krocza od rana", "pl"),
        ("não consigo urinar desde ontem e as costas doem muito", "pt"),
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


@pytest.mark.parametrize("text", ["", "ok", "?!", "12345", "hello", "hola", "ciao"])
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


# Set-level figures: floors a little under what benchmarks/bench_language.py
# --candidates measured for the configuration in use (docs/languages.md), so
# that a change of mode, language list or lingua version that loses ground fails.


def _notice(found: DetectedLanguage) -> bool:
    """Whether ``triage_plan`` will mark the message unchecked (the notice)."""
    return found.reliable and found.code not in AVAILABLE


def _identified(path: Path) -> float:
    rows = read_jsonl(path)
    return sum(detect_language(str(row["q"])).code == row["lang"] for row in rows) / len(rows)


@pytest.mark.parametrize(
    ("name", "floor"),
    # measured: ar 1.000, de 0.976, es 0.929, fr 0.857, pl 0.976, pt 0.952, held-out 0.958
    [
        ("red_flags_ar.jsonl", 0.97),
        ("red_flags_de.jsonl", 0.95),
        ("red_flags_es.jsonl", 0.90),
        ("red_flags_fr.jsonl", 0.83),
        ("red_flags_pl.jsonl", 0.95),
        ("red_flags_pt.jsonl", 0.92),
        ("holdout/red_flags_holdout.jsonl", 0.93),
    ],
)
def test_supported_languages_are_identified_on_the_repo_sets(name: str, floor: float) -> None:
    assert _identified(I18N / name) >= floor


def test_english_messages_are_english_and_never_get_the_notice() -> None:
    rows = read_jsonl(REPO / "tests" / "triage_cases.jsonl")
    found = [detect_language(str(row["q"])) for row in rows]
    assert sum(f.code == DEFAULT_LANGUAGE for f in found) / len(rows) >= 0.98  # measured 1.0
    assert not any(_notice(f) for f in found)


def _lines(*patterns: str) -> list[str]:
    found = [
        str(row["q"]) for p in patterns for path in sorted(REPO.glob(p)) for row in read_jsonl(path)
    ]
    return list(dict.fromkeys(found))


def test_short_english_questions_are_rarely_read_as_another_language() -> None:
    # Low-accuracy lingua alone read 82 of these ~4,800 lines as German, Dutch,
    # French...; the English marker words leave 17, mostly gibberish and off-topic.
    lines = _lines("tuning/*.jsonl", "eval/triage/*.jsonl", "eval/i18n/questions_en.jsonl")
    misread = [q for q in lines if (f := detect_language(q)).reliable and f.code != "en"]
    assert len(lines) >= 4500 and len(misread) <= 20, misread
    assert detect_language("swollen ankles when pregnant").code == DEFAULT_LANGUAGE


def test_no_message_in_another_language_holds_an_english_marker_word() -> None:
    lines = [
        str(row["q"])
        for path in sorted(I18N.rglob("*.jsonl"))
        for row in read_jsonl(path)
        # a code-switched line holds an English word on purpose ("كأنه numb")
        if row.get("lang") not in (None, "en") and row.get("kind") != "code_switch"
    ]
    # Letters with marks belong to the word: "força" must not read as "for".
    word = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
    words = {w for line in lines for w in word.findall(line.lower().replace("\u2019", "'"))}
    assert len(lines) >= 700 and not ENGLISH_MARKERS & words, ENGLISH_MARKERS & words


def test_few_messages_in_a_served_language_are_told_they_were_not_checked() -> None:
    """Low-accuracy mode reads a few short served-language lines as a neighbour
    without rules (Spanish as Catalan, Polish as Turkish): 5 of the first 300
    measured, 10 of 720 with the fresh test sets of eval/i18n/test."""
    rows = [row for path in sorted(I18N.rglob("red_flags*_*.jsonl")) for row in read_jsonl(path)]
    wrong = [row["q"] for row in rows if _notice(detect_language(str(row["q"])))]
    assert len(rows) >= 600 and len(wrong) <= 0.02 * len(rows), wrong


def test_unsupported_languages_get_the_notice() -> None:
    core = [row for row in UNSUPPORTED if "group" not in row]
    missed = [row for row in core if not _notice(detect_language(str(row["q"])))]
    # measured 2 of 102 missed (an Italian and a Romanian line read as Portuguese)
    assert len(core) >= 100 and len(missed) <= 3, missed
    # the issue-17 community languages and every non-Latin script: none missed
    for row in core:
        if row["lang"] in {"ur", "pa", "bn", "hi", "gu", "zh", "ru", "uk", "fa"}:
            assert _notice(detect_language(str(row["q"]))), row


def test_more_uk_languages_get_the_notice() -> None:
    wider = [row for row in UNSUPPORTED if row.get("group") == "wider"]
    noticed = sum(_notice(detect_language(str(row["q"]))) for row in wider)
    assert noticed >= 8  # measured 9 of 10 (Welsh read as Dutch still noticed)


@pytest.mark.parametrize(
    "row",
    # the first line of each language (the two measured misses are later lines)
    list({row["lang"]: row for row in reversed(UNSUPPORTED) if "group" not in row}.values()),
    ids=lambda row: f"{row['lang']}",
)
def test_an_unsupported_language_reply_says_warning_signs_were_not_checked(
    pack: KnowledgePack, row: dict[str, str]
) -> None:
    result = triage_text(pack, row["q"])
    assert result.checked is False and "NOT checked" in result.message
    assert "999" in result.message
    assert "Nothing you wrote points to a warning sign" not in result.message


def test_a_served_line_read_as_another_language_keeps_its_flags(pack: KnowledgePack) -> None:
    """Identification picks the wording only: a Polish emergency that low-accuracy
    mode reads as Turkish is still an emergency, with the notice on top."""
    text = "Straciłam kontrolę nad stolcem, mam silny ból lędźwi"
    result = triage_text(pack, text)
    assert result.level is TriageLevel.EMERGENCY and result.flags
    assert set(result.languages) == AVAILABLE


def test_the_configuration_recognises_the_issue_17_languages() -> None:
    assert CONFIG.low_accuracy and not CONFIG.lazy
    assert {"ur", "pa", "bn", "ro", "it", "nl", "tr", "ru", "zh", "hi"} <= set(CONFIG.languages)


def test_warm_up_builds_the_detector_and_a_cheap_test_can_skip_it() -> None:
    warmed = LanguageIdentifier(IdentifierConfig())
    assert not warmed.loaded
    warmed.warm_up()
    assert warmed.loaded
    skipping = LanguageIdentifier(IdentifierConfig(lazy=True), plainly_english=lambda _: True)
    found = skipping.detect("me duele mucho la espalda")
    assert (found.code, found.reliable, skipping.loaded) == ("en", True, False)


def test_short_red_flag_wording_in_english_is_read_as_english() -> None:
    # "wet myself" was read as Dutch: the reply said the message could not be
    # checked while the English rules had found an emergency in it.
    for message in ("wet myself", "legs numb", "can't feel my bladder", "peed myself"):
        assert detect_language(message).code == DEFAULT_LANGUAGE, message
