"""Rules whose meaning needs a word of their own: the semantic layer's cues.

A clause's vector can sit closest to a rule's examples without saying what
the rule is about: "I fell and my back hurts" came nearest to the aortic "I
collapsed with back pain". Such a rule fires from the semantic layer only when
its sentence holds a word of its picture; a plain fall is left to the safety
net, which asks. Wordings written for this file.
"""

from __future__ import annotations

import pytest

from backcare import Encoder
from backcare.knowledge.pack import KnowledgePack
from backcare.model import TriageLevel
from backcare.service import triage_text


@pytest.mark.parametrize(
    "text",
    [
        "I fell and my back hurts",
        "I fell and hurt my back",
        "fell and my back hurts",
    ],
)
def test_a_plain_fall_is_the_nets_question_not_the_aortic_picture(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert "aortic" not in {flag.id for flag in result.flags}
    assert result.level is TriageLevel.URGENT
    assert "check_trauma" in {flag.id for flag in result.flags}


@pytest.mark.parametrize(
    "text",
    [
        # only the semantic layer knows these; each names the belly, a faint or a tear
        "the pain tore across my middle and I went all woozy",
        "my belly feels like it has a heartbeat of its own",
    ],
)
def test_the_aortic_picture_in_other_words_still_fires(
    pack: KnowledgePack, real_encoder: Encoder, text: str
) -> None:
    result = triage_text(pack, text, encoder=real_encoder)
    assert result.level is TriageLevel.EMERGENCY
    assert any(flag.id == "aortic" and flag.layer == "semantic" for flag in result.flags)


def test_wet_and_cold_from_the_rain_is_no_bladder_sign(
    pack: KnowledgePack, real_encoder: Encoder
) -> None:
    result = triage_text(pack, "my skin is cold and wet from the rain", encoder=real_encoder)
    assert result.level is TriageLevel.SELF_CARE
