"""BM25 over stemmed terms: build, save, load and score. The only importer of bm25s."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from backcare.errors import KnowledgePackError

__all__ = ["BM25Index"]

logger = logging.getLogger(__name__)

_DF_FILE = "doc_freq.json"


class BM25Index:
    """One BM25 index (bm25s, Lucene idf) whose documents are term lists.

    Besides bm25s's scores it keeps each term's document frequency, so a query
    can be scored against the best a document could possibly get; that bound
    turns raw BM25 (which grows with query length and corpus) into a number
    in [0, 1] that means the same in every knowledge base.
    """

    def __init__(self, model: bm25s.BM25, doc_freq: dict[str, int], n_docs: int) -> None:
        self._model = model
        self._vocab: dict[str, int] = model.vocab_dict
        self._doc_freq = doc_freq
        self.n_docs = n_docs
        self._max_idf = self._idf(1)

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]]) -> BM25Index:
        """Index ``docs``, each a list of terms (one document per entry)."""
        model = bm25s.BM25(method="lucene")
        # bm25s needs at least one term per document; "" is its own empty token.
        model.index([list(doc) or [""] for doc in docs], show_progress=False)
        doc_freq = Counter(term for doc in docs for term in set(doc))
        return cls(model, dict(doc_freq), len(docs))

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (bm25s's files plus document frequencies)."""
        folder.mkdir(parents=True, exist_ok=True)
        self._model.save(str(folder), show_progress=False)
        payload = {"n_docs": self.n_docs, "doc_freq": self._doc_freq}
        (folder / _DF_FILE).write_text(json.dumps(payload), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = True) -> BM25Index:
        """Load an index written by :meth:`save`, memory-mapping the matrices."""
        try:
            model = bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False)
            payload = json.loads((folder / _DF_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise KnowledgePackError(
                f"{folder}: BM25 index is missing or damaged ({exc}); rebuild the knowledge base"
            ) from exc
        return cls(model, payload["doc_freq"], int(payload["n_docs"]))

    def _idf(self, doc_freq: int) -> float:
        return math.log(1.0 + (self.n_docs - doc_freq + 0.5) / (doc_freq + 0.5))

    def idf(self, term: str) -> float:
        """Lucene idf of ``term``; an unknown term counts as the rarest possible."""
        freq = self._doc_freq.get(term)
        return self._max_idf if freq is None else self._idf(freq)

    def frequent_terms(self, min_share: float) -> frozenset[str]:
        """Terms found in at least ``min_share`` of the documents."""
        cutoff = min_share * self.n_docs
        return frozenset(term for term, freq in self._doc_freq.items() if term and freq >= cutoff)

    def knows(self, term: str) -> bool:
        """Whether any document contains ``term``."""
        return term in self._doc_freq

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query ``terms`` (float32, one per doc)."""
        known = [term for term in terms if term in self._vocab and term]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def upper_bound(self, terms: Sequence[str]) -> float:
        """The largest score a document could get for ``terms`` (sum of idf * (k1 + 1))."""
        k1 = float(self._model.k1)
        return sum(self.idf(term) for term in set(terms)) * (k1 + 1.0)
