"""Confidence: calibrated, bounded, order-preserving."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from backcare.model import RetrievalParams
from backcare.retrieval.abstain import Features, confidence, confidences, should_answer

PARAMS = RetrievalParams()
unit = st.floats(min_value=0.0, max_value=1.0)


@given(st.lists(unit, min_size=1, max_size=30), unit)
def test_confidences_are_probabilities_that_keep_the_ranking(
    scores: list[float], cov: float
) -> None:
    fused = np.array(scores)
    conf = confidences(PARAMS, fused, cov)
    assert np.all((conf >= 0) & (conf <= 1))
    assert conf[int(np.argmax(fused))] == conf.max()


def test_single_confidence_matches_the_vector_form() -> None:
    fused = np.array([0.8, 0.5, 0.1])
    conf = confidences(PARAMS, fused, 0.9)
    one = confidence(PARAMS, Features(score=0.8, margin=0.3, coverage=0.9))
    assert abs(conf[0] - one) < 1e-9


def test_extreme_logits_do_not_overflow() -> None:
    params = RetrievalParams(intercept=-1e6)
    assert confidence(params, Features(score=1, margin=1, coverage=1)) == 0.0
    params = RetrievalParams(intercept=1e6)
    assert confidence(params, Features(score=0, margin=0, coverage=0)) == 1.0


def test_threshold_decides() -> None:
    params = RetrievalParams(threshold=0.6)
    assert should_answer(params, 0.6)
    assert not should_answer(params, 0.59)


def test_empty_knowledge_base_gives_no_confidences() -> None:
    assert confidences(PARAMS, np.zeros(0), 1.0).size == 0
