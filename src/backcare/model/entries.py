"""Knowledge-base entries and their sources, and the retrieval types scored over them."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from backcare.model.base import Frozen

__all__ = [
    "FaqEntry",
    "Hit",
    "RetrievalParams",
    "Source",
]


class Source(Frozen):
    """Where an answer comes from."""

    title: str = Field(min_length=1)
    url: str = Field(min_length=1)


class FaqEntry(Frozen):
    """One topic of a knowledge base: a question, its phrasings and its answer.

    ``origin`` says where an ingested entry came from (``file:line``); pack
    entries leave it empty.
    """

    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1)
    alternates: tuple[str, ...] = ()
    answer: str = Field(min_length=1)
    sources: tuple[Source, ...] = ()
    related: tuple[str, ...] = ()
    last_reviewed: dt.date | None = None
    origin: str | None = None

    def questions(self) -> tuple[str, ...]:
        """The main question followed by its alternate phrasings."""
        return (self.question, *self.alternates)


class Hit(Frozen):
    """One ranked entry from retrieval, before the answer/abstain decision.

    ``score`` is the fused score used for ranking; ``bm25`` and ``dense`` are
    the per-signal scores it came from (kept for calibration and debugging).
    """

    entry_id: str
    score: float
    bm25: float = 0.0
    dense: float = 0.0


class RetrievalParams(Frozen):
    """How retrieval signals are blended and turned into a confidence.

    The fused score of an entry is ``dense_weight * dense + answer_weight *
    dense_answer + bm25_weight * bm25`` (each signal in [0, 1]). Its confidence
    is a logistic function of the fused score and its margin over the best
    other entry (both scaled by the knowledge base's calibration, see
    ``backcare.retrieval.calibration``), the query's vocabulary coverage, and
    whether the query names one of the knowledge base's anchor terms (words
    most of its questions share, such as "back" and "spasm" in the pack), and
    the query's relevance to the knowledge base as a whole (how close its
    nearest entries are, on the calibration's scale). The
    values are fitted on three kinds of knowledge base (``tuning/fit.py``);
    below ``threshold`` (or the knowledge base's own, lower one, see
    ``background_delta``) the reply abstains.
    """

    dense_weight: float = 0.6
    answer_weight: float = 0.1
    bm25_weight: float = 0.3
    bm25_answer_share: float = Field(default=0.3, ge=0.0, le=1.0)
    intercept: float = -6.0
    coef_score: float = 8.0
    coef_margin: float = 4.0
    coef_coverage: float = 1.0
    coef_anchor: float = 0.0
    coef_relevance: float = 0.0
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Per-knowledge-base threshold (issue 15): a knowledge base whose everyday
    # background questions sit low on the confidence scale gets a lower
    # threshold, ``min(threshold, sigmoid(background logit + delta))``;
    # None keeps ``threshold`` everywhere. See ``retrieval.abstain.kb_threshold``.
    background_delta: float | None = None
    # A linear query adapter (``retrieval.adapter``): a ``.npy`` file beside
    # retrieval.yaml (loading the pack resolves it to a path) and its SHA-256.
    query_adapter: str | None = None
    query_adapter_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
