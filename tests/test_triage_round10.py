"""Round 10 of issue 14: the classes of error behind blind10's misses, each with its own test.

Each test names the class it guards (docs/triage.md, "Round 10"); the wordings
were written for this file, not taken from any eval set. Most classes were a
gap in a rule's word family or a topic's exclusions, so the rules layer and the
safety net are checked on their own (``triage_text`` without an encoder). The
slip class needs the real encoder: the repair reads its vocabulary as the
dictionary of real words.
"""

from __future__ import annotations

import pytest

from backcare import Encoder
from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.service import triage_layers, triage_text


def _rule_ids(pack: KnowledgePack, text: str) -> set[str]:
    result = triage_text(pack, text)
    return {flag.id for flag in result.flags if flag.layer == "rules"}


def _flag_ids(pack: KnowledgePack, text: str) -> set[str]:
    return {flag.id for flag in triage_text(pack, text).flags}


# --- class A: a slip in the very word a rule waits for -------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a rule's word that no example holds is a repair target too
        ("tumbld", "tumbled"),
        # a doubled last letter, or a dropped one, is a slip, not an inflection
        ("tumbledd", "tumbled"),
        ("breathles", "breathless"),
        # one slip from two forms of one word: the longer keeps every letter typed
        ("crashd", "crashed"),
    ],
)
def test_a_slip_in_a_rule_word_is_repaired(pack: KnowledgePack, typed: str, meant: str) -> None:
    spelling = triage_layers(pack).spelling
    assert spelling is not None
    assert spelling.repair(f"i {typed} this morning") == f"i {meant} this morning"


@pytest.mark.parametrize(
    "text",
    [
        "I tumbeld down the whole flight of stairs at work and my back is wrecked",
        "tumbledd off the step ladder onto the patio, back agony",
        "slipped off the balcny and hit my back",
        "my back is sore after I tumbld over the garden wall",
        "the bus crashd into the side of us, my back is sore",
    ],
)
def test_a_slip_in_the_key_word_keeps_the_emergency(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    assert triage_text(pack, text, encoder=real_encoder).level is TriageLevel.EMERGENCY


def _slips(word: str) -> list[str]:
    """Every word one slip from ``word``: a letter missing, doubled, or two swapped."""
    found = set()
    for i in range(len(word)):
        found.add(word[:i] + word[i + 1 :])
        found.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            found.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    found.discard(word)
    return sorted(found)


@pytest.mark.parametrize(
    ("clause", "key"),
    [
        ("I tumbled down the stairs at work and my back is agony", "tumbled"),
        ("I am breathless sitting still with this back pain", "breathless"),
        ("I fell off the scaffolding onto my back", "scaffolding"),
        ("numbness around my private parts since yesterday", "numbness"),
        ("my left foot is dragging when I walk", "dragging"),
        ("urinary retention since yesterday with back pain", "retention"),
        ("I have become incontinent since the spasm", "incontinent"),
    ],
)
def test_a_every_slip_of_the_key_word_keeps_the_emergency(
    pack: KnowledgePack, real_encoder: Encoder, clause: str, key: str
) -> None:
    """Issue 14's property, for the key word: one slip keeps the flag's level.

    A slip that spells another real word ("tumble") is left out: nothing can
    tell it from the word the person meant.
    """
    vocabulary = getattr(real_encoder, "vocabulary", frozenset())
    lost = [
        slipped
        for slipped in _slips(key)
        if slipped not in vocabulary
        and triage_text(pack, clause.replace(key, slipped), encoder=real_encoder).level
        is not TriageLevel.EMERGENCY
    ]
    assert not lost


def test_a_real_word_is_left_alone(pack: KnowledgePack, real_encoder: Encoder) -> None:
    """Control: "stars" and "stirs" are words, not slipped "stairs"."""
    text = "I tumbled down the grassy bank looking at the stars, sore back"
    flags = triage_text(pack, text, encoder=real_encoder).flags
    assert "major_trauma" not in {flag.id for flag in flags}


# --- class B: retention told by the urge that is missing -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "no urge to wee at all since yesterday even with all the tea I drink",
        "I've lost the urge to pee since my back went",
        "haven't needed a wee since breakfast even though I've drunk loads",
        "she hasn't wanted the toilet all day despite drinking plenty",
        "I don't get the feeling that I need to go any more and my back is bad",
    ],
)
def test_b_a_missing_urge_is_retention(pack: KnowledgePack, text: str) -> None:
    assert "cauda_equina" in _rule_ids(pack, text)


