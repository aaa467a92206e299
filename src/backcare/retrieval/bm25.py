"""BM25 over stemmed terms: build, save, load and score. The only importer of bm25s.

bm25s builds and saves the index. Loading and scoring read bm25s's saved
files (a CSC matrix of precomputed per-term scores, the vocabulary and the
parameters) with numpy alone: importing bm25s imports scipy.sparse, which
costs a quarter to half a second of every cold start and is not needed to add
up a query's posting lists (the same sum as bm25s's numpy backend).

A loaded index reads a query term's posting list from disk with ``os.pread``
(two short reads a term) instead of memory-mapping the matrix, for the reason
``entries.py`` reads entries that way: the kernel maps a mapped file's pages in
blocks (64 KB to 2 MB around each touched page), so scattered short posting
lists left most of the matrix resident in every process (14.4 MB at 47k
MedQuAD entries, docs/performance.md) although a query reads a few kilobytes.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from backcare.errors import KnowledgePackError
from backcare.retrieval._damage import DAMAGED_FILE_ERRORS

_LOAD_ERRORS: tuple[type[Exception], ...] = (*DAMAGED_FILE_ERRORS, KeyError, TypeError)

__all__ = ["BM25Index"]

logger = logging.getLogger(__name__)

_DF_FILE = "doc_freq.json"
# bm25s's file names (BM25.save defaults).
_DATA, _INDICES, _INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
_VOCAB, _PARAMS = "vocab.index.json", "params.index.json"


class _Column(Protocol):
    """One of the matrix's flat arrays (scores or document numbers), read by range."""

    def range(self, start: int, end: int) -> np.ndarray:
        """Items ``start`` to ``end`` (exclusive)."""
        ...

    def whole(self) -> np.ndarray:
        """Every item."""
        ...


