"""Unit vectors stored as int8 codes with one float32 scale per row.

At 47k MedQuAD entries the two float16 vector matrices were 35 MB each, and a
query's few hundred scattered candidate rows keep nearly all of both resident
(the kernel maps a page-cached file in large blocks: docs/performance.md).
int8 halves them again. Each row keeps its own scale, ``max |x| / 127``, so
its largest component is coded exactly and the others within half a step:
for MiniLM's unit vectors (largest component about 0.15-0.3) a step is about
0.002, which moves a cosine by well under 0.01 (measured in
docs/performance.md), while usearch's int8 copy uses one fixed scale for
every row and so steps of 1/127.

:class:`Int8Rows` behaves like the float32 matrix it stands for where the
rest of backcare uses one: ``len``, ``shape``, row indexing and ``@`` give
float32, and ``np.asarray(rows, dtype=np.float32)`` the whole dequantised
matrix. Its ``dtype`` is int8, the stored type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from backcare.errors import KnowledgePackError

__all__ = ["Int8Rows"]

_LEVELS = 127
# Rows dequantised at a time by a whole-matrix product, so exact search over
# an int8 matrix never holds an (n, dim) float32 copy (about 4 MB a block).
_BLOCK = 2048


class Int8Rows:
    """A read-only ``(n, dim)`` matrix of int8 codes and their per-row float32 scales."""

    def __init__(self, codes: npt.NDArray[np.int8], scales: npt.NDArray[np.float32]) -> None:
        """Wrap stored codes and scales (memory-mapped or not); see :meth:`quantize`.

        Raises:
            KnowledgePackError: the codes are not a 2-D int8 matrix, or the
                scales are not one float32 per row.
        """
        if codes.dtype != np.int8 or codes.ndim != 2:
            raise KnowledgePackError(
                f"int8 vectors must be a 2-D int8 matrix, not {codes.dtype} {codes.shape}"
            )
        if scales.dtype != np.float32 or scales.shape != (codes.shape[0],):
            raise KnowledgePackError(
                f"int8 vectors need one float32 scale per row: {codes.shape[0]} rows, "
                f"scales {scales.dtype} {scales.shape}"
            )
        self.codes = codes
        self.scales = scales

    @classmethod
    def quantize(cls, vectors: npt.ArrayLike) -> Int8Rows:
        """Code each row of ``vectors`` (float, 2-D) against its own largest magnitude.

        A row of zeros gets scale 0 and codes 0, and dequantises to zeros.
        Quantising the dequantised matrix again gives the same codes, so a
        rebuild that reuses stored vectors stores them unchanged.
        """
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2:
            raise KnowledgePackError(f"int8 vectors must be 2-D, not {matrix.shape}")
        peak = np.abs(matrix).max(axis=1) if matrix.shape[1] else np.zeros(len(matrix))
        scales = (peak / _LEVELS).astype(np.float32)
        safe = np.where(scales > 0, scales, np.float32(1.0))
        codes = np.clip(np.rint(matrix / safe[:, None]), -_LEVELS, _LEVELS).astype(np.int8)
        return cls(codes, scales)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The stored type (int8)."""
        return self.codes.dtype

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, dim)``."""
        rows, dim = self.codes.shape
        return int(rows), int(dim)

    @property
    def ndim(self) -> int:
        """Always 2."""
        return 2

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def __getitem__(self, index: Any) -> npt.NDArray[np.float32]:
        """The rows at ``index`` (an int, slice or integer array), dequantised to float32."""
        codes = np.asarray(self.codes[index], dtype=np.float32)
        scales = np.asarray(self.scales[index], dtype=np.float32)
        if codes.ndim == 1:
            result: npt.NDArray[np.float32] = codes * scales
            return result
        codes *= scales[:, None]
        return codes

    def dot_rows(
        self, rows: npt.NDArray[np.integer[Any]], vector: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """``self[rows] @ vector``, with each row's scale applied after its dot product.

        Scaling a row's codes first costs one multiply per stored number;
        scaling its cosine costs one per row. For the 1,100 candidate rows of a
        query at 47k entries this took the gather and product from 0.27 to
        0.16 ms p50 (docs/performance.md). The sums differ from
        ``self[rows] @ vector`` only in float32 rounding (under 1e-7 there).
        """
        codes = np.take(self.codes, rows, axis=0).astype(np.float32)
        result: npt.NDArray[np.float32] = (codes @ vector) * np.take(self.scales, rows)
        return result

    def __matmul__(self, other: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """``dequantised @ other``, a block of rows at a time."""
        right = np.asarray(other, dtype=np.float32)
        parts = [self[start : start + _BLOCK] @ right for start in range(0, len(self), _BLOCK)]
        if not parts:
            return np.zeros((0, *right.shape[1:]), dtype=np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> npt.NDArray[Any]:
        """The whole matrix dequantised (float32 unless ``dtype`` says otherwise)."""
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype, copy=False)

    def save(self, codes_path: Any, scales_path: Any) -> None:
        """Write the codes and the scales as two ``.npy`` files."""
        np.save(codes_path, np.asarray(self.codes))
        np.save(scales_path, np.asarray(self.scales))
