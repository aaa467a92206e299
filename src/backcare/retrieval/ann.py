"""Approximate nearest-neighbour search over unit vectors (usearch HNSW).

Exact search reads every vector for every query: fine for the shipped pack and
for a few thousand entries, but at 47k MedQuAD questions it touches 72 MB per
query and keeps all of it resident. Above :data:`ANN_THRESHOLD` question
vectors the knowledge base also saves an HNSW graph (Malkov and Yashunin, "Efficient
and robust approximate nearest neighbor search using Hierarchical Navigable
Small World graphs", IEEE TPAMI 2020), and the retriever asks it for a few
hundred candidates instead.

The index stores its own copy of the vectors quantised to int8 (cosine
metric): a quarter of float32's size, and on MedQuAD's 47k questions faster to
build (9 s vs 24 s), faster to search and slightly better in recall than
float32 (benchmarks/run.py). The cosines it returns are therefore approximate
(within about 0.01); the retriever uses it only to pick candidates and scores
those from the stored matrix (int8 for a knowledge base with an index:
see ``kbase.VECTOR_DTYPES``). This is the only backcare module that
imports usearch.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from backcare.errors import KnowledgePackError, RetrievalError
from backcare.retrieval.dense import load_runtime

__all__ = [
    "ANN_FILE",
    "ANN_THRESHOLD",
    "AnnIndex",
    "AnnParams",
    "exact_top_k",
    "recall_at_k",
    "use_ann",
]

logger = logging.getLogger(__name__)

ANN_THRESHOLD = 20_000
"""Above this many question vectors a knowledge base gets an ANN index by default."""

ANN_FILE = "question_ann.usearch"
"""The index's file name inside a knowledge-base version folder."""


