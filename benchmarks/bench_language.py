"""Benchmark what languages add to every message: identification and triage.

Measured per message (each timed alone, many repeats, median of medians):

- ``detect_language`` (lingua, restricted to the supported and recognised
  languages), on the English corpora and on the six language sets;
- triage as ``ask`` runs it now (detect, then every rule set the plan picks)
  against English-only triage (the one table, no detection), on the same text.

No model is loaded: these are the parts that run before retrieval, and
their sum is what language support adds to ``ask`` latency.

Run: ``.venv/bin/python benchmarks/bench_language.py [--repeats N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from backcare import detect_language, load_pack, prepare_query, triage_text
from backcare.triage import triage

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval"


def _queries(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            out += [json.loads(line)["q"] for line in lines if line.strip()]
    return out


def _per_message_ms(
    fn: Callable[[str], object], texts: list[str], repeats: int
) -> dict[str, float]:
    """p50 and p95 over messages of each message's median time, in milliseconds."""
    medians = []
    for text in texts:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(text)
            times.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(times))
    medians.sort()
    return {
        "p50": round(medians[len(medians) // 2], 4),
        "p95": round(medians[min(len(medians) - 1, int(len(medians) * 0.95))], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    pack = load_pack()
    english = [
        prepare_query(q)
        for q in _queries([ROOT / "tests" / "triage_cases.jsonl", SHARED / "dev_queries.jsonl"])
    ]
    other = [prepare_query(q) for q in _queries(sorted((ROOT / "eval" / "i18n").glob("*.jsonl")))]
    detect_language("warm the detector up")  # lingua loads its models on first use
    figures: dict[str, object] = {"english_messages": len(english), "other_messages": len(other)}
    for label, texts in (("english", english), ("other", other)):
        figures[f"detect_{label}_ms"] = _per_message_ms(detect_language, texts, args.repeats)
        figures[f"triage_now_{label}_ms"] = _per_message_ms(
            lambda text: triage_text(pack, text), texts, args.repeats
        )
        figures[f"triage_english_only_{label}_ms"] = _per_message_ms(
            lambda text: triage(text, pack.red_flags), texts, args.repeats
        )
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
