"""HybridRetriever: BM25 + dense vectors, fused, with a calibrated confidence."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from backcare.model import Hit, RetrievalParams
from backcare.retrieval.abstain import confidences, should_answer
from backcare.retrieval.dense import Encoder
from backcare.retrieval.fusion import linear_blend
from backcare.retrieval.kbase import KnowledgeBase
from backcare.retrieval.spelling import SpellFixer
from backcare.retrieval.tokenize import Analyzer, words

__all__ = ["HybridRetriever", "SearchResult"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits (best first, ``score`` = confidence) and the answer/abstain decision."""

    hits: tuple[Hit, ...]
    answered: bool
    corrected_query: str


class HybridRetriever:
    """Searches one knowledge base with BM25 and dense vectors.

    The encoder is passed in, so tests can use a model-free one.
    """

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, params: RetrievalParams) -> None:
        self.kb = kb
        self.encoder = encoder
        self.params = params
        self._analyzer = Analyzer()
        self._speller = SpellFixer(kb.vocabulary)

    def signals(self, text: str) -> tuple[dict[str, np.ndarray], float, str]:
        """Per-entry signals for ``text`` (each in [0, 1]), the coverage and the repaired text.

        Split out of :meth:`search` so ``tuning/fit.py`` can refit the weights
        from the same numbers the live path uses.
        """
        tokens = self._speller.fix_all(words(text))
        repaired = " ".join(tokens) if tokens != words(text) else text
        terms = list(dict.fromkeys(self._analyzer.terms_of_words(tokens)))
        kb = self.kb
        bound = kb.bm25_questions.upper_bound(terms)
        if bound > 0:
            share = self.params.bm25_answer_share
            raw = (1.0 - share) * kb.bm25_questions.scores(terms) + share * kb.bm25_answers.scores(
                terms
            )
            bm25 = np.clip(raw / bound, 0.0, 1.0)
        else:
            bm25 = np.zeros(len(kb), dtype=np.float32)
        query = self.encoder.encode_query(repaired)
        sims = kb.question_vectors @ query
        dense = np.maximum.reduceat(sims, kb.question_starts)
        dense_answer = kb.answer_vectors @ query
        known = sum(
            kb.bm25_questions.idf(t)
            for t in terms
            if kb.bm25_questions.knows(t) or kb.bm25_answers.knows(t)
        )
        total = sum(kb.bm25_questions.idf(t) for t in terms)
        coverage = known / total if total > 0 else 0.0
        signals = {
            "dense": np.clip(dense, 0.0, 1.0),
            "dense_answer": np.clip(dense_answer, 0.0, 1.0),
            "bm25": bm25,
        }
        return signals, coverage, repaired

    def search(self, text: str, *, top_k: int = 3) -> SearchResult:
        """Rank the entries for ``text`` (already normalised) and decide whether to answer."""
        signals, coverage, repaired = self.signals(text)
        p = self.params
        fused = linear_blend(
            signals,
            {"dense": p.dense_weight, "dense_answer": p.answer_weight, "bm25": p.bm25_weight},
        )
        conf = confidences(p, fused, coverage)
        k = max(1, min(top_k, len(fused)))
        top = np.argpartition(-fused, k - 1)[:k] if k < len(fused) else np.arange(len(fused))
        top = top[np.argsort(-fused[top], kind="stable")]
        hits = tuple(
            Hit(
                entry_id=self.kb.entries[i].id,
                score=float(conf[i]),
                bm25=float(signals["bm25"][i]),
                dense=float(signals["dense"][i]),
            )
            for i in top
        )
        answered = bool(hits) and should_answer(p, hits[0].score)
        return SearchResult(hits=hits, answered=answered, corrected_query=repaired)