@dataclass(frozen=True)
class AnnParams:
    """HNSW settings.

    Fitted on MedQuAD's 47k questions (all-MiniLM-L6-v2, docs/performance.md).
    Its templated questions ("What are the treatments for X ?" for thousands of
    X) form tight clusters that trap HNSW's greedy search: the index alone
    finds 0.96 of the exact top-10 at these settings (about 1 ms a search).
    The retriever adds its lexical candidates and rescores exactly, which
    brings the ranking it uses to recall@10 0.992 (see ``HybridRetriever``);
    connectivity 16 or ef 256 fall below 0.99.

    Attributes:
        connectivity: graph edges per node (HNSW ``M``).
        expansion_add: candidate list size while building (``efConstruction``).
        expansion_search: candidate list size while searching (``ef``); raised
            to the number of results asked for when that is larger.
    """

    connectivity: int = 32
    expansion_add: int = 256
    expansion_search: int = 384

    def as_dict(self) -> dict[str, int]:
        """The settings as plain JSON values, for a manifest."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: object) -> AnnParams:
        """Settings read back from :meth:`as_dict`; unknown or missing keys use defaults.

        Raises:
            KnowledgePackError: ``values`` is not a mapping of positive integers.
        """
        if not isinstance(values, dict):
            raise KnowledgePackError(f"ANN settings must be an object, not {values!r}; rebuild")
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        if not all(isinstance(v, int) and v > 0 for v in known.values()):
            raise KnowledgePackError(f"ANN settings must be positive integers: {known}; rebuild")
        return cls(**known)


def use_ann(n_vectors: int, ann: bool | None, *, threshold: int = ANN_THRESHOLD) -> bool:
    """Whether to build an ANN index: ``ann`` when given, else above ``threshold`` vectors."""
    return n_vectors > threshold if ann is None else ann


class AnnIndex:
    """An HNSW index whose keys are row numbers of the vector matrix it was built from."""

    def __init__(self, index: Any, params: AnnParams) -> None:
        """Wrap an open usearch index; use :meth:`build` or :meth:`load` instead."""
        self._index = index
        self.params = params
        self._index.expansion_search = params.expansion_search

    def __len__(self) -> int:
        return int(self._index.size)

    @classmethod
    def build(
        cls, vectors: npt.ArrayLike, params: AnnParams | None = None, *, threads: int = 0
    ) -> AnnIndex:
        """Index the rows of ``vectors`` (unit float32 rows; key = row number).

        Args:
            vectors: ``(n, dim)`` unit vectors.
            params: HNSW settings; defaults are :class:`AnnParams`'s.
            threads: build threads; 0 uses every core.

        Raises:
            RetrievalError: the vectors are not a non-empty 2-D array, or usearch fails.
        """
        load_runtime()  # before usearch, or a later onnxruntime import crashes
        from usearch.index import Index

        params = params or AnnParams()
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or not len(matrix):
            raise RetrievalError(f"ANN index needs a non-empty (n, dim) matrix, got {matrix.shape}")
        try:
            index = Index(
                ndim=matrix.shape[1],
                metric="cos",
                dtype="i8",
                connectivity=params.connectivity,
                expansion_add=params.expansion_add,
                expansion_search=params.expansion_search,
            )
            index.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=threads)
        except (RuntimeError, ValueError) as exc:
            raise RetrievalError(f"usearch could not build the ANN index: {exc}") from exc
        return cls(index, params)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (one file)."""
        try:
            self._index.save(str(path))
        except (RuntimeError, ValueError, OSError) as exc:
            raise KnowledgePackError(f"{path}: cannot write the ANN index ({exc})") from exc

    @classmethod
    def load(cls, path: Path, params: AnnParams | None = None, *, view: bool = True) -> AnnIndex:
        """Open an index written by :meth:`save`, memory-mapped when ``view`` (the default).

        A view keeps only the pages that searches touch in memory, and many
        processes share them.

        Raises:
            KnowledgePackError: the file is missing or not a usearch index.
        """
        load_runtime()  # before usearch, or a later onnxruntime import crashes
        from usearch.index import Index

        if not path.is_file():
            raise KnowledgePackError(f"{path}: ANN index is missing; rebuild the knowledge base")
        try:
            index = Index.restore(str(path), view=view)
        except (RuntimeError, ValueError, OSError) as exc:
            raise KnowledgePackError(
                f"{path}: ANN index is damaged ({exc}); rebuild the knowledge base"
            ) from exc
        if index is None:
            raise KnowledgePackError(f"{path}: not a usearch index; rebuild the knowledge base")
        return cls(index, params or AnnParams())

    def search(
        self, query: npt.ArrayLike, k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` rows most similar to ``query``: row numbers and cosines, best first."""
        k = max(1, min(k, len(self)))
        if k > self._index.expansion_search:
            self._index.expansion_search = k
        vector = np.ascontiguousarray(query, dtype=np.float32)
        try:
            matches = self._index.search(vector, k, threads=1)
        except (RuntimeError, ValueError) as exc:
            raise RetrievalError(f"ANN search failed: {exc}") from exc
        rows = np.asarray(matches.keys, dtype=np.int64)
        sims = (1.0 - np.asarray(matches.distances, dtype=np.float32)).astype(np.float32)
        return rows, sims


def exact_top_k(
    vectors: npt.ArrayLike, query: npt.ArrayLike, k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Exact counterpart of :meth:`AnnIndex.search`, for measuring recall."""
    sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(query, dtype=np.float32)
    k = max(1, min(k, len(sims)))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return top.astype(np.int64), sims[top]


def recall_at_k(
    index: AnnIndex,
    vectors: npt.ArrayLike,
    queries: npt.ArrayLike,
    k: int,
    *,
    candidates: int | None = None,
) -> float:
    """Mean share of the exact top-``k`` rows that the ANN index also finds.

    With ``candidates``, the index is asked for that many rows, which are
    rescored exactly against ``vectors`` before the top ``k`` are kept, as
    the retriever does; without, its own top ``k`` are taken as they come.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    found = 0
    total = 0
    for query in np.asarray(queries, dtype=np.float32):
        exact, _ = exact_top_k(matrix, query, k)
        approx, _ = index.search(query, candidates or k)
        if candidates:
            approx = approx[np.argsort(-(matrix[approx] @ query), kind="stable")[:k]]
        found += len(set(exact.tolist()) & set(approx.tolist()))
        total += len(exact)
    return found / total if total else 1.0
