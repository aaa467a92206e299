"""Round 8 of issue 14: the classes of error behind blind8's misses, each with its own test.

Each test names the class it guards (docs/triage.md, "Round 8"); the wordings
were written for this file, not taken from any eval set. The rules layer is
checked on its own (``triage_text`` without an encoder), because every class
here was a gap in the rules' word families or in how they join two facts.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.retrieval.dense import Encoder
from backcare.service import triage_text
from backcare.triage._negation import ScopeReader, normalise, sentence_reassured


def _rule_ids(pack: KnowledgePack, text: str) -> set[str]:
    result = triage_text(pack, text)
    return {flag.id for flag in result.flags if flag.layer == "rules"}


# --- class A: signs of shock told in other words ----------------------------------
# A grey or ashen colour with sweat, a cold sweat, a faint that nearly happened,
# or dizziness with pain that came on all at once: the aortic rule knew only
# "pale and clammy" and a faint that did happen.


@pytest.mark.parametrize(
    "text",
    [
        "my husband has gone ashen and is sweating, his back is agony",
        "she looks grey and clammy and says her lower back is awful",
        "I'm drenched and pale, the pain in my back is unreal",
        "broke out in a cold sweat with this back pain",
        "I almost passed out on the stairs, my back is killing me",
        "nearly fainted in the shower with the back pain",
        "felt light headed and then the pain hit me out of nowhere",
        "room was spinning and the back pain came on all of a sudden",
        "dizzy, and I nearly hit the ground, my back is screaming",
    ],
)
def test_shock_signs_in_other_words_are_an_aortic_emergency(pack: KnowledgePack, text: str) -> None:
    assert "aortic" in _rule_ids(pack, text)
    assert triage_text(pack, text).level is TriageLevel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "I feel dizzy when I stand up quickly and my back is stiff",
        "sweating a lot in the gym, my back is sore afterwards",
        "it went into spasm suddenly when I bent over",
    ],
)
def test_shock_words_alone_are_not_the_aortic_rule(pack: KnowledgePack, text: str) -> None:
    assert "aortic" not in _rule_ids(pack, text)


# --- class B: the chest under another name, or a weight on it told as an image -----


@pytest.mark.parametrize(
    "text",
    [
        "pain going round to my breastbone with the back spasm",
        "my sternum feels tight and my back hurts",
        "it's like an elephant is standing on my chest",
        "feels like a brick on my chest since the back went",
        "my chest is in a vice and my upper back aches",
        "a band squeezing round my chest and back",
    ],
)
def test_the_chest_under_another_name_or_image_is_chest_pain(
    pack: KnowledgePack, text: str
) -> None:
    assert "chest_breathless" in _rule_ids(pack, text)


def test_a_chest_image_denied_is_not_chest_pain(pack: KnowledgePack) -> None:
    assert "chest_breathless" not in _rule_ids(
        pack, "no weight on my chest or anything, just the low back"
    )


# --- class C: leg wording the families lacked ---------------------------------------
# Tingling said as buzzing or fizzing; strength tested by standing on the toes
# or heels; sciatica on one side that has now reached the other.


@pytest.mark.parametrize(
    "text",
    [
        "both my legs are fizzing",
        "my feet are buzzing like mad",
        "buzzing down both legs since this morning",
        "prickling in my legs and my back is locked",
    ],
)
def test_buzzing_and_fizzing_legs_are_both_legs(pack: KnowledgePack, text: str) -> None:
    assert "both_legs" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "I can't walk on my heels on the right side",
        "unable to go up on my tip toes with the left foot",
        "I cannot stand on my tippy toes any more",
        "can't balance on the ball of my foot on that side",
    ],
)
def test_failing_a_toe_or_heel_stand_is_leg_weakness(pack: KnowledgePack, text: str) -> None:
    assert "leg_weakness" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "it was my right leg, now it is going into the left one as well",
        "sciatica started in the left leg and now it is in the other leg too",
        "the shooting pain was only down one side, now it is down the other side as well",
        "numbness in my right thigh yesterday, the left thigh too today",
    ],
)
def test_one_side_then_the_other_is_both_legs(pack: KnowledgePack, text: str) -> None:
    assert "both_legs" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "pain in my left buttock, the right one is fine",
        "sciatica in my left leg only",
        "I lean to the right side when I stand",
    ],
)
def test_one_side_alone_is_not_both_legs(pack: KnowledgePack, text: str) -> None:
    assert "both_legs" not in _rule_ids(pack, text)


# --- class D: urgent and routine families the rules lacked ------------------------
# A fever reading after a contraction ("temp's 39"), immune-suppressing drugs
# by name, rest pain that "whatever I do" or "lying still" does not ease, a
# minor jolt in someone with thin bones, pain running from the leg into the
# calf, and walking-limited legs "like lead" that sitting puts right.


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("temp's 38.6 and my back is aching", "fever_unwell"),
        ("the thermometer said 39.1, low back pain too", "fever_unwell"),
        ("I'm on azathioprine for my bowel, back pain since Sunday", "infection_risk"),
        ("I take humira injections and now my back hurts", "infection_risk"),
        ("started tofacitinib last month and have a new backache", "infection_risk"),
        ("it aches at night no matter what I do", "night_rest_pain"),
        ("keeping completely still doesn't ease it at all", "night_rest_pain"),
        ("I have osteoporosis and plonked down on the sofa, now my back is sore", "fracture_risk"),
        ("I'm 78 and sat down really heavily on the toilet", "fracture_risk"),
        ("pain from my buttock all the way into my heel", "below_knee"),
        ("the ache runs down my thigh right into my shin", "below_knee"),
        (
            "my legs go like concrete after a short walk, sitting down sorts it out",
            "stenosis_pattern",
        ),
    ],
)
def test_urgent_and_routine_families(pack: KnowledgePack, text: str, rule: str) -> None:
    assert rule in _rule_ids(pack, text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("my temp was 37.2 this morning, back stiff", "fever_unwell"),
        ("I'm 45 and sat down too hard on a chair, sore back", "fracture_risk"),
        ("my mum is on methotrexate, my back is just stiff", "infection_risk"),
        ("lying still helps a lot", "night_rest_pain"),
    ],
)
def test_the_families_leave_look_alikes_alone(pack: KnowledgePack, text: str, rule: str) -> None:
    assert rule not in _rule_ids(pack, text)


# --- class E: "fall" in idioms that are not a fall (the net's trauma topic) ---------


@pytest.mark.parametrize(
    "text",
    [
        "I fell for the idea that I could carry the sofa alone, now my back is sore",
        "fell for that old trick of lifting with a twist, stiff lower back",
        "our holiday plans fell through because my back seized",
        "I've fallen into the habit of slouching and my back aches",
    ],
)
def test_idioms_with_fall_are_not_a_fall(pack: KnowledgePack, text: str) -> None:
    result = triage_text(pack, text)
    assert not any(flag.id in {"check_trauma", "major_trauma"} for flag in result.flags)


@pytest.mark.parametrize(
    "text", ["I fell for about six feet off the wall", "I had a fall on the ice yesterday"]
)
def test_a_real_fall_still_raises_the_trauma_topic(pack: KnowledgePack, text: str) -> None:
    result = triage_text(pack, text)
    assert any(flag.id in {"check_trauma", "major_trauma"} for flag in result.flags)


# --- class F: "everything works" covers its whole sentence ---------------------------
# A clause that says how a function feels ("pooing is a faff because bending
# hurts") and a later clause of the same sentence that says nothing has failed.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pooing is a faff because bending hurts, but everything works as normal", True),
        ("going to the loo is slow, everything down there is still working", True),
        ("peeing takes a while with the pain but it all functions as usual", True),
        ("I can't feel my bum, everything else works as normal", False),
        ("my wee has stopped coming and it is not all working", False),
    ],
)
def test_everything_works_covers_its_sentence(
    pack: KnowledgePack, text: str, expected: bool
) -> None:
    scope = ScopeReader(pack.red_flags.language)
    folded = normalise(text).text
    assert sentence_reassured(scope, folded, 0, 8) is expected


def test_everything_works_keeps_an_earlier_sentence_apart(pack: KnowledgePack) -> None:
    scope = ScopeReader(pack.red_flags.language)
    folded = normalise("I have wet myself twice. Everything else works as normal.").text
    assert not sentence_reassured(scope, folded, 0, 8)


@pytest.mark.parametrize(
    "text",
    [
        "pooing is a faff because bending hurts, but everything works as normal",
        "having a wee is awkward with the spasm, but all working as usual",
    ],
)
def test_everything_works_keeps_the_toilet_clause_self_care(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    assert triage_text(pack, text, encoder=real_encoder).level is TriageLevel.SELF_CARE


# --- class G: peeing often or a lot is frequency, not retention -----------------------


@pytest.mark.parametrize(
    "text",
    [
        "weeing like a tap since I started drinking more water for the cramp",
        "I'm peeing loads, must be all the tea, back is stiff",
        "been to the loo to pee every hour today, drinking plenty for the spasm",
        "peeing more often than usual with all the water, back muscles tight",
    ],
)
def test_frequency_alone_stays_self_care(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    assert triage_text(pack, text, encoder=real_encoder).level is TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    "text",
    [
        "peeing all the time and leaking in between",
        "weeing loads but only dribbles come out",
        "I need to pee constantly but can't get it started",
    ],
)
def test_frequency_with_a_loss_still_fires(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    assert triage_text(pack, text, encoder=real_encoder).level is TriageLevel.EMERGENCY


# A cold sweat is a shock sign; "cold sweats and chills" that come and go are a fever's.
def test_cold_sweats_with_chills_are_the_fever_rule(pack: KnowledgePack) -> None:
    ids = _rule_ids(pack, "backache with cold sweats and chills on and off")
    assert "fever_unwell" in ids
    assert "aortic" not in ids


def test_falling_through_something_is_still_a_fall(pack: KnowledgePack) -> None:
    result = triage_text(pack, "I fell through the garage roof onto the car")
    assert any(flag.id in {"check_trauma", "major_trauma"} for flag in result.flags)


def test_both_sides_of_the_back_are_not_both_legs(pack: KnowledgePack) -> None:
    ids = _rule_ids(pack, "my back hurts on the left side and now the right side too")
    assert "both_legs" not in ids
