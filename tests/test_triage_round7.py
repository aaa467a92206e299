"""Round 7 of issue 14: classes of error fixed in the code paths, each with its own test.

Each test names the class it guards (docs/triage.md, "Round 7"); the wordings
were written for this file, not taken from any eval set.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.retrieval.dense import Encoder
from backcare.service import triage_text
from backcare.triage._negation import ScopeReader, normalise


def _negated(pack: KnowledgePack, text: str, word: str) -> bool:
    scope = ScopeReader(pack.red_flags.language)
    folded = normalise(text).text
    start = folded.rindex(word)
    return scope.is_negated(folded, start, start + len(word))


# --- class 1: a denial covers a coordinated list --------------------------------

COORDINATED_DENIALS = (
    ("I have not had any trouble at all with my bladder or my bowels", "bowels"),
    ("I've not had any trouble with my waterworks or my bowels", "bowels"),
    ("not had any problems with peeing or with my bowels", "bowels"),
    ("I haven't had any problems with my bladder, bowels or legs", "bowels"),
    ("I haven't had any problems with my bladder and my bowels", "bowels"),
    ("no leaking, dribbling or trouble starting", "dribbling"),
    ("there is no numbness in my bum nor my legs", "legs"),
)


@pytest.mark.parametrize(("text", "word"), COORDINATED_DENIALS)
def test_a_denial_covers_the_later_items_of_its_list(
    pack: KnowledgePack, text: str, word: str
) -> None:
    assert _negated(pack, text, word)


@pytest.mark.parametrize(("text", "_word"), COORDINATED_DENIALS)
def test_coordinated_denials_stay_self_care_through_every_layer(
    pack: KnowledgePack, real_encoder: Encoder, text: str, _word: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert result.level is TriageLevel.SELF_CARE, result.flags


# An "and" joins clauses as often as nouns: a symptom after it, or a clause
# that goes on after the noun, is still reported.
@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("I have no fever and numb bum", "numb"),
        ("no fever and my legs are numb", "legs"),
        ("no fever, numb bum", "numb"),
        ("no pain in my back and numb bum", "numb"),
        ("no fever or chills and my bladder has stopped working", "bladder"),
        ("no position is comfortable, even lying still, day or night", "day"),
    ],
)
def test_and_or_a_verb_ends_the_list(pack: KnowledgePack, text: str, word: str) -> None:
    assert not _negated(pack, text, word)


@pytest.mark.parametrize(
    "text",
    [
        "I don't have feeling in the place between the legs",
        "I haven't got any feeling in my bum",
        "I don't have any feeling down there",
    ],
)
def test_not_having_feeling_is_a_loss_not_a_denial(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    assert triage_text(pack, text, encoder=real_encoder).level is TriageLevel.EMERGENCY


# --- class 2: a statement of normal function fires nothing; a denied one still reports --

NORMAL_FUNCTION = (
    "I can still feel everything down there",
    "my bladder and bowels are working as usual",
    "my legs still work fine",
    "bladder and bowels fine",
    "wees and poos as per usual",
)


@pytest.mark.parametrize("text", NORMAL_FUNCTION)
def test_normal_function_stated_in_other_words_stays_self_care(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert result.level is TriageLevel.SELF_CARE, result.flags


@pytest.mark.parametrize(
    "text",
    [
        "my bladder is not working as usual",
        "my bladder doesn't feel normal since the spasm",
        "I can feel tingling down there",
    ],
)
def test_a_denied_reassurance_reassures_nothing(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert result.level is TriageLevel.EMERGENCY, result.flags


def test_the_layers_read_reassurance_polarity_from_the_scope(pack: KnowledgePack) -> None:
    from backcare.triage.semantic import SemanticDetector

    assert pack.semantic_examples is not None and pack.semantic_params is not None
    detector = SemanticDetector(pack.semantic_examples, pack.semantic_params, pack.red_flags)
    scope = ScopeReader(pack.red_flags.language)
    assert not detector.candidates(normalise("my bladder is working as usual"), scope)
    assert detector.candidates(normalise("my bladder is not working as usual"), scope)


# --- class 3: number; one leg is not both legs ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "my leg went to sleep when I sat cross-legged",
        "my left leg went to sleep on the sofa",
    ],
)
def test_one_leg_never_reads_as_both_legs(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert "both_legs" not in {flag.id for flag in result.flags}, result.flags


def test_the_semantic_layer_needs_the_number_in_the_sentence() -> None:
    from backcare.triage.semantic import _says_its_cue

    def says(text: str) -> bool:
        folded = normalise(text).text
        return _says_its_cue("both_legs", folded, 0, len(folded))

    assert not says("my leg went to sleep")
    assert says("my legs went to sleep")
    assert says("my legs, the two, they are sleeping")
    assert says("numb on each side")
    assert _says_its_cue("cauda_equina", "my bladder", 0, 10)


@pytest.mark.parametrize(
    "text",
    [
        "she can't feel her legs properly, both of them",
        "my dad doesn't feel his feet when he walks",
        "I can't feel my legs since this morning",
    ],
)
def test_legs_that_cannot_be_felt_are_both_legs(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert result.level is TriageLevel.EMERGENCY, result.flags
    assert "both_legs" in {flag.id for flag in result.flags}


# --- class 6: families of wording the rules lacked --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # clinical saddle wording
        "perineal numbness noted since this morning",
        "patient reports perianal paraesthesia",
        "new saddle hypoaesthesia with low back pain",
        # idioms for the genitals and the toilet
        "numb in the crown jewels department",
        "can't spend a penny since this morning",
        "I keep trying to have a slash and nothing comes",
        # retention told as a story
        "I sat on the toilet for ages and not a drop came out",
        "hadn't been for a wee all day and when I went nothing would come",
        # collisions with the vehicle as the subject
        "a lorry hit me when I was on my motorbike",
        "a taxi ran into the back of my bike yesterday",
        "I was knocked down by a car crossing the road",
    ],
)
def test_rules_know_clinical_idiomatic_and_story_wordings(pack: KnowledgePack, text: str) -> None:
    result = triage_text(pack, text)
    assert result.level is TriageLevel.EMERGENCY, result.flags
    assert any(flag.layer == "rules" for flag in result.flags)


@pytest.mark.parametrize(
    "text",
    [
        "I sat on the loo for ages but no poo would come, constipated from the codeine",
        "I tried the stretches and nothing happened",
        "I hit a car with my trolley in the car park",
    ],
)
def test_the_new_wordings_leave_look_alikes_alone(pack: KnowledgePack, text: str) -> None:
    assert triage_text(pack, text).level is TriageLevel.SELF_CARE


# --- class 3 (place): a part of one leg is not the saddle -------------------------


def test_a_clause_about_a_foot_is_not_saddle_numbness(
    pack: KnowledgePack, real_encoder: Encoder
) -> None:
    result = triage_text(pack, "pins and needles in my left foot on and off", encoder=real_encoder)
    assert "saddle_numbness" not in {flag.id for flag in result.flags}, result.flags
    assert result.level is TriageLevel.DOCTOR


def test_only_a_limb_needs_no_saddle_word() -> None:
    from backcare.triage.semantic import _only_a_limb

    def only(text: str) -> bool:
        folded = normalise(text).text
        return _only_a_limb(folded, 0, len(folded))

    assert only("pins and needles in my left foot")
    assert not only("numb between my legs")
    assert not only("my foot and my bum are tingling")
    assert not only("I can't feel the toilet paper when I wipe")
