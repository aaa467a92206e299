"""HybridRetriever: BM25 + dense vectors, fused, with a calibrated confidence."""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from backcare.model import Hit, RetrievalParams
from backcare.retrieval.abstain import confidences, kb_threshold, should_answer
from backcare.retrieval.adapter import QueryAdapter, load_adapter
from backcare.retrieval.background import BACKGROUND
from backcare.retrieval.calibration import (
    MANIFEST_KEY,
    Calibration,
    calibrate,
    fusion_key,
    own_sample,
)
from backcare.retrieval.dense import Encoder
from backcare.retrieval.fusion import linear_blend
from backcare.retrieval.kbase import KnowledgeBase
from backcare.retrieval.quantized import Int8Rows
from backcare.retrieval.spelling import SpellFixer
from backcare.retrieval.tokenize import Analyzer, words

__all__ = ["HybridRetriever", "QuerySignals", "SearchResult", "top_indexes"]

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")
# Below this many words a message is one thought; above it, the question
# sentence is searched on its own too, so a long story around it cannot drown it.
_LONG_QUERY_WORDS = 16
# A term in at least this share of the entries' questions names what the whole
# knowledge base is about ("back", "spasm"); a query with none is likely off-topic.
_ANCHOR_SHARE = 0.6
# With an ANN index, this many nearest question vectors and this many best BM25
# entries become the candidates that get exact dense scores. The lexical ones
# are nearly free (BM25 is computed anyway) and catch the neighbours HNSW
# misses in clustered data: on MedQuAD's 47k questions the dense ranking
# reaches recall@10 0.992 with 1,000 of them (benchmarks/run.py); with 200, a
# sweep on a float32 index gave 0.982-0.988 (ef 256-512). On the int8 index
# 300 give 0.986 and 700 0.992, whatever the ANN count (benchmarks/candidates.py).
ANN_CANDIDATES = 200
LEXICAL_CANDIDATES = 1000
# The query's relevance to a knowledge base is the mean dense similarity of
# this many nearest entries: one near entry can be luck, a near neighbourhood
# is a topic (chosen by cross-validation in tuning/fit.py).
RELEVANCE_K = 3


@functools.cache
def _blas() -> Any:
    """The process's BLAS thread pools (found once: the scan takes milliseconds)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _row_dots(
    matrix: Any, rows: np.ndarray, query: np.ndarray, widened: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Cosines of ``query`` with the stored vectors in ``rows``.

    int8 rows are scaled after their products (`Int8Rows.dot_rows`); other
    stored types are widened to float32 first (``widened``, the knowledge
    base's ``question_rows`` or ``answer_rows``).
    """
    if isinstance(matrix, Int8Rows):
        return matrix.dot_rows(rows, query)
    products: np.ndarray = widened(rows) @ query
    return products


