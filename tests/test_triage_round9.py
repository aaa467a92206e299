"""Round 9 of issue 14: the classes of error behind blind9's misses, each with its own test.

Each test names the class it guards (docs/triage.md, "Round 9"); the wordings
were written for this file, not taken from any eval set. The rules layer and
the safety net are checked on their own (``triage_text`` without an encoder):
every class here was a gap in a rule's word family or a topic's exclusions.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.service import triage_text


def _rule_ids(pack: KnowledgePack, text: str) -> set[str]:
    result = triage_text(pack, text)
    return {flag.id for flag in result.flags if flag.layer == "rules"}


# --- class A: saddle change told as a cold or odd patch -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "there's a cold patch around my bottom since last night and my back is locked",
        "odd patch between my legs that feels icy, back pain too",
        "an icy feeling on my perineum this morning with the back spasm",
        "strange spot on my inner thigh I can barely feel, lower back agony",
    ],
)
def test_a_cold_or_odd_patch_in_the_saddle_area(pack: KnowledgePack, text: str) -> None:
    assert "saddle_numbness" in _rule_ids(pack, text)


# --- class B: wetting that went unnoticed, said by a carer or oneself ----------------


@pytest.mark.parametrize(
    "text",
    [
        "dad wet himself in his chair and his back is bad",
        "her sheets were soaked this morning and she never noticed it, back pain all week",
        "I had a leak at work and didn't even feel it, my back has been terrible",
        "mum's pad was drenched and she didn't know that it had happened, sore back",
    ],
)
def test_b_unnoticed_wetting_is_cauda_equina(pack: KnowledgePack, text: str) -> None:
    assert "cauda_equina" in _rule_ids(pack, text)


# --- class C: legs told by what they will not do, or by one joining the other --------


@pytest.mark.parametrize(
    "text",
    [
        "sciatica in my left leg for days and today the right one has joined in",
        "started in my right thigh, now the left side has followed suit",
        "neither of my legs would hold me when I got out of bed",
        "neither leg wants to take my weight this morning with my back",
    ],
)
def test_c_both_legs_in_other_words(pack: KnowledgePack, text: str) -> None:
    assert "both_legs" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "I can't press the clutch with my left foot since my back went",
        "unable to kick a ball with my right leg, back in spasm",
        "no strength at all in my right foot since the back spasm",
        "my left leg has no power since this morning",
    ],
)
def test_c_a_task_the_leg_cannot_do(pack: KnowledgePack, text: str) -> None:
    assert "leg_weakness" in _rule_ids(pack, text)


# --- class D: breath short at rest, in everyday words --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm panting just lying on the sofa and my back hurts",
        "out of puff sitting still, back pain since my operation",
        "puffing away doing nothing at all with this back ache",
    ],
)
def test_d_puffing_at_rest_is_breathless(pack: KnowledgePack, text: str) -> None:
    assert "chest_breathless" in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "panting after my run, back a bit stiff",
        "puffing on the stairs as usual, my lower back aches",
        "out of puff at the top of the hill, back twinges after",
    ],
)
def test_d_puffing_from_exercise_is_not(pack: KnowledgePack, text: str) -> None:
    assert "chest_breathless" not in _rule_ids(pack, text)


# --- class E: a blackout told by what was seen or where one came to -------------------


@pytest.mark.parametrize(
    "text",
    [
        "stood up too quick with my back and it all went dark",
        "my vision went black and I woke up on the bathroom floor, back agony",
        "woke up on the landing floor not knowing how I got there, my back is screaming",
    ],
)
def test_e_blackout_in_other_words(pack: KnowledgePack, text: str) -> None:
    assert "aortic" in _rule_ids(pack, text)


# --- class F: weight loss said as a belt, and "not trying" is not a diet -------------


@pytest.mark.parametrize(
    "text",
    [
        "had to make a new hole in my belt and my back aches at night",
        "belt is on the tightest notch now and I am not trying to lose weight, back pain for weeks",
        "my belt needs another hole in it and my back aches",
    ],
)
def test_f_weight_loss_in_other_words(pack: KnowledgePack, text: str) -> None:
    assert "weight_loss" in _rule_ids(pack, text)


def test_f_a_real_diet_still_excuses_the_loss(pack: KnowledgePack) -> None:
    text = "I've lost a stone trying to lose weight, back sore"
    assert "weight_loss" not in _rule_ids(pack, text)


# --- class G: sciatica that reaches part of the foot ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "pain runs down my leg into the side of my foot",
        "burning goes down to the ball of my foot",
    ],
)
def test_g_pain_into_part_of_the_foot(pack: KnowledgePack, text: str) -> None:
    assert "below_knee" in _rule_ids(pack, text)


# --- class H: the net's word "chest" ignored its own exclusions; "doing its job" -----


@pytest.mark.parametrize(
    "text",
    [
        "moving a chest of drawers set my back off",
        "this yoga pose opens my chest and eases the low back",
        "did chest press at the gym and tweaked my lower back",
    ],
)
def test_h_chest_look_alikes_stay_self_care(pack: KnowledgePack, text: str) -> None:
    assert triage_text(pack, text).level is TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    "text",
    [
        "bladder is doing its job, back is not",
        "bowels doing their thing, it's just the back that hurts",
    ],
)
def test_h_doing_its_job_reassures_the_net(pack: KnowledgePack, text: str) -> None:
    assert triage_text(pack, text).level is TriageLevel.SELF_CARE


# --- class I: another person's event set against the writer's own lesser case -------


@pytest.mark.parametrize(
    "text",
    [
        "my friend had bladder trouble with her disc, mine is only a stiff back",
        "my brother came off his motorbike and is fine, I pulled my back lifting it",
        "my son fell off his bike and was totally fine, I tweaked my back picking him up",
    ],
)
def test_i_others_event_set_against_own_case(pack: KnowledgePack, text: str) -> None:
    assert triage_text(pack, text).level is TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    "text",
    [
        "my dad fell off a ladder and can't feel his legs",
        "my mum can't pee since yesterday and her back is bad, I'm just her carer",
        "my husband came off his bike, he is not fine, his legs are numb",
    ],
)
def test_i_a_carers_report_still_counts(pack: KnowledgePack, text: str) -> None:
    assert triage_text(pack, text).level is TriageLevel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "neighbour had bladder problems with a disc, mine is just a pulled muscle",
        "my friend lost control of her bladder with her back, for me it is only a spasm",
    ],
)
def test_i_contrast_with_a_bare_or_named_relation(pack: KnowledgePack, text: str) -> None:
    assert "cauda_equina" not in _rule_ids(pack, text)


@pytest.mark.parametrize(
    "text",
    [
        "my husband can't pee since this morning, mine is just a spasm",
        "my dad can't feel his legs, I'm only asking because mine is just a spasm",
        "mum has wet herself twice today, mine is only a twinge",
        # No "had"/"used to": when the mate's loss happened is not said, so it counts.
        "my mate lost control of his bowels with his back, for me it's just a spasm",
    ],
)
def test_an_acute_symptom_told_of_someone_else_still_counts_beside_the_writers_own(
    pack: KnowledgePack, text: str
) -> None:
    # Class I sets another person's *past* trouble against the writer's case;
    # CONTENT.md section 3: an acute symptom reported for someone else counts.
    assert triage_text(pack, text).level is TriageLevel.EMERGENCY