def test_b_no_urge_to_go_out_is_not_retention(pack: KnowledgePack) -> None:
    """Control: the urge to go out is no bladder sign."""
    assert "cauda_equina" not in _flag_ids(pack, "no urge to go out since my back went")


# --- class C: saddle numbness told by an image, or the area without its article ------


@pytest.mark.parametrize(
    "text",
    [
        "my bottom feels like it's had a dentist's injection since the spasm",
        "down below has gone to sleep since this morning and my back is locked",
        "the bit between my legs feels like cotton wool",
        "my crotch feels like rubber since last night",
        "between legs feels asleep, back pain very strong",
    ],
)
def test_c_saddle_numbness_told_by_an_image(pack: KnowledgePack, text: str) -> None:
    assert "saddle_numbness" in _rule_ids(pack, text)


def test_c_falling_asleep_is_no_saddle_image(pack: KnowledgePack) -> None:
    """Control: the person, not the area, fell asleep."""
    text = "fell asleep on the sofa with a heat pad under my bottom"
    assert "saddle_numbness" not in _flag_ids(pack, text)


# --- class D: a fall from a height told as a story ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the ladder slipped and I dropped about twelve feet onto the drive",
        "went straight through the ceiling from the attic and hurt my back",
        "stepped back off the scaffold board and landed on the concrete below",
        "plunged through the loft hatch onto the landing, my back is agony",
        "fall from around 5m onto concrete, lower back pain",
    ],
)
def test_d_a_fall_from_a_height_told_as_a_story(pack: KnowledgePack, text: str) -> None:
    assert "major_trauma" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "dropped my keys on the floor below the table and my back twinged picking them up",
        "I walked 5m to the door and my back locked",
    ],
)
def test_d_dropping_a_thing_is_no_fall(pack: KnowledgePack, text: str) -> None:
    """Controls: something dropped, or a distance walked, is no fall from a height."""
    assert "major_trauma" not in _flag_ids(pack, text)


def test_d_landed_flat_on_my_back_raises_the_trauma_topic(pack: KnowledgePack) -> None:
    text = "I landed flat on my back in the garden"
    assert _flag_ids(pack, text) & {"check_trauma", "major_trauma"}


# --- class E: short of breath on an effort too small to explain it --------------------


@pytest.mark.parametrize(
    "text",
    [
        "short of breath walking to the bathroom with this back pain",
        "panting when I walk to the kitchen, mid back aching",
        "out of breath on the slightest exertion and my back hurts",
        "gasping after two steps, pain between my shoulders",
        "no air when I walk a few steps and my back is sore",
        "she is gasping sitting in her chair",
    ],
)
def test_e_breathless_on_a_small_effort(pack: KnowledgePack, text: str) -> None:
    assert "chest_breathless" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "out of breath after running up the hill, back fine otherwise",
        "gasping in pain as the spasm grips my back",
    ],
)
def test_e_exercise_and_a_gasp_of_pain_are_not_breathlessness(
    pack: KnowledgePack, text: str
) -> None:
    """Controls: a real effort explains the breath; a gasp of pain is no breathing trouble."""
    assert "chest_breathless" not in _flag_ids(pack, text)


# --- class F: the shock picture's combination -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "sudden agony in my back and tummy and I feel like I'll fall down",
        "it came on in a split second, I felt I might drop, back and belly pain",
        "his skin is cold and sweaty and his back pain is unbearable",
        "cold, damp skin and terrible pain in my back and belly",
    ],
)
def test_f_shock_signs_in_lay_words_are_aortic(pack: KnowledgePack, text: str) -> None:
    assert "aortic" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "my skin is cold and wet from the rain and my back is stiff",
        "I feel like I will fall over if I stand on one leg, sore back",
    ],
)
def test_f_rain_and_a_balance_worry_are_not_shock(pack: KnowledgePack, text: str) -> None:
    """Controls: wet skin from rain; a fall only foreseen raises no trauma check either."""
    assert not _flag_ids(pack, text) & {"aortic", "check_trauma"}


# --- class G: injecting told by the needle alone --------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "been using needles again for a month and now my back is killing me",
        "we shared needles at a party and now my back is bad",
        "I'm back on the needle and my lower back aches",
        "track marks on my arms and my back is in agony",
    ],
)
def test_g_the_needle_alone_is_injecting(pack: KnowledgePack, text: str) -> None:
    assert "infection_risk" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    ["I use needles for my insulin and my back aches", "I use needles at work in the hospital"],
)
def test_g_a_medical_needle_is_not_injecting_drugs(pack: KnowledgePack, text: str) -> None:
    """Controls: a needle for a medicine or at work."""
    assert "infection_risk" not in _flag_ids(pack, text)