def focus_sentence(text: str) -> str | None:
    """The sentence(s) of a long, multi-sentence message that carry the question.

    Sentences ending in "?" when there are any, else the last sentence;
    None for short or single-sentence messages.
    """
    if len(text.split()) < _LONG_QUERY_WORDS:
        return None
    sentences = [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
    if len(sentences) < 2:
        return None
    questions = [sentence for sentence in sentences if sentence.endswith("?")]
    return " ".join(questions) if questions else sentences[-1]


def relevance_of(dense: np.ndarray, k: int = RELEVANCE_K) -> float:
    """How relevant a query is to the knowledge base as a whole: the mean of its ``k`` best
    per-entry dense similarities (all of them when there are fewer)."""
    if dense.size == 0:
        return 0.0
    k = min(k, dense.size)
    return float(np.mean(np.partition(dense, dense.size - k)[dense.size - k :]))


def top_indexes(scores: np.ndarray, k: int) -> np.ndarray:
    """The indexes of the ``k`` best ``scores`` (at least one), best first; ties in index order.

    ``argpartition`` alone picks arbitrarily among scores equal to the k-th
    best, so the answer to a question could change with ``top_k`` (two entries
    with the same text score the same). Here the result for ``k`` is always the
    first ``k`` of the result for any larger ``k``.
    """
    k = max(1, min(k, len(scores)))
    if k < len(scores):
        chosen = np.argpartition(-scores, k - 1)[:k]
        kth = scores[chosen].min()
        if np.count_nonzero(scores >= kth) > k:
            # Scores equal to the k-th best lie across the cut: take those first in order.
            above = np.flatnonzero(scores > kth)
            tied = np.flatnonzero(scores == kth)[: k - len(above)]
            chosen = np.concatenate([above, tied])
    else:
        chosen = np.arange(len(scores))
    # lexsort's last key sorts first: by score, descending, then by index.
    order: np.ndarray = chosen[np.lexsort((chosen, -scores[chosen]))]
    return order


@dataclass(frozen=True)
class QuerySignals:
    """What one query yields before fusion: per-entry signals and query-level features.

    ``anchor`` (see docs/retrieval.md) comes from the whole message, the
    signals and coverage from the better of the message and its question
    sentence.
    """

    signals: dict[str, np.ndarray]
    coverage: float
    anchor: float
    repaired: str

    @property
    def relevance(self) -> float:
        """The query's relevance to the whole knowledge base (``relevance_of``)."""
        return relevance_of(self.signals["dense"])


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

    def __init__(
        self,
        kb: KnowledgeBase,
        encoder: Encoder,
        params: RetrievalParams,
        *,
        ann_candidates: int = ANN_CANDIDATES,
        lexical_candidates: int = LEXICAL_CANDIDATES,
    ) -> None:
        self.kb = kb
        self.encoder = encoder
        self.params = params
        self.ann_candidates = ann_candidates
        self.lexical_candidates = lexical_candidates
        self._question_ends = np.append(kb.question_starts[1:], len(kb.question_vectors))
        self._analyzer = Analyzer()
        self._speller = SpellFixer(kb.vocabulary)
        self._anchors = kb.bm25_questions.frequent_terms(_ANCHOR_SHARE)
        self._adapter: QueryAdapter | None = None
        if params.query_adapter is not None and params.query_adapter_sha256 is not None:
            self._adapter = load_adapter(params.query_adapter, params.query_adapter_sha256)
        self._calibration: Calibration | None = None
        self._threshold = params.threshold
        # While calibrating: every asked question's raw confidence features.
        self._recorded: dict[str, tuple[float, float, float, float, float]] | None = None
        # Float32 copies of the vector matrices, held only while calibrating a
        # knowledge base with an ANN index (see `calibration`).
        self._exact: tuple[np.ndarray, np.ndarray] | None = None
        self.calibration()

    def calibration(self) -> Calibration:
        """The knowledge base's calibration for the current fusion weights.

        Read from the manifest when it was computed there (at ingest or index
        time, see ``calibrated``) under the same weights, else computed now and
        kept: ``tuning/fit.py`` changes ``params`` between searches.
        """
        current = self._calibration
        if current is not None and current.fusion == fusion_key(self.params):
            return current
        found = Calibration.from_manifest(self.kb.manifest, self.params)
        # One stored before the relevance feature is redone too (160 searches),
        # and so is one stored before the background's features were kept when
        # the parameters set a per-knowledge-base threshold from them.
        if (
            found is None
            or found.relevance_mean is None
            or (not found.background and self.params.background_delta is not None)
        ):
            logger.info(
                "calibrating knowledge base %s for %s", self.kb.name, fusion_key(self.params)
            )
            own = [self.kb.entries[i].question for i in own_sample(len(self.kb))]
            # Exact dense scores: the levels must not hang on which neighbours an
            # HNSW graph (built in parallel, so not bit-reproducible) happens to find.
            # Float32 copies for the duration: a float16 matrix is converted on every
            # product (~100 ms a query at 47k entries, 12 s for a calibration). A
            # search running meanwhile scores exactly too: slower, never wrong.
            if self.kb.ann is not None:
                self._exact = (
                    np.asarray(self.kb.question_vectors, dtype=np.float32),
                    np.asarray(self.kb.answer_vectors, dtype=np.float32),
                )
            self._recorded = {}
            try:
                found = calibrate(self._measure, self.params, own)
                found = dataclasses.replace(
                    found, background=tuple(self._recorded[q] for q in BACKGROUND)
                )
            finally:
                self._exact = None
                self._recorded = None
        self._calibration = found
        self._threshold = kb_threshold(self.params, found)
        return found

    def threshold(self) -> float:
        """The confidence at or above which this knowledge base answers (``kb_threshold``)."""
        self.calibration()
        return self._threshold

    def _measure(self, text: str) -> tuple[float, float]:
        """The best fused score for ``text`` and its relevance: what calibration asks.

        While calibrating it also keeps the question's raw confidence features.
        """
        query, fused = self.fused(text)
        best = float(fused.max())
        if self._recorded is not None:
            second = float(np.partition(fused, -2)[-2]) if fused.size > 1 else 0.0
            self._recorded[text] = (
                best,
                best - second,
                query.coverage,
                query.anchor,
                query.relevance,
            )
        return best, query.relevance

    def calibrated(self) -> dict[str, object]:
        """The knowledge base's manifest with this retriever's calibration in it (for saving)."""
        return {**self.kb.manifest, MANIFEST_KEY: self.calibration().as_dict()}

    def _anchor(self, terms: list[str]) -> float:
        """1.0 when ``terms`` include an anchor term (or the knowledge base has none), else 0.0."""
        if not self._anchors:
            return 1.0
        return 1.0 if self._anchors.intersection(terms) else 0.0

    def signals(self, text: str) -> QuerySignals:
        """Per-entry signals for ``text`` (each in [0, 1]) and the query-level features.

        For a long message the question sentence is scored too, and each
        entry keeps the better of the two scores per signal. Split out of
        :meth:`search` so ``tuning/fit.py`` refits on the numbers the live
        path uses.
        """
        whole = self._signals_of(text)
        focus = focus_sentence(text)
        if focus is None:
            return whole
        part = self._signals_of(focus)
        return QuerySignals(
            signals={
                name: np.maximum(values, part.signals[name])
                for name, values in whole.signals.items()
            },
            coverage=max(whole.coverage, part.coverage),
            anchor=whole.anchor,
            repaired=whole.repaired,
        )

    def _signals_of(self, text: str) -> QuerySignals:
        typed = words(text)
        tokens = self._speller.fix_all(typed)
        repaired = " ".join(tokens) if tokens != typed else text
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
        # The encoder reads the words as typed: its word pieces cope with most
        # typos, while repairs towards a small knowledge base's vocabulary
        # also "fix" ordinary words it lacks (324 of 520 tuning questions were
        # changed on the seed page), which cost the dense signals 5 points of
        # top-1 there (tuning/fit.py, issue 15).
        query = self.encoder.encode_query(text)
        # The adapter belongs to the shipped encoder's space; another encoder (a
        # test's hashing one) has another length and is read unadapted.
        if self._adapter is not None and self._adapter.dim == query.shape[0]:
            query = self._adapter(query)
        # One query is a matrix-vector product: memory-bound, so BLAS threads
        # gain nothing, and OpenBLAS's keep spinning after it returns, taking a
        # core from the next encode (exact search at 14k entries: 23.1 ms p50
        # with them, 9.9 ms without; docs/performance.md). Costs 8 us a query.
        with _blas().limit(limits=1, user_api="blas"):
            dense, dense_answer = self._dense(query, bm25)
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
        return QuerySignals(signals, coverage, self._anchor(terms), repaired)

    def _dense(self, query: np.ndarray, bm25: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-entry cosine of the best question and of the answer.

        Without an ANN index every vector is scored. With one, only candidate
        entries are: those owning the ANN's nearest question vectors and the
        best BM25 entries; they get exact cosines, every other entry 0. That
        keeps a query to a few hundred vectors and leaves the rest of the
        memory-mapped matrices on disk.
        """
        kb = self.kb
        exact = self._exact
        if exact is not None:
            return np.maximum.reduceat(exact[0] @ query, kb.question_starts), exact[1] @ query
        if kb.ann is None:
            sims = kb.question_vectors @ query
            return np.maximum.reduceat(sims, kb.question_starts), kb.answer_vectors @ query
        rows, _ = kb.ann.search(query, self.ann_candidates)
        owners = np.searchsorted(kb.question_starts, rows, side="right") - 1
        candidates = np.unique(np.concatenate([owners, self._lexical(bm25)]))
        starts = kb.question_starts[candidates]
        lengths = self._question_ends[candidates] - starts
        offsets = np.cumsum(lengths) - lengths
        question_rows = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
        sims = _row_dots(kb.question_vectors, question_rows, query, kb.question_rows)
        dense = np.zeros(len(kb), dtype=np.float32)
        dense[candidates] = np.maximum.reduceat(sims, offsets)
        dense_answer = np.zeros(len(kb), dtype=np.float32)
        dense_answer[candidates] = _row_dots(kb.answer_vectors, candidates, query, kb.answer_rows)
        return dense, dense_answer

    def _lexical(self, bm25: np.ndarray) -> np.ndarray:
        """The entries of the ``lexical_candidates`` best positive BM25 scores (any order).

        Partitioned among the entries that match at all rather than over every
        entry: a MedQuAD query matches a few thousand of the 47k.
        """
        matched = np.flatnonzero(bm25 > 0)
        k = self.lexical_candidates
        if len(matched) <= k:
            return matched
        return matched[np.argpartition(-bm25[matched], k - 1)[:k]]

    def fused(self, text: str) -> tuple[QuerySignals, np.ndarray]:
        """The signals of ``text`` and the fused score of every entry."""
        query = self.signals(text)
        p = self.params
        fused = linear_blend(
            query.signals,
            {"dense": p.dense_weight, "dense_answer": p.answer_weight, "bm25": p.bm25_weight},
        )
        return query, fused

    def search(self, text: str, *, top_k: int = 3) -> SearchResult:
        """Rank the entries for ``text`` (already normalised) and decide whether to answer."""
        query, fused = self.fused(text)
        signals, coverage, repaired = query.signals, query.coverage, query.repaired
        p = self.params
        conf = confidences(
            p, fused, coverage, query.anchor, self.calibration(), relevance=query.relevance
        )
        top = top_indexes(fused, top_k)
        hits = tuple(
            Hit(
                entry_id=self.kb.ids[i],
                score=float(conf[i]),
                bm25=float(signals["bm25"][i]),
                dense=float(signals["dense"][i]),
            )
            for i in top
        )
        answered = bool(hits) and should_answer(p, hits[0].score, self.threshold())
        return SearchResult(hits=hits, answered=answered, corrected_query=repaired)
