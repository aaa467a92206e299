"""The dense step at 47k with float16 rows widened by onnxruntime against numpy's conversion.

Both ways run in one process, query by query in alternation (ABAB...), so a
shared machine's load falls on both alike; it reports p50/p95 of the dense
step (``HybridRetriever._dense``: ANN search, candidate rows, both products)
each way, and checks that both give the same floats.

Run::

    python benchmarks/bench_widen.py benchmarks/results/kb/medquad-47k \\
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


def measure(kb: str, queries_file: str, rounds: int) -> dict[str, Any]:
    from backcare import KnowledgeBase, default_encoder, load_pack
    from backcare.retrieval import kbase
    from backcare.retrieval.retriever import HybridRetriever
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    base = KnowledgeBase.load(Path(kb))
    retriever = HybridRetriever(base, encoder, load_pack().params)
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    prepared = []
    for q in queries:
        signals = retriever.signals(q)  # BM25 and the encoder, outside the timing
        prepared.append((encoder.encode_query(q), signals.signals["bm25"]))
    ways = {"onnxruntime": kbase.widen, "numpy": lambda rows: rows.astype(np.float32)}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for query, bm25 in prepared:
            results = []
            for name, widen in ways.items():
                kbase.widen = widen  # type: ignore[assignment]
                start = time.perf_counter()
                results.append(retriever._dense(query, bm25))
                times[name].append((time.perf_counter() - start) * 1000)
            for one, other in zip(results[0], results[1], strict=True):
                if not np.array_equal(one, other):
                    raise SystemExit("the two conversions gave different cosines")
    kbase.widen = ways["onnxruntime"]  # type: ignore[assignment]

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "p50_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))], 3),
        }

    return {
        "kb": kb,
        "vector_dtype": str(base.question_vectors.dtype),
        "calls_each": len(times["numpy"]),
        "load_avg": os.getloadavg(),
        "dense": {name: summary(values) for name, values in times.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", help="a knowledge-base folder with float16 vectors")
    parser.add_argument("queries", help="a JSON list of queries (run.py writes them)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    args = parser.parse_args()
    print(json.dumps(measure(args.kb, args.queries, args.rounds), indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
