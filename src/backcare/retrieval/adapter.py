"""A linear query adapter: ``q' = normalize(q + A q)`` on the MiniLM query vector.

The stored entry vectors do not change; only the query is moved, towards
where the right entries' questions sit for the kind of questions people ask
(issue 15). ``A`` is a ``dim x dim`` float32 matrix fitted offline by
``tuning/try_query_adapter.py`` (numpy; see docs/retrieval.md for the data)
and shipped as a ``.npy`` file whose SHA-256 the retrieval parameters name:
a file that does not match is refused, and the calibration key includes the
hash, so a knowledge base calibrated under another adapter is recalibrated.
Run time is one 384 x 384 matrix-vector product per query.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from backcare.errors import KnowledgePackError

__all__ = ["QueryAdapter", "load_adapter"]


class QueryAdapter:
    """Moves a unit query vector by a fitted linear map and renormalises it."""

    def __init__(self, matrix: np.ndarray, sha256: str) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"a query adapter is a square matrix, got shape {matrix.shape}")
        if not np.all(np.isfinite(matrix)):
            raise ValueError("a query adapter must be finite")
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.sha256 = sha256

    @property
    def dim(self) -> int:
        """The vector length it applies to."""
        return int(self.matrix.shape[0])

    def __call__(self, query: np.ndarray) -> np.ndarray:
        """``normalize(q + A q)`` for one vector; a zero result keeps ``q``."""
        moved = query + self.matrix @ query
        norm = float(np.linalg.norm(moved))
        if norm == 0.0 or not np.isfinite(norm):
            return query
        result: np.ndarray = (moved / norm).astype(np.float32)
        return result


@functools.cache
def load_adapter(path: str, sha256: str) -> QueryAdapter:
    """The adapter stored at ``path`` (``.npy``), checked against ``sha256``.

    Raises:
        KnowledgePackError: the file is missing, does not match the hash or
            is not a finite square matrix.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise KnowledgePackError(
            f"{file}: query adapter not readable ({exc.strerror}); "
            "restore it from the pack or remove query_adapter from retrieval.yaml"
        ) from exc
    found = hashlib.sha256(data).hexdigest()
    if found != sha256:
        raise KnowledgePackError(
            f"{file}: query adapter SHA-256 {found[:12]}... does not match retrieval.yaml's "
            f"{sha256[:12]}...; rerun tuning/try_query_adapter.py --write, which writes both"
        )
    try:
        matrix = np.load(file, allow_pickle=False)
        return QueryAdapter(np.asarray(matrix), sha256)
    except ValueError as exc:
        raise KnowledgePackError(f"{file}: not a query adapter ({exc})") from exc
