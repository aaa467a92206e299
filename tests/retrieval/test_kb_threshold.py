"""Per-knowledge-base threshold from the calibration's background questions (issue 15)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backcare import FaqEntry, HashingEncoder, KnowledgeBase, RetrievalParams
from backcare.retrieval.abstain import BACKGROUND_QUANTILE, Features, _logit, kb_threshold
from backcare.retrieval.background import BACKGROUND
from backcare.retrieval.calibration import MANIFEST_KEY, Calibration, fusion_key
from backcare.retrieval.retriever import HybridRetriever

PARAMS = RetrievalParams(
    intercept=-3.0, coef_score=2.0, coef_margin=1.0, coef_coverage=0.5, threshold=0.6
)
ENTRIES = (
    FaqEntry(id="heat", question="Should I use heat on a back spasm?", answer="Heat relaxes."),
    FaqEntry(id="walk", question="Can I walk with a back spasm?", answer="Gentle walking helps."),
    FaqEntry(id="sleep", question="How do I sleep with back pain?", answer="Pillow under knees."),
)


def _cal(rows: list[tuple[float, float, float, float, float]]) -> Calibration:
    return Calibration(
        mean=0.1,
        spread=0.5,
        fusion=fusion_key(PARAMS),
        relevance_mean=0.1,
        relevance_spread=0.5,
        background=tuple(rows),
    )


LOW = [(0.1 + 0.001 * n, 0.01, 0.2, 0.0, 0.1) for n in range(20)]
HIGH = [(0.4 + 0.001 * n, 0.05, 0.8, 1.0, 0.4) for n in range(20)]


def test_without_a_delta_or_a_background_the_shared_threshold_applies() -> None:
    assert kb_threshold(PARAMS, _cal(LOW)) == PARAMS.threshold
    with_delta = PARAMS.model_copy(update={"background_delta": 1.0})
    assert kb_threshold(with_delta, Calibration()) == PARAMS.threshold


def test_the_threshold_is_the_background_quantile_plus_delta_capped_at_the_shared_one() -> None:
    params = PARAMS.model_copy(update={"background_delta": 1.5})
    cal = _cal(LOW)
    logits = [_logit(params, Features(*row), cal) for row in LOW]
    z = float(np.quantile(logits, BACKGROUND_QUANTILE)) + 1.5
    expected = 1 / (1 + math.exp(-z))
    assert expected < PARAMS.threshold  # the case the test is about
    assert kb_threshold(params, cal) == pytest.approx(expected)
    # A large delta never raises it above the shared threshold.
    big = PARAMS.model_copy(update={"background_delta": 50.0})
    assert kb_threshold(big, cal) == PARAMS.threshold


def test_a_knowledge_base_whose_background_lands_lower_gets_a_lower_threshold() -> None:
    params = PARAMS.model_copy(update={"background_delta": 1.0})
    assert kb_threshold(params, _cal(LOW)) < kb_threshold(params, _cal(HIGH))


def test_background_rows_round_trip_through_the_manifest_and_bad_ones_are_ignored() -> None:
    cal = _cal(LOW[:3])
    back = Calibration.from_manifest({MANIFEST_KEY: cal.as_dict()}, PARAMS)
    assert back is not None
    assert np.allclose(back.background, cal.background)
    broken = cal.as_dict() | {"background": [[0.1, 0.2]]}
    assert Calibration.from_manifest({MANIFEST_KEY: broken}, PARAMS) is None
    assert "background" not in Calibration(fusion=fusion_key(PARAMS)).as_dict()


def _kb() -> KnowledgeBase:
    return KnowledgeBase.build("t", ENTRIES, HashingEncoder(dim=32))


def test_calibration_keeps_every_background_questions_features() -> None:
    retriever = HybridRetriever(_kb(), HashingEncoder(dim=32), PARAMS)
    cal = retriever.calibration()
    assert len(cal.background) == len(BACKGROUND)
    query, fused = retriever.fused(BACKGROUND[0])
    top = np.sort(fused)
    assert np.allclose(
        cal.background[0],
        (top[-1], top[-1] - top[-2], query.coverage, query.anchor, query.relevance),
    )


def test_search_answers_at_the_knowledge_bases_own_threshold() -> None:
    encoder = HashingEncoder(dim=32)
    shared = HybridRetriever(_kb(), encoder, PARAMS)
    text = "heat on a back spasm"
    top = shared.search(text).hits[0].score
    # A shared threshold just above the top confidence abstains ...
    strict = PARAMS.model_copy(update={"threshold": min(1.0, top + 1e-3)})
    assert not HybridRetriever(_kb(), encoder, strict).search(text).answered
    # ... and the knowledge base's own, lower one answers the same question.
    own = strict.model_copy(update={"background_delta": 0.0})
    retriever = HybridRetriever(_kb(), encoder, own)
    assert retriever.threshold() < top
    assert retriever.search(text).answered


def test_a_stored_calibration_without_background_is_redone_only_when_needed() -> None:
    kb = _kb()
    old = Calibration(
        mean=0.123,
        spread=0.045,
        fusion=fusion_key(PARAMS),
        questions=1,
        relevance_mean=0.2,
        relevance_spread=0.3,
    )
    kb.manifest[MANIFEST_KEY] = old.as_dict()
    assert HybridRetriever(kb, HashingEncoder(dim=32), PARAMS).calibration() == old
    needs = PARAMS.model_copy(update={"background_delta": 1.0})
    redone = HybridRetriever(kb, HashingEncoder(dim=32), needs).calibration()
    assert len(redone.background) == len(BACKGROUND)
