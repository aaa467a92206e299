"""The dense step at 47k, today's code against the code before issue 18's candidate-path change.

"before" is a copy of ``HybridRetriever._dense`` as it was at ``823f7e3``:
the best BM25 entries picked by a partition over every entry, and int8
candidate rows dequantised (each code times its row's scale) before their
products. "after" is the retriever's own ``_dense``: the partition runs over
the entries BM25 matched, and each row's scale multiplies its product
(`Int8Rows.dot_rows`). Both run in one process, query by query in
alternation (ABAB..., the order swapped every round), so a shared machine's
load falls on both alike. It reports p10 / p50 / p95 of each, checks that the
candidates both score get cosines within 1e-6, and counts the queries whose
candidate sets differ: MedQuAD's templated questions tie by the hundred at the
1,000th BM25 score, and a partition keeps an arbitrary subset of a tie, which
the two partitions pick differently (what that changes in the replies is
``snapshot.py``'s to say).

Run::

    python benchmarks/bench_dense.py benchmarks/results/kb/medquad-47k \\
        benchmarks/results/queries-medquad-47k.json [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def dense_before(retriever: Any, query: np.ndarray, bm25: np.ndarray) -> tuple[Any, Any]:
    """``HybridRetriever._dense``'s ANN path as of ``823f7e3``."""
    kb = retriever.kb
    rows, _ = kb.ann.search(query, retriever.ann_candidates)
    owners = np.searchsorted(kb.question_starts, rows, side="right") - 1
    k = min(retriever.lexical_candidates, len(bm25))
    lexical = np.argpartition(-bm25, k - 1)[:k]
    lexical = lexical[bm25[lexical] > 0]
    candidates = np.unique(np.concatenate([owners, lexical]))
    starts = kb.question_starts[candidates]
    lengths = retriever._question_ends[candidates] - starts
    offsets = np.cumsum(lengths) - lengths
    question_rows = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
    sims = kb.question_rows(question_rows) @ query
    dense = np.zeros(len(kb), dtype=np.float32)
    dense[candidates] = np.maximum.reduceat(sims, offsets)
    dense_answer = np.zeros(len(kb), dtype=np.float32)
    dense_answer[candidates] = kb.answer_rows(candidates) @ query
    return dense, dense_answer


def measure(kb: str, queries_file: str, rounds: int) -> dict[str, Any]:
    """Time both ways over the queries; see the module doc."""
    from threadpoolctl import threadpool_limits

    from backcare import KnowledgeBase, default_encoder, load_pack
    from backcare.retrieval.retriever import HybridRetriever
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    base = KnowledgeBase.load(Path(kb))
    if base.ann is None:
        raise SystemExit(f"{kb} has no ANN index")
    retriever = HybridRetriever(base, encoder, load_pack().params)
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    prepared = []
    for q in queries:
        signals = retriever.signals(q)  # BM25 and the encoder, outside the timing
        prepared.append((encoder.encode_query(q), signals.signals["bm25"]))
    ways = {
        "before": lambda q, b: dense_before(retriever, q, b),
        "after": retriever._dense,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    largest = 0.0
    differing = 0
    # As the retriever does: one BLAS thread for these matrix-vector products.
    with threadpool_limits(limits=1, user_api="blas"):
        for turn in range(rounds):
            order = list(ways) if turn % 2 == 0 else list(ways)[::-1]
            for query, bm25 in prepared:
                results = {}
                for name in order:
                    start = time.perf_counter()
                    results[name] = ways[name](query, bm25)
                    times[name].append((time.perf_counter() - start) * 1000)
                one, other = results["before"][1], results["after"][1]
                both = (one != 0) & (other != 0)
                if turn == 0:
                    differing += int(not np.array_equal(one != 0, other != 0))
                for one, other in zip(results["before"], results["after"], strict=True):
                    largest = max(largest, float(np.abs(one[both] - other[both]).max()))
    if largest > 1e-6:
        raise SystemExit(f"the two ways' cosines differ by {largest}")

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "p10_ms": round(ordered[len(ordered) // 10], 3),
            "p50_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))], 3),
        }

    return {
        "kb": kb,
        "vector_dtype": str(base.question_vectors.dtype),
        "calls_each": len(times["after"]),
        "queries_with_other_candidates": differing,
        "largest_cosine_difference": largest,
        "load_avg": os.getloadavg(),
        "dense": {name: summary(values) for name, values in times.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", help="a knowledge-base folder with an ANN index")
    parser.add_argument("queries", help="a JSON list of queries (run.py writes them)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    args = parser.parse_args()
    print(json.dumps(measure(args.kb, args.queries, args.rounds), indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
