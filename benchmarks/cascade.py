"""Would a BM25-first cascade pay? Measures it without changing what backcare answers.

The cascade under test skips the dense encoder for a query when BM25 alone is
already sure: the query names an anchor term of the knowledge base, every one of
its terms is known, the best entry's BM25 score (the retriever's normalised one)
is at least ``S`` and the runner-up's is at most ``R`` times it. It would then
answer with BM25's best entry. For each query of the fit set
(``tuning/in_scope.jsonl`` + ``out_of_scope.jsonl``) and of the held-out
validation set (``tuning/validation.jsonl``) this script records what the full
pipeline did and what the gate would do, then:

1. picks, on the fit set only, the (S, R) that fires most often while never
   changing a reply for the worse (an answer the full pipeline got right, or an
   abstention on an out-of-scope query);
2. reports on the validation set how often that gate fires, how many replies
   it makes worse or better, and the encoder time it would save.

A cascade helps p50 only if it fires on more than half the queries; it helps
the mean by (share fired) x (encode time).

Run: ``.venv/bin/python benchmarks/cascade.py [--encoder int8|fp32] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from backcare import Backcare, EvalCase, default_encoder, read_cases
from backcare.service import prepare_query
from backcare.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SCORES = (0.1, 0.15, 0.2, 0.25, 0.3)
RATIOS = (0.3, 0.4, 0.5, 0.6, 0.7)


def _observe(app: Backcare, cases: list[EvalCase]) -> list[dict[str, Any]]:
    """What the full pipeline answered and what the gate sees, per query."""
    retriever = app.retriever
    rows = []
    for case in cases:
        query = prepare_query(case.q)
        signals = retriever.signals(query)
        result = retriever.search(query, top_k=1)
        bm25 = signals.signals["bm25"]
        best, runner_up = np.argsort(-bm25)[:2]
        rows.append(
            {
                "ok": list(case.ok),
                "full": result.hits[0].entry_id if result.answered else None,
                "bm25_best": retriever.kb.ids[int(best)],
                "top": float(bm25[best]),
                "second": float(bm25[runner_up]),
                "sure_terms": signals.anchor == 1.0 and signals.coverage >= 1.0 - 1e-9,
            }
        )
    return rows


def _gate(rows: list[dict[str, Any]], score: float, ratio: float) -> dict[str, int]:
    fired = worse = better = 0
    for row in rows:
        if not (row["sure_terms"] and row["top"] >= score and row["second"] <= ratio * row["top"]):
            continue
        fired += 1
        right_before = row["full"] in row["ok"] if row["ok"] else row["full"] is None
        right_after = bool(row["ok"]) and row["bm25_best"] in row["ok"]
        worse += right_before and not right_after
        better += right_after and not right_before
    return {"queries": len(rows), "fired": fired, "worse": worse, "better": better}


def _encode_ms(app: Backcare, cases: list[EvalCase]) -> float:
    """Median time of one uncached query encode."""
    encode = app.retriever.encoder.encode_query
    times = []
    for case in cases:
        text = f"{case.q} (timing)"  # not in the query cache
        t = time.perf_counter()
        encode(text)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 3)


def measure(variant: str) -> dict[str, Any]:
    """The fit-set choice of gate and its effect on the validation set."""
    settings = Settings()
    encoder = default_encoder(settings.model_dir, threads=settings.threads, variant=variant)
    app = Backcare.open(encoder, cache_dir=settings.index_dir)
    fit_cases = read_cases(ROOT / "tuning" / "in_scope.jsonl") + read_cases(
        ROOT / "tuning" / "out_of_scope.jsonl"
    )
    validation_cases = read_cases(ROOT / "tuning" / "validation.jsonl")
    fit, validation = _observe(app, fit_cases), _observe(app, validation_cases)
    sweep = [{"score": s, "ratio": r, **_gate(fit, s, r)} for s in SCORES for r in RATIOS]
    safe = [row for row in sweep if row["worse"] == 0]
    chosen = max(safe, key=lambda row: row["fired"]) if safe else None
    held_out = _gate(validation, chosen["score"], chosen["ratio"]) if chosen else None
    encode_ms = _encode_ms(app, validation_cases)
    share = held_out["fired"] / held_out["queries"] if held_out else 0.0
    return {
        "encoder": variant,
        "fit_sweep": sweep,
        "chosen_on_fit": chosen,
        "validation": held_out,
        "validation_share_fired": round(share, 4),
        "encode_p50_ms": encode_ms,
        "mean_saving_ms": round(share * encode_ms, 3),
        "helps_p50": share > 0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", choices=["int8", "fp32"], help="default: BACKCARE_ENCODER")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    result = measure(args.encoder or Settings().encoder)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
