"""Benchmark what cross-language search costs ``ask``: MiniLM alone against MiniLM + e5.

Both services are opened in the same process over the same MiniLM encoder and
pack index; the second also has the multilingual encoder (built by
``backcare model build``). Each question of ``eval/i18n/questions_<lang>.jsonl``
is asked through ``Backcare.ask`` in rounds, the two services alternating
question by question so that load on a shared machine falls on both alike.
The query caches are cleared before every question, so each ask encodes.

``--service minilm`` or ``--service minilm+e5`` opens only that one: in one
process the two slowed each other (foreign-language asks through MiniLM alone
took 9 to 13 ms interleaved, 5.9 ms alone), so the figures in
docs/languages.md come from one process per service, run back to back.

Each line also gives how many times per ask the multilingual graph ran (its
query cache serves a text already encoded in the same ask) and the median
CPU time of the process per ask (every thread's, ``time.process_time``),
and the run prints the load average at its start and end. On a shared
machine the wall-clock figures mean little without the load; CPU time is
less sensitive to it (still not immune: other processes evict the caches).

Run: ``.venv/bin/python benchmarks/bench_crosslingual.py [--rounds N] [--threads T] [--service S]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from backcare import Backcare, default_encoder, load_pack, multilingual_encoder
from backcare.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "es", "fr", "de", "pl", "pt", "ar")


def _clear(backcare: Backcare) -> None:
    backcare.retriever.encoder._query_cache.cache_clear()  # type: ignore[attr-defined]
    if backcare.crosslingual is not None:
        backcare.crosslingual.encoder._runner._query_cache.cache_clear()


class _Runs:
    """Counts the multilingual graph's runs (cache misses only)."""

    def __init__(self, backcare: Backcare) -> None:
        self.count = 0
        if backcare.crosslingual is not None:
            runner = backcare.crosslingual.encoder._runner
            embed = runner._embed_ids

            def counted(*args: object) -> object:
                self.count += 1
                return embed(*args)

            runner._embed_ids = counted


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    """Print p50/p95 ask latency per language for both services."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--service", choices=("minilm", "minilm+e5"), default=None)
    args = parser.parse_args()
    settings = get_settings()
    pack = load_pack()
    encoder = default_encoder(settings.model_dir, threads=args.threads, variant=settings.encoder)
    multilingual = multilingual_encoder(
        settings.model_dir, threads=args.threads, variant=settings.encoder
    )
    if multilingual is None:
        raise SystemExit("build the multilingual encoder first: backcare model build")
    services = {
        "minilm": Backcare.open(encoder, pack=pack, cache_dir=settings.index_dir),
        "minilm+e5": Backcare.open(
            encoder, pack=pack, cache_dir=settings.index_dir, multilingual=multilingual
        ),
    }
    if args.service is not None:
        services = {args.service: services[args.service]}
    results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in services}
    runs = {name: _Runs(service) for name, service in services.items()}
    print(f"load average at start {_load()}")
    for lang in LANGS:
        path = ROOT / "eval" / "i18n" / f"questions_{lang}.jsonl"
        questions = [json.loads(line)["q"] for line in path.read_text("utf-8").splitlines()]
        times: dict[str, list[float]] = {name: [] for name in services}
        cpu: dict[str, list[float]] = {name: [] for name in services}
        for service in services.values():  # warm both paths once
            service.ask(questions[0])
        for counter in runs.values():
            counter.count = 0
        for _ in range(args.rounds):
            for question in questions:
                for name, service in services.items():
                    _clear(service)
                    start, start_cpu = time.perf_counter(), time.process_time()
                    service.ask(question)
                    times[name].append((time.perf_counter() - start) * 1000)
                    cpu[name].append((time.process_time() - start_cpu) * 1000)
        for name, values in times.items():
            values.sort()
            results[name][lang] = {
                "p50": round(statistics.median(values), 2),
                "p95": round(values[int(0.95 * (len(values) - 1))], 2),
                "e5_runs_per_ask": round(runs[name].count / len(values), 2),
                "cpu_p50": round(statistics.median(cpu[name]), 2),
            }
            print(
                f"{lang} {name:10s} p50 {results[name][lang]['p50']:6.2f} ms  "
                f"p95 {results[name][lang]['p95']:6.2f} ms  "
                f"CPU p50 {results[name][lang]['cpu_p50']:6.2f} ms  "
                f"e5 runs/ask {results[name][lang]['e5_runs_per_ask']:.2f}"
            )
    print(f"load average at end {_load()}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
