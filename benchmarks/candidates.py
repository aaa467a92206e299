"""How many candidates does the dense step need at 47k? Recall, top-1 and time per setting.

With an ANN index the retriever rescores exactly only its candidates: the
owners of the ANN's nearest question vectors (``ann``) and the best BM25
entries (``lexical``), found with HNSW's search list ``ef``. This sweeps those
three numbers over the benchmark's queries and reports, per setting:

- ``recall@10``: the share of the retriever's dense top 10 whose exact cosine
  (every question vector scored, from the same stored vectors) reaches the
  exact 10th best, counted as ``_worker.py ann`` counts it, so that MedQuAD's
  duplicate questions are not misses (issue 18 asks for at least 0.99);
- ``top1 = base`` / ``top1 = exact``: queries whose fused best entry is the
  one the first setting (today's) gives, and the one exact scoring gives;
- ``top10 = base``: queries whose fused top 10 (as a set) equals the first
  setting's;
- the dense step's p10 / p50 / p95 (``HybridRetriever._dense``), settings taken in
  turn query by query, so load falls on all alike.

Run::

    python benchmarks/candidates.py benchmarks/results/kb/medquad-47k \\
        benchmarks/results/queries-medquad-47k.json \\
        --settings 200/1000/384 200/300/384 100/200/128 [--json FILE]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _open import open_app  # noqa: E402


def _setting(text: str) -> tuple[int, int, int]:
    ann, lexical, ef = (int(part) for part in text.split("/"))
    return ann, lexical, ef


def _top(values: np.ndarray, k: int) -> np.ndarray:
    top = np.argpartition(-values, k - 1)[:k]
    return top[np.argsort(-values[top], kind="stable")]


def measure(kb: str, queries_file: str, settings: list[tuple[int, int, int]]) -> dict[str, Any]:
    """Sweep ``settings`` (ann, lexical, ef) over the queries; see the module doc."""
    app, variant = open_app(kb)
    retriever = app.retriever
    index = retriever.kb.ann
    if index is None:
        raise SystemExit(f"{kb} has no ANN index: every vector is scored already")
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    for q in queries:  # fill the encoder's cache: only the dense step differs below
        retriever.encoder.encode_query(q)

    # Exact scores of the same stored vectors (the path calibration uses).
    retriever._exact = (
        np.asarray(retriever.kb.question_vectors, dtype=np.float32),
        np.asarray(retriever.kb.answer_vectors, dtype=np.float32),
    )
    exact = []
    for q in queries:
        signals, fused = retriever.fused(q)
        dense = signals.signals["dense"]
        exact.append((dense, float(np.sort(dense)[-10]), int(np.argmax(fused))))
    retriever._exact = None

    original = retriever._dense
    spent: list[float] = []

    def timed(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args)
        finally:
            spent.append((time.perf_counter() - start) * 1000)

    retriever._dense = timed  # type: ignore[method-assign]
    ms: dict[tuple[int, int, int], list[float]] = {s: [] for s in settings}
    recall: dict[tuple[int, int, int], list[float]] = {s: [] for s in settings}
    picks: dict[tuple[int, int, int], list[tuple[int, set[int]]]] = {s: [] for s in settings}
    for rounds in range(2):
        for i, q in enumerate(queries):
            turn = (i + rounds) % len(settings)
            for s in settings[turn:] + settings[:turn]:
                retriever.ann_candidates, retriever.lexical_candidates, ef = s
                index._index.expansion_search = ef
                spent.clear()
                signals, fused = retriever.fused(q)
                ms[s].append(spent[-1])
                if rounds == 0:
                    # A hit is any entry whose exact cosine reaches the exact 10th best,
                    # so MedQuAD's duplicate questions are not misses (as _worker.py ann).
                    got = _top(signals.signals["dense"], 10)
                    recall[s].append(float((exact[i][0][got] >= exact[i][1] - 1e-6).mean()))
                    picks[s].append((int(np.argmax(fused)), set(_top(fused, 10).tolist())))
    base = picks[settings[0]]
    results = []
    for s in settings:
        times = sorted(ms[s])
        results.append(
            {
                "ann": s[0],
                "lexical": s[1],
                "ef": s[2],
                "recall@10": round(statistics.fmean(recall[s]), 4),
                "top1_exact": round(
                    statistics.fmean(p[0] == e[2] for p, e in zip(picks[s], exact, strict=True)), 4
                ),
                "top1_base": round(
                    statistics.fmean(p[0] == b[0] for p, b in zip(picks[s], base, strict=True)), 4
                ),
                "top10_base": round(
                    statistics.fmean(p[1] == b[1] for p, b in zip(picks[s], base, strict=True)), 4
                ),
                "dense_p10_ms": round(times[len(times) // 10], 3),
                "dense_p50_ms": round(statistics.median(times), 3),
                "dense_p95_ms": round(
                    times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 3
                ),
            }
        )
    retriever._dense = original  # type: ignore[method-assign]
    return {
        "kb": kb,
        "encoder": variant,
        "queries": len(queries),
        "load_avg": os.getloadavg(),
        "settings": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", help="a knowledge-base folder with an ANN index")
    parser.add_argument("queries", help="a JSON list of queries (run.py writes them)")
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["200/1000/384", "200/500/384", "200/300/384", "100/300/384", "200/300/128"],
        help="ann/lexical/ef triples; the first is the baseline",
    )
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    result = measure(args.kb, args.queries, [_setting(s) for s in args.settings])
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    load = result["load_avg"][0]
    print(f"{result['kb']} ({result['encoder']}), {result['queries']} queries, load {load:.1f}")
    print("ann lexical  ef  recall@10  top1=exact  top1=base  top10=base  dense p10/p50/p95 ms")
    for r in result["settings"]:
        print(
            f"{r['ann']:3} {r['lexical']:7} {r['ef']:3}  {r['recall@10']:9.4f}  "
            f"{r['top1_exact']:10.4f}  {r['top1_base']:9.4f}  {r['top10_base']:10.4f}  "
            f"{r['dense_p10_ms']:.3f} / {r['dense_p50_ms']:.3f} / {r['dense_p95_ms']:.3f}"
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