class _InMemory:
    """A column held in memory (an index just built)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def range(self, start: int, end: int) -> np.ndarray:
        return self._array[start:end]

    def whole(self) -> np.ndarray:
        return np.asarray(self._array)


class _OnDisk:
    """A column of a saved index, read from its ``.npy`` file by range with ``os.pread``.

    ``os.pread`` has no shared file position, so threads read at once
    without a lock; the descriptor is closed when the object is collected.
    """

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._close = weakref.finalize(self, os.close, fd)
        with os.fdopen(os.dup(fd), "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(handle)
            start = handle.tell()
        if len(shape) != 1 or dtype.hasobject:
            raise ValueError(f"{path.name} is not a flat array of numbers")
        self._fd = fd
        self._path = path
        self._dtype = np.dtype(dtype)
        self._start = start
        self._len = int(shape[0])
        if os.fstat(fd).st_size < start + self._len * self._dtype.itemsize:
            raise ValueError(f"{path.name} is shorter than its header says")

    def range(self, start: int, end: int) -> np.ndarray:
        size = self._dtype.itemsize
        want = (end - start) * size
        raw = os.pread(self._fd, want, self._start + start * size) if want else b""
        if len(raw) != want:
            raise KnowledgePackError(
                f"{self._path}: cut short since it was loaded; rebuild the knowledge base"
            )
        return np.frombuffer(raw, dtype=self._dtype)

    def whole(self) -> np.ndarray:
        return self.range(0, self._len)


class BM25Index:
    """One BM25 index (bm25s, Lucene idf) whose documents are term lists.

    Besides bm25s's scores it keeps each term's document frequency, so a query
    can be scored against the best a document could possibly get; that bound
    turns raw BM25 (which grows with query length and corpus) into a number
    in [0, 1] that means the same in every knowledge base.
    """

    def __init__(
        self,
        matrix: tuple[_Column, _Column, np.ndarray],
        vocab: dict[str, int],
        params: dict[str, object],
        n_docs: int,
    ) -> None:
        self._data, self._indices, indptr = matrix
        # Where each term's posting list starts and ends: small (one number a
        # term) and read for every query term, so held in memory.
        self._indptr = np.asarray(indptr, dtype=np.int64)
        self._vocab = vocab
        self._params = params
        self._k1 = float(str(params["k1"]))
        self.n_docs = n_docs
        # A term's posting list names each document holding it once, so its
        # length is the term's document frequency: no second dict of every term.
        self._doc_freq = np.diff(self._indptr)
        self._max_idf = self._idf(1)

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]]) -> BM25Index:
        """Index ``docs``, each a list of terms (one document per entry)."""
        import bm25s

        model = bm25s.BM25(method="lucene")
        # bm25s needs at least one term per document; "" is its own empty token.
        model.index([list(doc) or [""] for doc in docs], show_progress=False)
        scores = model.scores
        params = {
            "k1": model.k1,
            "b": model.b,
            "delta": model.delta,
            "method": model.method,
            "idf_method": model.idf_method,
            "dtype": model.dtype,
            "int_dtype": model.int_dtype,
            "num_docs": scores["num_docs"],
            "version": bm25s.__version__,
            "backend": model.backend,
        }
        matrix = (_InMemory(scores["data"]), _InMemory(scores["indices"]), scores["indptr"])
        return cls(matrix, dict(model.vocab_dict), params, len(docs))

    def save(self, folder: Path) -> None:
        """Write the index into ``folder``: bm25s's files, plus document frequencies."""
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / _DATA, self._data.whole())
        np.save(folder / _INDICES, self._indices.whole())
        np.save(folder / _INDPTR, self._indptr)
        (folder / _VOCAB).write_text(json.dumps(self._vocab), encoding="utf-8")
        (folder / _PARAMS).write_text(json.dumps(self._params, indent=4), encoding="utf-8")
        # Written for readers of older versions, which take the frequencies from it.
        payload = {"n_docs": self.n_docs, "doc_freq": self.doc_freq()}
        (folder / _DF_FILE).write_text(json.dumps(payload), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """Load an index written by :meth:`save`; posting lists are read when a query needs them."""
        try:
            params = json.loads((folder / _PARAMS).read_text(encoding="utf-8"))
            vocab = json.loads((folder / _VOCAB).read_text(encoding="utf-8"))
            matrix = (
                _OnDisk(folder / _DATA),
                _OnDisk(folder / _INDICES),
                np.load(folder / _INDPTR),
            )
            # Only the document count is read from doc_freq.json; the frequencies
            # come from the matrix (see __init__). The file is found by a
            # regular expression on its head: parsing all of it built a dict of
            # every term only to throw it away.
            n_docs = _read_n_docs(folder / _DF_FILE)
            if params.get("method") != "lucene":
                raise ValueError(f"method {params.get('method')!r} is not 'lucene'")
            index = cls(matrix, vocab, params, n_docs)
        except _LOAD_ERRORS as exc:
            raise KnowledgePackError(
                f"{folder}: BM25 index is missing or damaged ({exc}); rebuild the knowledge base"
            ) from exc
        return index

    def _idf(self, doc_freq: int) -> float:
        return math.log(1.0 + (self.n_docs - doc_freq + 0.5) / (doc_freq + 0.5))

    def _freq(self, term: str) -> int | None:
        """How many documents hold ``term``; None when none does.

        "" is bm25s's stand-in term for an empty document, not a term of any.
        """
        token = self._vocab.get(term) if term else None
        freq = 0 if token is None else int(self._doc_freq[token])
        return freq or None

    def doc_freq(self) -> dict[str, int]:
        """Every term with the number of documents that hold it."""
        return {
            term: int(self._doc_freq[token])
            for term, token in self._vocab.items()
            if term and self._doc_freq[token]
        }

    def idf(self, term: str) -> float:
        """Lucene idf of ``term``; an unknown term counts as the rarest possible."""
        freq = self._freq(term)
        return self._max_idf if freq is None else self._idf(freq)

    def frequent_terms(self, min_share: float) -> frozenset[str]:
        """Terms found in at least ``min_share`` of the documents."""
        cutoff = min_share * self.n_docs
        frequent = np.flatnonzero(self._doc_freq >= cutoff)
        if not len(frequent):
            return frozenset()
        wanted = set(frequent.tolist())
        return frozenset(term for term, token in self._vocab.items() if term and token in wanted)

    def knows(self, term: str) -> bool:
        """Whether any document contains ``term``."""
        return self._freq(term) is not None

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query ``terms`` (float32, one per doc)."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for term in terms:
            token = self._vocab.get(term) if term else None
            if token is None:
                continue
            start, end = int(self._indptr[token]), int(self._indptr[token + 1])
            # One posting list names each document at most once, so += is exact.
            scores[self._indices.range(start, end)] += self._data.range(start, end)
        return scores

    def upper_bound(self, terms: Sequence[str]) -> float:
        """The largest score a document could get for ``terms`` (sum of idf * (k1 + 1))."""
        k1 = self._k1
        return sum(self.idf(term) for term in set(terms)) * (k1 + 1.0)


def _read_n_docs(path: Path) -> int:
    """``n_docs`` from a ``doc_freq.json`` that :meth:`BM25Index.save` wrote.

    It writes ``n_docs`` first, so it is found in the file's first bytes; any
    other layout is parsed in full.
    """
    with path.open("rb") as handle:
        head = handle.read(64).decode("utf-8", errors="replace")
    found = re.match(r'\s*\{\s*"n_docs"\s*:\s*(\d+)\s*[,}]', head)
    if found:
        return int(found.group(1))
    return int(json.loads(path.read_text(encoding="utf-8"))["n_docs"])
