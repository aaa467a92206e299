"""Benchmark layered triage: rules alone vs all layers, and what it adds to an ask.

Measured in one run, on this machine, with the encoder `backcare ask` loads:

- triage time per message (p50/p95), rules alone (every language table, the
  safety net off) vs all layers (rules, semantic detector, safety net), on
  two sets: plain questions (``tuning/in_scope``, ``validation`` and
  ``out_of_scope``: what people usually ask) and red-flag messages (the
  triage fit sets, when beside this checkout);
- how many messages the semantic layer embedded at all (the gate's effect);
- ``Backcare.ask`` end to end on the plain questions, with all layers and
  with rules alone, each query distinct and the encoder's query cache
  cleared before every ask, alternating the two modes; the added time is
  reported as the difference of the medians, the median of per-query
  differences, and the ratio of the medians.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_triage.py [--json FILE]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backcare import service
from backcare.knowledge.pack import load_pack
from backcare.service import Backcare, default_encoder, prepare_query, triage_message
from backcare.settings import get_settings
from backcare.triage import scope_reader
from backcare.triage._negation import normalise

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ("in_scope.jsonl", "validation.jsonl", "out_of_scope.jsonl")
FLAGGED_DIR = ROOT / "eval" / "triage"
FLAGGED = ("generated_fit.jsonl", "handwritten_fit.jsonl")


def _read(paths: list[Path]) -> list[str]:
    texts: list[str] = []
    for path in paths:
        if path.exists():
            texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    return list(dict.fromkeys(texts))


def _flagged_paths() -> list[Path]:
    return [FLAGGED_DIR / name for name in FLAGGED if (FLAGGED_DIR / name).exists()]


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _clear(encoder: Any) -> None:
    cache = getattr(encoder, "_query_cache", None)
    if cache is not None:
        cache.cache_clear()


def triage_times(pack: Any, encoder: Any, texts: list[str]) -> dict[str, Any]:
    """p50/p95 of rules alone and of all layers over ``texts``, cache cleared each time."""
    queries = [prepare_query(text) for text in texts]
    rules, layers = [], []
    for query in queries:  # warm-up: compile every regex and embed the examples
        triage_message(pack, query, encoder=encoder)
        break
    plain_pack = _rules_only(pack)
    for query in queries:
        _clear(encoder)
        rules.append(_timed(functools.partial(triage_message, plain_pack, query)))
        _clear(encoder)
        layers.append(_timed(functools.partial(triage_message, pack, query, encoder=encoder)))
    detector = service.triage_layers(pack).semantic
    embedded = 0
    if detector is not None:
        scope = scope_reader(pack.red_flags)
        embedded = sum(1 for q in queries if detector.candidates(normalise(q), scope))
    return {
        "messages": len(queries),
        "embedded": embedded,
        "rules_p50_ms": _ms(_pct(rules, 50)),
        "rules_p95_ms": _ms(_pct(rules, 95)),
        "layers_p50_ms": _ms(_pct(layers, 50)),
        "layers_p95_ms": _ms(_pct(layers, 95)),
        "added_p50_ms": _ms(_pct(layers, 50) - _pct(rules, 50)),
    }


def _rules_only(pack: Any) -> Any:
    """The pack without the layers after the rules (what triage was before issue 14)."""
    import dataclasses

    return dataclasses.replace(
        pack, triage_topics=None, semantic_examples=None, semantic_params=None
    )


def ask_times(pack: Any, encoder: Any, texts: list[str]) -> dict[str, Any]:
    """``Backcare.ask`` with all layers and with rules alone, alternating, cache cleared."""
    settings = get_settings()
    layered = Backcare.open(encoder, pack=pack, cache_dir=settings.index_dir)
    rules_only = Backcare.open(encoder, pack=_rules_only(pack), cache_dir=settings.index_dir)
    # Same index and retriever for both; only the triage differs.
    rules_only.kb, rules_only.retriever = layered.kb, layered.retriever
    layered.ask("warm up")
    rules_only.ask("warm up")
    with_layers, without, deltas = [], [], []
    for text in texts:
        _clear(encoder)
        base = _timed(functools.partial(rules_only.ask, text))
        _clear(encoder)
        full = _timed(functools.partial(layered.ask, text))
        without.append(base)
        with_layers.append(full)
        deltas.append(full - base)
    p50_with, p50_without = _pct(with_layers, 50), _pct(without, 50)
    return {
        "asks": len(texts),
        "rules_only_p50_ms": _ms(p50_without),
        "rules_only_p95_ms": _ms(_pct(without, 95)),
        "all_layers_p50_ms": _ms(p50_with),
        "all_layers_p95_ms": _ms(_pct(with_layers, 95)),
        "added_p50_ms": _ms(p50_with - p50_without),
        "added_median_of_pairs_ms": _ms(statistics.median(deltas)),
        "ratio_p50": round(p50_with / p50_without, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    settings = get_settings()
    pack = load_pack()
    encoder = default_encoder(settings.model_dir, threads=settings.threads)
    plain = _read([ROOT / "tuning" / name for name in PLAIN])
    flagged = _read(_flagged_paths())
    report: dict[str, Any] = {"encoder": encoder.model_id}
    report["triage_plain"] = triage_times(pack, encoder, plain)
    if flagged:
        report["triage_flagged"] = triage_times(pack, encoder, flagged)
    report["ask_plain"] = ask_times(pack, encoder, plain)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
