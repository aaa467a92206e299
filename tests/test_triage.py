"""Red-flag triage over the shipped rules: cases, the dev set, properties and speed."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare.knowledge.rules import load_red_flags
from backcare.model import RedFlagRules, Source, TriageLevel
from backcare.triage import triage

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
CASES = Path(__file__).with_name("triage_cases.jsonl")
DEV_RED_FLAGS = REPO.parent / "shared" / "eval" / "dev_red_flags.jsonl"


def _sources() -> dict[int, Source]:
    """The pack's sources, or stand-ins while sources.yaml is not there."""
    path = CONTENT / "sources.yaml"
    if path.exists():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
        return {int(number): Source.model_validate(item) for number, item in raw.items()}
    return {
        number: Source(title=f"source {number}", url="https://example.org")
        for number in range(1, 44)
    }


@pytest.fixture(scope="module")
def rules() -> RedFlagRules:
    return load_red_flags(CONTENT / "red_flags.yaml", _sources())


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


CASE_ROWS = _rows(CASES)


@pytest.mark.parametrize("case", CASE_ROWS, ids=[str(row["q"])[:60] for row in CASE_ROWS])
def test_case(rules: RedFlagRules, case: dict[str, object]) -> None:
    result = triage(str(case["q"]), rules)
    fired = [flag.id for flag in result.flags]
    assert result.level.value == case["level"], fired
    for flag_id in case["flags"]:  # type: ignore[attr-defined]
        assert flag_id in fired


def test_cases_cover_every_rule(rules: RedFlagRules) -> None:
    expected = {flag for row in CASE_ROWS for flag in row["flags"]}  # type: ignore[attr-defined]
    assert {rule.id for rule in rules.rules} <= expected
    assert len(CASE_ROWS) >= 80
    assert sum(row["level"] == "self_care" for row in CASE_ROWS) >= 25


def _dev_rows() -> list[dict[str, object]]:
    if not DEV_RED_FLAGS.exists():
        return []
    return _rows(DEV_RED_FLAGS)


@pytest.mark.skipif(not DEV_RED_FLAGS.exists(), reason="shared/eval is not beside the repo")
@pytest.mark.parametrize("row", _dev_rows(), ids=[str(row["q"])[:60] for row in _dev_rows()])
def test_dev_red_flags_reach_their_level(rules: RedFlagRules, row: dict[str, object]) -> None:
    result = triage(str(row["q"]), rules)
    assert result.level.rank >= TriageLevel(row["level"]).rank
    if row["level"] == "self_care":  # over-triage of a plain spasm is the second-worst error
        assert result.level is TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # lay and clinical wording named in the issue
        ("can't pee", "emergency"),
        ("I wet myself", "emergency"),
        ("numb bum", "emergency"),
        ("saddle anaesthesia", "emergency"),
        ("legs gone weak", "emergency"),
        ("foot dragging", "emergency"),
        ("fell off a ladder", "emergency"),
        # negation and its scope
        ("no numbness", "self_care"),
        ("bladder is fine", "self_care"),
        ("not feverish", "self_care"),
        ("I don't have any tingling or weakness", "self_care"),
        ("no numbness, tingling or weakness in my legs", "self_care"),
        ("no fever, can't pee", "emergency"),
        ("no fever and no numbness, but now I can't feel my bum", "emergency"),
        ("I'm not sure but I think I wet myself", "emergency"),
        # history and other people
        ("my dad had cancer", "self_care"),
        ("I had cancer two years ago", "urgent"),
        ("my mum had cancer and I had breast cancer too", "urgent"),
        ("my mum has osteoporosis and I slipped", "self_care"),
        # ages and durations in words and digits
        ("I'm 72", "doctor"),
        ("I'm seventy-two and my back went yesterday", "doctor"),
        ("for six weeks my back has hurt", "doctor"),
        ("my back has been sore for 6 weeks", "doctor"),
        ("my back has been sore for 2 weeks", "self_care"),
        ("I'm 32 weeks pregnant and my back aches", "self_care"),
        # curly apostrophes and capitals read like straight ones
        ("I CAN\u2019T PEE", "emergency"),
    ],
)
def test_issue_examples(rules: RedFlagRules, text: str, level: str) -> None:
    assert triage(text, rules).level.value == level


def test_several_flags_are_all_listed_with_evidence(rules: RedFlagRules) -> None:
    text = "Had bowel cancer in 2019, running a fever, and since yesterday I can't pee"
    result = triage(text, rules)
    assert result.level is TriageLevel.EMERGENCY
    evidence = {flag.id: flag.evidence for flag in result.flags}
    assert evidence == {
        "cauda_equina": "can't pee",
        "fever_unwell": "fever",
        "cancer_history": "Had bowel cancer",
    }
    # most urgent first
    assert [flag.level.rank for flag in result.flags] == sorted(
        (flag.level.rank for flag in result.flags), reverse=True
    )


@pytest.mark.parametrize("row", CASE_ROWS[:60], ids=[str(row["q"])[:40] for row in CASE_ROWS[:60]])
def test_evidence_is_in_the_persons_own_words(rules: RedFlagRules, row: dict[str, object]) -> None:
    text = str(row["q"])
    for flag in triage(text, rules).flags:
        for part in flag.evidence.split(" ... "):
            assert part and part in text


