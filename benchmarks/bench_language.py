"""Benchmark what languages add to every message: identification and triage.

Measured per message (each timed alone, many repeats, median of medians):

- ``detect_language`` (lingua, restricted to the supported and recognised
  languages), on the English corpora and on the six language sets;
- triage as ``ask`` runs it now (detect, then every rule set the plan picks)
  against English-only triage (the one table, no detection), on the same text.

No model is loaded: these are the parts that run before retrieval, and
their sum is what language support adds to ``ask`` latency.

``--modes`` instead compares lingua's full and low-accuracy models, each in a
fresh process (first call, peak memory, per-message time, and how many
labelled messages each identifies).

Run: ``.venv/bin/python benchmarks/bench_language.py [--repeats N] [--json FILE] [--modes]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
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


_MODE = """
import glob, json, resource, sys, time
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
import backcare.language as L
codes = (*L.SUPPORTED_LANGUAGES, *L.OTHER_LANGUAGES)
builder = LanguageDetectorBuilder.from_languages(
    *[Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
)
if sys.argv[1] == "low":
    builder = builder.with_low_accuracy_mode()
detector = builder.build()
start = time.perf_counter()
detector.compute_language_confidence_values("me duele la espalda")
first = time.perf_counter() - start
def code(q):
    values = detector.compute_language_confidence_values(q)
    best = values[0] if values else None
    if best is None or best.value < L.MIN_CONFIDENCE:
        return "en"
    return best.language.iso_code_639_1.name.lower()
rows = [
    json.loads(line)
    for path in sys.argv[2:]
    for line in open(path, encoding="utf-8")
    if line.strip()
]
labelled = [r for r in rows if "lang" in r]
english = [r for r in rows if "lang" not in r]
start = time.perf_counter()
found = [code(r["q"]) for r in rows]
per = (time.perf_counter() - start) / len(rows) * 1000
print(json.dumps({
    "mode": sys.argv[1], "first_call_ms": round(first * 1000, 1),
    "per_message_ms": round(per, 4),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "labelled_identified": "%d/%d" % (
        sum(f == r["lang"] for f, r in zip(found, labelled)), len(labelled)
    ),
    "english_identified": f"{sum(f == 'en' for f in found[len(labelled):])}/{len(english)}",
}))
"""


def _modes() -> list[dict[str, object]]:
    labelled = sorted((ROOT / "eval" / "i18n").rglob("*.jsonl"))
    english = [ROOT / "tests" / "triage_cases.jsonl"]
    out = []
    for mode in ("high", "low"):
        command = [sys.executable, "-c", _MODE, mode, *map(str, labelled + english)]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        out.append(json.loads(result.stdout))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--modes", action="store_true", help="compare lingua's two modes")
    args = parser.parse_args()
    if args.modes:
        print(json.dumps(_modes(), indent=2))
        return

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
