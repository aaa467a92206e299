"""Benchmark `ask` on the shipped pack: latency, cold start and peak memory.

Measured in one run, on this machine:

- in-process `Backcare.ask` latency (p50/p95/p99) over distinct queries (each
  query asked once, so the query-embedding cache never helps), and the same
  queries again (cache warm);
- the BM25-only baseline (bm25s alone over the same pack, no triage, no
  dense) on the same queries, printed as a ratio;
- cold start: a fresh `python -c` process from start to its first answer,
  and the `backcare ask --json` command end to end;
- peak RSS of that fresh process.

Run: ``.venv/bin/python benchmarks/bench_ask.py [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

COLD = """
import resource, time
t0 = time.perf_counter()
from backcare import Backcare, default_encoder
from backcare.settings import get_settings
s = get_settings()
bc = Backcare.open(default_encoder(s.model_dir, threads=s.threads), cache_dir=s.index_dir)
reply = bc.ask("my back locked up this morning, what now?")
t1 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{t1 - t0:.4f} {rss:.1f} {reply.status}")
"""


def _queries() -> list[str]:
    texts: list[str] = []
    for path in [
        *sorted((SHARED / "eval").glob("*.jsonl")),
        ROOT / "tuning" / "in_scope.jsonl",
        ROOT / "tuning" / "out_of_scope.jsonl",
    ]:
        if path.exists():
            texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    return list(dict.fromkeys(texts))


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _summary(times_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_pct(times_ms, 50), 3),
        "p95_ms": round(_pct(times_ms, 95), 3),
        "p99_ms": round(_pct(times_ms, 99), 3),
        "mean_ms": round(statistics.fmean(times_ms), 3),
    }


def bench_in_process(queries: list[str]) -> dict[str, object]:
    from backcare import Backcare, default_encoder, load_pack
    from backcare.retrieval.bm25 import BM25Index
    from backcare.retrieval.tokenize import Analyzer
    from backcare.settings import get_settings

    settings = get_settings()
    pack = load_pack()
    backcare = Backcare.open(
        default_encoder(settings.model_dir, threads=settings.threads, variant=settings.encoder),
        pack=pack,
        cache_dir=settings.index_dir,
    )
    backcare.ask("warm up")
    cold_cache: list[float] = []
    for q in queries:
        t = time.perf_counter()
        backcare.ask(q)
        cold_cache.append((time.perf_counter() - t) * 1000)
    warm_cache: list[float] = []
    for q in queries:
        t = time.perf_counter()
        backcare.ask(q)
        warm_cache.append((time.perf_counter() - t) * 1000)
    # Baseline: BM25 alone over the same texts.
    analyzer = Analyzer()
    docs = [analyzer.terms(" ".join([*e.questions(), e.answer])) for e in pack.entries]
    bm25 = BM25Index.build(docs)
    baseline: list[float] = []
    for q in queries:
        t = time.perf_counter()
        bm25.scores(list(dict.fromkeys(analyzer.terms(q)))).argmax()
        baseline.append((time.perf_counter() - t) * 1000)
    ours = _summary(cold_cache)
    base = _summary(baseline)
    return {
        "queries": len(queries),
        "entries": len(pack.entries),
        "ask_distinct": ours,
        "ask_repeated": _summary(warm_cache),
        "bm25_only_baseline": base,
        "ratio_p50_vs_bm25_only": round(ours["p50_ms"] / base["p50_ms"], 2),
    }


def bench_cold_start(runs: int = 5) -> dict[str, object]:
    python = sys.executable
    starts, rss = [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([python, "-c", COLD], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t
        inner, peak, _status = out.stdout.split()
        starts.append(wall)
        rss.append(float(peak))
    cli = []
    exe = str(Path(python).with_name("backcare"))
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            [exe, "ask", "--json", "how long do back spasms last"], capture_output=True, check=True
        )
        cli.append(time.perf_counter() - t)
    return {
        "process_to_first_answer_s": round(statistics.median(starts), 3),
        "cli_ask_json_s": round(statistics.median(cli), 3),
        "peak_rss_mb": round(max(rss), 1),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = {"in_process": bench_in_process(_queries()), "cold_start": bench_cold_start()}
    ip, cs = results["in_process"], results["cold_start"]
    print(f"ask, shipped pack ({ip['entries']} entries, {ip['queries']} distinct queries)")
    for name in ("ask_distinct", "ask_repeated", "bm25_only_baseline"):
        row = ip[name]
        print(
            f"  {name:22s} p50 {row['p50_ms']:7.3f} ms  p95 {row['p95_ms']:7.3f} ms  "
            f"p99 {row['p99_ms']:7.3f} ms"
        )
    print(f"  backcare p50 / BM25-only p50 = {ip['ratio_p50_vs_bm25_only']}x")
    print(
        f"cold start: process to first answer {cs['process_to_first_answer_s']} s; "
        f"`backcare ask --json` {cs['cli_ask_json_s']} s; peak RSS {cs['peak_rss_mb']} MB"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
