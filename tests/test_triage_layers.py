"""Layered triage (issue 14): rules, then the semantic detector, then the safety net.

The regression wordings are the ones issue 14 found returning ``self_care``;
each is tried in several forms, all through the whole stack with the real
encoder, as ``backcare ask`` runs it.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.retrieval.dense import Encoder
from backcare.service import triage_text

# Issue 14's wordings, each followed by variants written for this test.
REGRESSIONS: dict[str, tuple[str, ...]] = {
    "cant_control_bladder": (
        "I can't control my bladder",
        "I cannot control my bladder",
        "my back has been agony since Tuesday and now I can't control my bladder",
        "lower back spasm, and I can't seem to control my bladder any more",
        "cant control my bladder since my back went",
        "I'm unable to control my bowels",
    ),
    "cant_poo_or_pee": (
        "since my back went out I can't poop or pee properly",
        "since I hurt my back I cannot pee or poo properly",
        "I can't wee or poo properly since the spasm started",
        "can't pee properly since my back went out",
    ),
    "leaking_wee": (
        "leaking a bit of wee since my back went",
        "I've been leaking little bits of pee since my back went",
        "since my back went I keep leaking wee",
        "a bit of wee keeps leaking out since the back pain started",
    ),
    "strain_dribble": (
        "I have to strain to get it started and it just dribbles",
        "I have to push to get my wee started and then it only dribbles",
        "when I go to the loo I have to strain to get it going and it just trickles",
        "my pee just dribbles out now and I have to strain",
    ),
    "private_parts": (
        "I not feel my private parts when I touch",
        "I don't feel my private parts when I touch them",
        "I cannot feel my privates when I wash",
        "can't feel anything down there when I touch",
    ),
    "back_passage_typo": (
        "numbnes round my back pasage",
        "numbness round my back passage",
        "numbness around my back passage since yesterday",
        "my back passage has gone numb",
    ),
    "seat_under_me": (
        "on the toilet I couldn't really feel the seat under me",
        "sitting on the loo I couldn't feel the seat under me",
        "I can't feel the toilet seat when I sit down",
        "sat on the toilet and couldn't feel the seat",
    ),
    "chest_left_arm": (
        "my back pain moves to my chest and down my left arm",
        "the pain in my back has spread into my chest and down my left arm",
        "back pain going round to my chest and my left arm feels heavy",
        "my back hurts and now the pain is in my chest and left arm",
    ),
    "pulsing_tummy": (
        "I'm 68 and a smoker and there's a pulsing lump in my tummy",
        "68 year old smoker, back pain and a pulsing lump in my stomach",
        "I smoke, I'm 68, and I can feel a throbbing lump in my belly with my back pain",
        "there's a lump in my tummy that pulses, I'm 68 and smoke",
    ),
}

REGRESSION_CASES = [(key, text) for key, texts in REGRESSIONS.items() for text in texts]


@pytest.mark.parametrize(
    ("key", "text"), REGRESSION_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(REGRESSION_CASES)]
)
def test_issue_14_wordings_are_emergencies(
    pack: KnowledgePack, real_encoder: Encoder, key: str, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert result.level is TriageLevel.EMERGENCY, (key, result.flags)
    assert all(flag.evidence for flag in result.flags)