def test_emergency_message_opens_with_the_call_999_sentence(rules: RedFlagRules) -> None:
    for text in ("can't pee", "I want to kill myself", "sudden tearing pain in my back"):
        message = triage(text, rules).message
        first_sentence = message.split("\n")[0].split(". ")[0]
        assert "999" in first_sentence and "A&E now" in first_sentence
        assert "112" in first_sentence and "911" in first_sentence


def test_rule_actions_follow_the_headline(rules: RedFlagRules) -> None:
    aortic = triage("sudden tearing pain in my back and belly", rules).message.split("\n")
    assert aortic[0].startswith("This could be an emergency")
    assert "ambulance" in aortic[1] and "driving" in aortic[1]
    labour = triage("pregnant, backache and some bleeding", rules)
    assert labour.level is TriageLevel.URGENT
    assert "maternity unit" in labour.message.split("\n")[1]


def test_crisis_points_to_crisis_contacts(rules: RedFlagRules) -> None:
    result = triage("some days I want to die because of this back", rules)
    assert result.level is TriageLevel.EMERGENCY
    assert "Samaritans" in result.message and "confirmed at release" in result.message


def test_self_care_message_still_says_when_to_get_help(rules: RedFlagRules) -> None:
    result = triage("my back seized up tying my shoes", rules)
    assert result.level is TriageLevel.SELF_CARE and result.flags == ()
    assert "999" in result.message


# --- properties -------------------------------------------------------------

# Symptom noun phrases that read as a denial after "no" / "I don't have any".
SYMPTOMS = [
    "numbness around my groin",
    "tingling in my bum",
    "pins and needles between my legs",
    "bladder problems",
    "trouble peeing",
    "weakness in my legs",
    "tingling down both legs",
    "chest pain",
    "tightness in my chest",
    "fever",
    "high temperature",
    "shivers",
    "history of cancer",
    "pain between my shoulder blades",
    "osteoporosis",
    "weight loss without trying",
    "pain below the knee",
    "pain running down to my foot",
    "lump on my spine",
    "bowel problems",
    "numbness in my feet",
]
NEGATIONS = ["no", "I don't have any", "there's no", "not any", "never had any", "without any"]
CONTEXTS = [
    ("my back spasmed this morning,", ""),
    ("", ", just a sore lower back"),
    ("lower back went when I lifted the kettle and", ""),
    ("", " and the heat pad helps"),
    ("", ""),
]
EMERGENCY_PHRASES = [
    "I can't pee",
    "numb bum and groin",
    "both legs have gone numb",
    "my foot is dragging",
    "I fell off a ladder",
    "crushing pain in my chest",
    "I passed out",
    "I wet myself",
]
FILLER = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)


@settings(max_examples=300, deadline=None)
@given(
    symptom=st.sampled_from(SYMPTOMS),
    negation=st.sampled_from(NEGATIONS),
    context=st.sampled_from(CONTEXTS),
    before=FILLER,
)
def test_negating_a_trigger_never_raises_the_level(
    rules: RedFlagRules, symptom: str, negation: str, context: tuple[str, str], before: str
) -> None:
    head, tail = context
    plain = f"{before}. {head} {symptom}{tail}"
    negated = f"{before}. {head} {negation} {symptom}{tail}"
    assert triage(negated, rules).level.rank <= triage(plain, rules).level.rank


@settings(max_examples=300, deadline=None)
@given(
    symptom=st.sampled_from(SYMPTOMS),
    negation=st.sampled_from(NEGATIONS),
    context=st.sampled_from(CONTEXTS),
)
def test_a_negated_symptom_alone_stays_self_care(
    rules: RedFlagRules, symptom: str, negation: str, context: tuple[str, str]
) -> None:
    head, tail = context
    assert triage(f"{head} {negation} {symptom}{tail}", rules).level is TriageLevel.SELF_CARE


@settings(max_examples=300, deadline=None)
@given(text=FILLER, phrase=st.sampled_from(EMERGENCY_PHRASES))
def test_appending_an_emergency_phrase_never_lowers_the_level(
    rules: RedFlagRules, text: str, phrase: str
) -> None:
    before = triage(text, rules).level
    after = triage(f"{text}. {phrase}", rules).level
    assert after is TriageLevel.EMERGENCY
    assert after.rank >= before.rank


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=400))
def test_arbitrary_text_never_raises(rules: RedFlagRules, text: str) -> None:
    result = triage(text, rules)
    assert result.level is TriageLevel.most_urgent([flag.level for flag in result.flags])
    assert result.message


def test_triage_is_fast(rules: RedFlagRules) -> None:
    text = (
        "My back went when I picked up the kettle this morning, no numbness or tingling, "
        "peeing normally, legs fine, I'm 45 and it's been sore for two days now, heat helps "
        "a bit, what should I do next?"
    )
    assert 180 <= len(text) <= 220
    triage(text, rules)  # compile once per rules object
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        triage(text, rules)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001
