"""Pure: turn retrieval scores into a calibrated confidence and decide to abstain.

The confidence is a logistic regression over five features (``tuning/fit.py``):
the fused score of the entry and its margin over the best other entry, both
in units of the knowledge base's own off-topic spread (``calibration.py``),
how much of the query's vocabulary the knowledge base knows at all, whether
the query names an anchor term of the knowledge base (a word most of its
questions share), and how relevant the query is to the knowledge base as a
whole (its nearest entries' mean dense similarity, on the calibration's
scale). The fit keeps every weight non-negative, so the
confidences keep the ranking's order. Logistic outputs are probabilities by
construction, so the threshold reads as "answer only when at least this
likely to be right".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backcare.model import RetrievalParams
from backcare.retrieval.calibration import Calibration

__all__ = ["Features", "confidence", "confidences", "kb_threshold", "should_answer"]


@dataclass(frozen=True)
class Features:
    """The evidence behind one entry's confidence."""

    score: float
    margin: float
    coverage: float
    anchor: float = 1.0
    relevance: float | None = None  # raw; None reads as neutral (Calibration.scaled_relevance)


_IDENTITY = Calibration()
# Which background logit sets a knowledge base's threshold: the 90th percentile
# beat the median by 1.6 points of the seed page's answered-and-correct,
# cross-validated on the fit questions (tuning/try_query_adapter.py).
BACKGROUND_QUANTILE = 0.9


def _logit(params: RetrievalParams, features: Features, calibration: Calibration) -> float:
    return (
        params.intercept
        + params.coef_score * (features.score - calibration.mean) / calibration.spread
        + params.coef_margin * features.margin / calibration.spread
        + params.coef_coverage * features.coverage
        + params.coef_anchor * features.anchor
        + params.coef_relevance * calibration.scaled_relevance(features.relevance)
    )


def confidence(
    params: RetrievalParams, features: Features, calibration: Calibration = _IDENTITY
) -> float:
    """Probability in [0, 1] that the entry answers the query."""
    z = _logit(params, features, calibration)
    # Split by sign so exp never overflows for extreme logits.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def confidences(
    params: RetrievalParams,
    fused: np.ndarray,
    coverage: float,
    anchor: float = 1.0,
    calibration: Calibration = _IDENTITY,
    relevance: float | None = None,
) -> np.ndarray:
    """Confidence of every entry at once; the margin is taken over the best *other* entry.

    ``calibration`` is the knowledge base's (``calibration.py``); the identity
    default reads scores as they are. ``relevance`` is the query's raw
    relevance (``retriever.relevance_of``); None, or a calibration without a
    relevance scale, reads it as neutral.
    """
    if fused.size == 0:
        return np.zeros(0)
    # Only the best two matter; a full sort of 47k scores cost 0.3 ms a query.
    first = int(np.argmax(fused))  # the first of equal maxima, as a stable sort gives
    best = fused[first]
    second = 0.0
    if fused.size > 1:
        rest = fused.copy()
        rest[first] = -np.inf
        second = rest.max()
    others_best = np.full(fused.shape, best, dtype=fused.dtype)
    others_best[first] = second
    z = (
        params.intercept
        + params.coef_score * (fused - calibration.mean) / calibration.spread
        + params.coef_margin * (fused - others_best) / calibration.spread
        + params.coef_coverage * coverage
        + params.coef_anchor * anchor
        + params.coef_relevance * calibration.scaled_relevance(relevance)
    )
    result: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))  # logistic, overflow-free
    return result


def kb_threshold(params: RetrievalParams, calibration: Calibration) -> float:
    """The knowledge base's own threshold: never above ``params.threshold``.

    The shared threshold is set where the knowledge base with the most
    confident off-topic questions still abstains on enough of them (the pack,
    with its many alternate phrasings). A knowledge base on which off-topic
    questions land lower (an FAQ page without alternates) would abstain on
    more answerable questions than it needs to. Its everyday background
    questions, asked at calibration, show where it puts off-topic questions:
    the threshold is ``sigmoid(q + background_delta)``, ``q`` the 90th
    percentile of the background's logits,
    capped at the shared one; ``tuning/fit.py`` fits the delta so every fit
    knowledge base keeps its off-topic abstention floor. Without the delta or
    a measured background it is the shared threshold.
    """
    if params.background_delta is None or not calibration.background:
        return params.threshold
    logits = [
        _logit(
            params, Features(*row), calibration
        )  # row: score, margin, coverage, anchor, relevance
        for row in calibration.background
    ]
    z = float(np.quantile(logits, BACKGROUND_QUANTILE)) + params.background_delta
    own = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    return min(params.threshold, own)


def should_answer(
    params: RetrievalParams, top_confidence: float, threshold: float | None = None
) -> bool:
    """Answer only at or above the fitted threshold (``threshold``: a knowledge base's own)."""
    return top_confidence >= (params.threshold if threshold is None else threshold)
