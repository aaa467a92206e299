"""Pure: merge per-entry retrieval signals into one ranking score.

Two ways are offered. ``linear_blend`` mixes signals that are already on a
common [0, 1] scale (cosine similarity, BM25 divided by its upper bound); it
keeps the magnitudes that the confidence model needs, so it is what backcare
ranks with. ``reciprocal_rank_fusion`` (Cormack, Clarke and Buettcher, SIGIR
2009) only looks at ranks; it is kept for comparison in the benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["linear_blend", "reciprocal_rank_fusion"]


def linear_blend(signals: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted sum of equally long signal arrays, one value per entry.

    Args:
        signals: name -> array of per-entry scores, all the same length.
        weights: name -> weight; every name in ``signals`` must have one.

    Raises:
        ValueError: when a signal has no weight or the lengths differ.
    """
    missing = sorted(set(signals) - set(weights))
    if missing:
        raise ValueError(f"no weight for signal(s) {missing}; known: {sorted(weights)}")
    lengths = {len(values) for values in signals.values()}
    if len(lengths) > 1:
        raise ValueError(f"signals differ in length: {sorted(lengths)}")
    total = np.zeros(lengths.pop() if lengths else 0, dtype=np.float64)
    for name in sorted(signals):  # fixed order: float sums do not depend on dict order
        total += weights[name] * np.asarray(signals[name], dtype=np.float64)
    return total


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], *, k: float = 60.0
) -> dict[str, float]:
    """Fuse ranked id lists: each id scores the sum of ``1 / (k + rank)`` (rank from 1).

    The result does not depend on the order of ``rankings``; scores lie in
    (0, len(rankings) / (k + 1)].
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(dict.fromkeys(ranking), start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused
