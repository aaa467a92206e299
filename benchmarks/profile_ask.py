"""Where one ``ask`` spends its time: p50 and p95 per phase over the worker's queries.

Opens backcare as ``make bench``'s worker does (``_worker.py backcare``) and
wraps the functions that make up the ask path with ``perf_counter`` timers:

- ``language``: language identification (``detect_language``);
- ``triage``: the whole triage (``triage_message``), of which ``triage_semantic``
  is the semantic layer (its encoder call included) and ``triage_safety_net``
  the safety net;
- ``encode``: every call that runs the encoder graph (triage's and retrieval's
  together; a query that both encode is run once thanks to ``encode_query``'s
  cache), and ``encoder_calls`` how many ran per ask;
- ``retrieval``: ``HybridRetriever.search``, of which ``bm25`` (both indexes'
  scores), ``dense`` (ANN search and rescoring, or exact search), ``ann``
  (the HNSW search alone), ``fusion`` and ``confidence``;
- ``reply``: the rest of ``ask`` (preparing the query, building the reply).

Each phase's time is inclusive (``dense`` contains ``ann``). The timers cost
about a microsecond a call; the totals are a little above ``make bench``'s.

Run::

    python benchmarks/profile_ask.py pack benchmarks/results/queries-pack.json
    python benchmarks/profile_ask.py benchmarks/results/kb/medquad-47k \\
        benchmarks/results/queries-medquad-47k.json [--json FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _open import open_app  # noqa: E402

_current: dict[str, float] = defaultdict(float)


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _current[name] += (time.perf_counter() - start) * 1000

    return wrapper


def _counted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _current[name] += 1
        return function(*args, **kwargs)

    return wrapper


def _patch(owner: Any, attribute: str, name: str, *, count: bool = False) -> None:
    original = getattr(owner, attribute)
    setattr(owner, attribute, (_counted if count else _timed)(name, original))


def instrument(app: Any) -> None:
    """Wrap the ask path's functions (module-level names where they are looked up)."""
    from backcare import service
    from backcare.retrieval import ann, bm25, retriever
    from backcare.triage import layered, semantic

    _patch(service, "detect_language", "language")
    _patch(service, "triage_message", "triage")
    _patch(semantic.SemanticDetector, "detect", "triage_semantic")
    if hasattr(layered, "safety_net"):
        _patch(layered, "safety_net", "triage_safety_net")
    _patch(retriever.HybridRetriever, "search", "retrieval")
    _patch(bm25.BM25Index, "scores", "bm25")
    _patch(retriever.HybridRetriever, "_dense", "dense")
    _patch(ann.AnnIndex, "search", "ann")
    _patch(retriever, "linear_blend", "fusion")
    _patch(retriever, "confidences", "confidence")
    encoder = app.retriever.encoder
    if hasattr(encoder, "_embed_ids"):
        # The graph run, wherever it comes from (cache misses only).
        encoder._embed_ids = _timed("encode", _counted("encoder_calls", encoder._embed_ids))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(kb: str, queries_file: str) -> dict[str, Any]:
    app, variant = open_app(kb)
    app.ask("my back locked up this morning, what now?")
    instrument(app)
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    per_phase: dict[str, list[float]] = defaultdict(list)
    names = [
        "language",
        "triage",
        "triage_semantic",
        "triage_safety_net",
        "encode",
        "encoder_calls",
        "retrieval",
        "bm25",
        "dense",
        "ann",
        "fusion",
        "confidence",
    ]
    for q in queries:
        _current.clear()
        start = time.perf_counter()
        app.ask(q)
        total = (time.perf_counter() - start) * 1000
        for name in names:
            per_phase[name].append(_current.get(name, 0.0))
        per_phase["reply"].append(total - _current["triage"] - _current["retrieval"])
        per_phase["ask"].append(total)
    return {
        "kb": kb,
        "encoder": variant,
        "queries": len(queries),
        "load_avg": os.getloadavg(),
        "phases_ms": {
            name: {
                "p50": round(percentile(values, 50), 3),
                "p95": round(percentile(values, 95), 3),
                "mean": round(sum(values) / len(values), 3),
            }
            for name, values in per_phase.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", help="'pack' or a knowledge-base folder")
    parser.add_argument("queries", help="a JSON list of queries (run.py writes them)")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    result = measure(args.kb, args.queries)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(
        f"{result['kb']} ({result['encoder']}), {result['queries']} queries, "
        f"load {result['load_avg'][0]:.1f}"
    )
    print("phase                  p50      p95     mean (ms; encoder_calls: count)")
    for name, m in result["phases_ms"].items():
        print(f"{name:18} {m['p50']:8.3f} {m['p95']:8.3f} {m['mean']:8.3f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