# --- class H: the routine families in other words -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "pins and needles down the outside of my right calf",
        "sharp pain into the front of my left shin",
        "shooting pain to the top of his right foot",
    ],
)
def test_h_a_side_of_the_shin_or_calf_is_below_the_knee(pack: KnowledgePack, text: str) -> None:
    assert "below_knee" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "my legs ache after walking the dog and it passes once I sit on a wall",
        "mum's calves cramp when she walks to the bus stop but it goes when she sits on the bench",
    ],
)
def test_h_it_goes_when_i_sit_is_a_stenosis_pattern(pack: KnowledgePack, text: str) -> None:
    assert "stenosis_pattern" in _rule_ids(pack, text)


def test_h_pain_going_down_the_leg_is_no_easing(pack: KnowledgePack) -> None:
    """Control: "goes down into my foot" spreads the pain; it does not ease it."""
    text = "my leg aches when I walk and the pain goes down into my thigh when I sit"
    assert "stenosis_pattern" not in _rule_ids(pack, text)


# --- class I: over-triage: a remedy on the chest, a pregnancy's weeks -----------------


@pytest.mark.parametrize(
    "text",
    [
        "can I put a hot water bottle on my chest to relax the muscles?",
        "is it ok to rub deep heat on my back and chest?",
    ],
)
def test_i_a_remedy_on_the_chest_raises_no_chest_check(pack: KnowledgePack, text: str) -> None:
    assert triage_text(pack, text).level is TriageLevel.SELF_CARE


def test_i_chest_pain_beside_a_remedy_still_counts(pack: KnowledgePack) -> None:
    """Control: the remedy's place does not silence a chest symptom in its sentence."""
    text = "put the heat pad on my chest but the chest pain is crushing"
    assert triage_text(pack, text).level is TriageLevel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "pregnant 28 weeks and my back aches after work",
        "pregnancy at about 32 weeks, sore lower back from standing",
    ],
)
def test_i_the_weeks_of_a_pregnancy_are_no_duration(pack: KnowledgePack, text: str) -> None:
    assert "not_improving" not in _rule_ids(pack, text)


def test_i_a_pain_duration_in_pregnancy_still_counts(pack: KnowledgePack) -> None:
    """Control: how long the pain has lasted is still read."""
    text = "I'm pregnant and the back pain has been there for 6 weeks"
    assert "not_improving" in _rule_ids(pack, text)


# --- class J: the same classes in wordings from the other dev sets --------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("both of my thighs are tingling since the fall", "both_legs"),
        ("my feet, both of them, are tingling", "both_legs"),
        ("I have to squeeze my tummy to get the pee to come out", "cauda_equina"),
        ("I have not managed to pass urine today", "cauda_equina"),
        ("nothing comes out even though my bladder feels full", "cauda_equina"),
        ("I sit on the toilet and the water is not coming", "cauda_equina"),
        ("lost control of my back passage this afternoon", "cauda_equina"),
        ("there's a throb in my tummy and my back hurts", "aortic"),
        ("ache spreading into my L arm with the back pain", "chest_breathless"),
        ("my knee gave out from under me twice today", "leg_weakness"),
        ("I can't trust my legs any more since the back went", "leg_weakness"),
        ("my bum feels like it belongs to somebody else", "saddle_numbness"),
        ("I don't want to be alive any more with this pain", "crisis"),
        ("stockpiling my pills for when I've had enough", "crisis"),
    ],
)
def test_j_the_classes_in_other_wordings(pack: KnowledgePack, text: str, rule: str) -> None:
    assert rule in _rule_ids(pack, text)


def test_j_water_from_a_tap_is_no_retention(pack: KnowledgePack) -> None:
    """Control: the flow that will not come is the tap's."""
    text = "the water is not coming out of the tap so no hot bath for my back"
    assert "cauda_equina" not in _flag_ids(pack, text)


def test_j_saving_up_is_no_crisis(pack: KnowledgePack) -> None:
    """Control: money saved up, not tablets."""
    assert "crisis" not in _flag_ids(pack, "saving up for a holiday in case my back settles")


def test_e_a_gasp_of_pain_raises_no_chest_check(pack: KnowledgePack) -> None:
    assert "check_chest" not in _flag_ids(pack, "gasping in pain as the spasm grips my back")
