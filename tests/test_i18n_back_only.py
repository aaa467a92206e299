"""The cross-language layer's back-only gate spares the emergency rules (after round 13).

Round 13 kept rules about another body part off a clause whose only subject
word is the back. For the emergency rules that vetoed meaning on a word list:
a slipped leg word or a breath said of someone else went unread. Those rules
now need a clearer margin on such clauses instead (``_BACK_ONLY_MARGIN``).
The first two lines come from the eleventh blind set, read for this change
and a dev set since; the rest are written for this file.
"""

from __future__ import annotations

import pytest

from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import TriageLevel
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.service import multilingual_encoder, prepare_query, triage_message
from backcare.settings import Settings
from tests.test_i18n_safety_net import _triage


@pytest.fixture(scope="module")
def pack() -> KnowledgePack:
    return load_pack()


@pytest.fixture(scope="module")
def e5(settings: Settings) -> MultilingualEncoder:
    encoder = multilingual_encoder(settings.model_dir)
    if encoder is None:
        pytest.skip("the multilingual encoder is not built (backcare kb build-multilingual)")
    return encoder


@pytest.mark.parametrize(
    "text",
    [
        # a carer's breathlessness, the back the only subject word the lists know
        "mi marido lleva una hora con dolor de espalda y ahora dice que le falta el aire, "
        "está sudando en el sofá",
        # both legs with a slip in the leg word
        "الوجع صار نازل في الرجلبن الثنتين من الظهر، قبل كان في اليمين بس",
    ],
)
def test_a_back_only_clause_still_raises_an_emergency_it_clearly_matches(
    pack: KnowledgePack, e5: MultilingualEncoder, text: str
) -> None:
    result = triage_message(pack, prepare_query(text), multilingual=e5)[1]
    assert result.level is TriageLevel.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        # within a hair of the both-legs and cauda equina margins before the gate
        "i bolą mnie plecy",
        "ja mam tylko ból krzyża",
        "obudziłem się ze sztywnymi plecami",
    ],
)
def test_a_plain_back_complaint_stays_self_care(
    pack: KnowledgePack, e5: MultilingualEncoder, text: str
) -> None:
    result = triage_message(pack, prepare_query(text), multilingual=e5)[1]
    assert result.level is TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    "text",
    [
        "mi padre tiene dolor de espalda y dice que no le entra el aire",
        "a mi madre le falta el aire y le duele la espalda",
        "no me entra el aire desde hace una hora y la espalda me mata",
        "a mi abuelo le cuesta respirar con este dolor de espalda",
    ],
)
def test_spanish_breathlessness_in_any_person_is_an_emergency(
    pack: KnowledgePack, text: str
) -> None:
    assert _triage(pack, text, "es").level is TriageLevel.EMERGENCY


def test_spanish_breath_denied_stays_self_care(pack: KnowledgePack) -> None:
    assert _triage(pack, "no le falta el aire, solo le duele la espalda", "es").level is (
        TriageLevel.SELF_CARE
    )
