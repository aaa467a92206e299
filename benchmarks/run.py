"""backcare's benchmark: speed, memory and accuracy against two baselines, in one run.

Run ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). It prints a
table and writes ``benchmarks/results/bench-<time>.json`` (and ``latest.json``).

What it measures, each in a fresh process (``benchmarks/_worker.py``):

- import time of ``backcare`` and of the ask path;
- ``ask`` latency p50/p95/p99 in-process, each query asked once (the
  query-embedding cache never helps), then again (cached, labelled so), and
  over HTTP (``backcare serve`` on a free loopback port, a bounded number of
  requests), on three knowledge bases: the shipped pack, MedQuAD's 16k answered
  questions (``backcare.ingest_to_kb``) and all 47k MedQuAD questions (the
  31k without an answer get a marked placeholder, in the benchmark only);
- cold start (process start to first answer) and peak RSS;
- knowledge-base size on disk, MedQuAD ingest + index time, encode throughput;
- recall@10 of the ANN index against exact search;
- the same work by two baselines: BM25 alone (bm25s) and the usual
  sentence-transformers + torch pipeline with exact cosine top-k, with
  backcare's speed and top-1 (``../shared/eval/dev_queries.jsonl``) as ratios;
- whether a BM25-first cascade would pay (``benchmarks/cascade.py``);
- every backcare figure for both encoder variants (fp32 and int8), and their
  accuracy side by side (``benchmarks/accuracy.py``: dev sets, the held-out
  validation set, the RQE test split, the seed-page knowledge base), with the
  largest loss of int8 against fp32, which decides the default.

MedQuAD (Ben Abacha and Demner-Fushman, BMC Bioinformatics 2019; CC BY 4.0)
is read from ``../shared/data/medquad.jsonl``; it is never shipped. The built
knowledge bases are kept in ``benchmarks/results/kb/``; ``--reuse`` skips the
ingest when they exist (and reports the timing of the run that built them).
``--kbs pack,medquad-47k --speed-only`` measures only those knowledge bases'
rows (backcare, BM25 only, sentence-transformers, HTTP), without the accuracy,
cascade, ANN and encoder workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from backcare.retrieval.onnx_export import DEFAULT_VARIANT

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
KB_DIR = RESULTS / "kb"
WORKER = HERE / "_worker.py"
# ../shared beside the checkout; BACKCARE_SHARED_DIR names it elsewhere (a git worktree).
SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", ROOT.parent / "shared"))
PYTHON = sys.executable


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _worker(*args: str, timeout: float = 1800, encoder: str | None = None) -> dict[str, Any]:
    """Run one worker task in a fresh interpreter and return its JSON line.

    ``encoder`` sets ``BACKCARE_ENCODER`` (int8 or fp32) for it.
    """
    env = {**os.environ, "BENCH_STARTED": repr(time.time()), "HF_HUB_OFFLINE": "1"}
    if encoder is not None:
        env["BACKCARE_ENCODER"] = encoder
    done = subprocess.run(
        [PYTHON, str(WORKER), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _import_time(module: str, runs: int = 5) -> float:
    """Median cumulative import time of ``module`` in seconds (``-X importtime``)."""
    totals = []
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
        )
        last = [line for line in done.stderr.splitlines() if line.rstrip().endswith(module)][-1]
        totals.append(int(last.split("|")[1]) / 1e6)
    return round(statistics.median(totals), 3)


def _queries(kind: str, n: int) -> list[str]:
    """Distinct queries: the dev and tuning sets for the pack; MedQuAD-like for MedQuAD."""
    texts: list[str] = []
    for path in [
        SHARED / "eval" / "dev_queries.jsonl",
        SHARED / "eval" / "dev_out_of_scope.jsonl",
        ROOT / "tuning" / "in_scope.jsonl",
        ROOT / "tuning" / "out_of_scope.jsonl",
    ]:
        if path.exists():
            texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    if kind != "pack":
        rows = [json.loads(line) for line in (SHARED / "data" / "medquad.jsonl").open()]
        rng = random.Random(17)
        # Lower-cased and without "?": a person's wording, not the stored string.
        texts = [
            r["question"].lower().replace(" ?", "").rstrip("?") for r in rng.sample(rows, n)
        ] + texts[: n // 4]
    return list(dict.fromkeys(texts))[:n]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post(conn: http.client.HTTPConnection, q: str) -> int:
    body = json.dumps({"q": q})
    conn.request("POST", "/v1/ask", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def _http(kb: str, queries: list[str], requests: int) -> dict[str, Any]:
    """``ask`` over HTTP: one ``backcare serve`` on loopback, sequential keep-alive requests."""
    port = _free_port()
    exe = str(Path(PYTHON).with_name("backcare"))
    command = [exe, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if kb != "pack":
        command += ["--kb", kb]
    # The rate limit (20/s a client by default) would answer most requests 429.
    env = {
        **os.environ,
        "BACKCARE_DATA_DIR": str(RESULTS / "serve-data"),
        "BACKCARE_RATE_LIMIT": "0",
    }
    started = time.time()
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"backcare serve exited: {server.stderr.read()[-2000:]!r}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if _post(conn, "my back locked up this morning, what now?") == 200:
                    break
            except OSError:
                time.sleep(0.05)
            if time.monotonic() > deadline:
                raise RuntimeError("backcare serve did not answer within 120 s")
        first = time.time() - started
        times, statuses = [], []
        for q in queries[:requests]:
            t = time.perf_counter()
            statuses.append(_post(conn, q))
            times.append((time.perf_counter() - t) * 1000)
        conn.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    ok = sum(status == 200 for status in statuses)
    if ok != len(statuses):
        raise RuntimeError(f"backcare serve answered {len(statuses) - ok} requests with an error")
    return {"first_answer_s": round(first, 3), "ok": ok, **_summary(times)}


def _summary(times_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(times_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 3)

    return {"n": len(ordered), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99)}


def _size_mb(kb: str) -> float:
    from backcare.retrieval.kbase import live_version

    if kb == "pack":
        cache = Path(os.environ.get("BACKCARE_CACHE_DIR", "")) / "kb"
        if not cache.name or not cache.parent.name:
            import platformdirs

            cache = Path(platformdirs.user_cache_dir("backcare")) / "kb"
        # The newest pack index (cross-lingual indexes sit beside them, as pack-*-xlang).
        folders = sorted(
            (p for p in cache.glob("pack-*") if (p / "CURRENT").exists() and "xlang" not in p.name),
            key=lambda p: p.stat().st_mtime,
        )
        folder = live_version(folders[-1])
    else:
        folder = live_version(Path(kb))
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def _ratio(slow: float | None, fast: float | None) -> float | None:
    if not slow or not fast:
        return None
    return round(slow / fast, 2)


def _build(reuse: bool) -> dict[str, Any]:
    """Ingest MedQuAD (16k) and build the 47k variant, unless reusing earlier builds."""
    KB_DIR.mkdir(parents=True, exist_ok=True)
    record = KB_DIR / "build.json"
    kb16, kb47 = KB_DIR / "medquad-16k", KB_DIR / "medquad-47k"
    if reuse and record.exists() and (kb16 / "CURRENT").exists() and (kb47 / "CURRENT").exists():
        built: dict[str, Any] = json.loads(record.read_text())
        built["reused_from_an_earlier_run"] = True
        return built
    for folder in (kb16, kb47):
        shutil.rmtree(folder, ignore_errors=True)
    _log("ingesting MedQuAD (16k answered questions); several minutes")
    built = {"medquad_16k": _worker("ingest", str(kb16), timeout=3600)}
    _log("building the 47k-question variant (reusing the 16k vectors)")
    built["medquad_47k"] = _worker("big", str(kb16), str(kb47), timeout=3600)
    built["built_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record.write_text(json.dumps(built, indent=2))
    return built


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_start": os.getloadavg(),
        },
        "data": "MedQuAD (Ben Abacha & Demner-Fushman 2019), CC BY 4.0",
    }
    _log("import time")
    results["import_s"] = {
        "backcare": _import_time("backcare"),
        "backcare.service": _import_time("backcare.service"),
    }
    results["build"] = _build(args.reuse)
    kbs = {
        "pack": "pack",
        "medquad-16k": str(KB_DIR / "medquad-16k"),
        "medquad-47k": str(KB_DIR / "medquad-47k"),
    }
    kbs = {name: kb for name, kb in kbs.items() if name in args.kbs}
    results["kbs"] = {}
    for name, kb in kbs.items():
        queries = _queries("pack" if kb == "pack" else "medquad", args.queries)
        qfile = RESULTS / f"queries-{name}.json"
        qfile.write_text(json.dumps(queries))
        row: dict[str, Any] = {"size_on_disk_mb": _size_mb(kb), "backcare_by_encoder": {}}
        for variant in args.variants:
            _log(f"{name}: backcare in-process, {variant} encoder")
            row["backcare_by_encoder"][variant] = _worker(
                "backcare", kb, str(qfile), encoder=variant
            )
        row["backcare"] = row["backcare_by_encoder"].get(
            DEFAULT_VARIANT, next(iter(row["backcare_by_encoder"].values()))
        )
        _log(f"{name}: BM25-only baseline")
        row["bm25_only"] = _worker("bm25", kb, str(qfile))
        _log(f"{name}: sentence-transformers baseline")
        row["sentence_transformers"] = _worker("st", kb, str(qfile))
        if not args.no_http:
            _log(f"{name}: HTTP")
            row["http"] = _http(kb, queries, args.http_requests)
        theirs = row["sentence_transformers"]["ask_distinct"]["p50_ms"]
        row["speedup_p50_by_encoder"] = {
            variant: _ratio(theirs, result["ask_distinct"]["p50_ms"])
            for variant, result in row["backcare_by_encoder"].items()
        }
        ours = row["backcare"]["ask_distinct"]["p50_ms"]
        row["speedup_p50"] = {
            "vs_sentence_transformers": _ratio(
                row["sentence_transformers"]["ask_distinct"]["p50_ms"], ours
            ),
            "vs_bm25_only": _ratio(row["bm25_only"]["ask_distinct"]["p50_ms"], ours),
        }
        if kb == "pack":
            top1 = row["backcare"]["top1"]
            row["top1_ratio"] = {
                "vs_sentence_transformers": _ratio(top1, row["sentence_transformers"]["top1"]),
                "vs_bm25_only": _ratio(top1, row["bm25_only"]["top1"]),
            }
        results["kbs"][name] = row
    if args.speed_only:
        results["machine"]["load_avg_end"] = os.getloadavg()
        return results
    results["accuracy"] = {}
    for variant in args.variants:
        _log(f"accuracy, {variant} encoder")
        results["accuracy"][variant] = _worker("accuracy", variant)
    results["accuracy_loss_int8"] = _losses(results["accuracy"])
    results["cascade"] = {}
    for variant in args.variants:
        _log(f"BM25-first cascade, {variant} encoder")
        results["cascade"][variant] = _worker("cascade", variant)
    _log("ANN recall")
    results["ann"] = _worker("ann", str(KB_DIR / "medquad-47k"))
    _log("encoder settings and throughput")
    results["encoder"] = _worker("encoder")
    results["throughput"] = _worker("throughput", str(args.throughput_sample))
    results["machine"]["load_avg_end"] = os.getloadavg()
    return results


def _scores(result: dict[str, Any]) -> dict[str, float]:
    """The accuracy figures of one variant, flattened to ``set.metric``."""
    flat: dict[str, float] = {}
    for name, values in [*result["pack"].items(), ("rqe_test", result["rqe_test"])]:
        for metric, value in values.items():
            if metric not in ("n", "pairs", "candidates", "queries_with_a_positive"):
                flat[f"{name}.{metric}"] = value
    for name, values in result["seed_kb"].items():
        for metric in ("top1", "top3", "answered_correct"):
            flat[f"{name}.{metric}"] = values[metric]
    return flat


def _losses(accuracy: dict[str, Any]) -> dict[str, Any] | None:
    """int8's change on every figure (negative = worse) and its largest loss outside the fit set."""
    if not {"fp32", "int8"} <= accuracy.keys():
        return None
    fp32, int8 = _scores(accuracy["fp32"]), _scores(accuracy["int8"])
    deltas = {key: round(int8[key] - fp32[key], 4) for key in fp32}
    judged = {k: v for k, v in deltas.items() if not k.startswith("fit_")}
    worst = min(judged, key=judged.__getitem__)
    return {
        "deltas": deltas,
        "worst": worst,
        "worst_delta": judged[worst],
        "within_0.01": judged[worst] >= -0.01,
    }


def accuracy_table(results: dict[str, Any]) -> str:
    """fp32 and int8 accuracy side by side (Markdown)."""
    accuracy = results.get("accuracy") or {}
    if not accuracy:
        return ""
    flat = {variant: _scores(result) for variant, result in accuracy.items()}
    variants = list(flat)
    lines = [
        "| set.metric | "
        + " | ".join(variants)
        + (" | int8 - fp32 |" if len(variants) > 1 else " |"),
        "|---|" + "---|" * len(variants) + ("---|" if len(variants) > 1 else ""),
    ]
    loss = results.get("accuracy_loss_int8")
    for key in flat[variants[0]]:
        cells = " | ".join(_fmt(flat[v][key]) for v in variants)
        delta = f" | {loss['deltas'][key]:+.4f}" if loss else ""
        lines.append(f"| {key} | {cells}{delta} |")
    if loss:
        lines.append("")
        lines.append(
            f"- int8's largest loss outside the fit set: {loss['worst']} "
            f"{loss['worst_delta']:+.4f} ({'within' if loss['within_0.01'] else 'NOT within'} 0.01)"
        )
    return "\n".join(lines)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3g}{unit}" if value < 100 else f"{value:,.0f}{unit}"
    return f"{value}{unit}"


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (what docs/performance.md shows)."""
    lines = [
        "| knowledge base | system | p50 / p95 / p99 ms | x faster than s-t | HTTP p50 / p95 ms "
        "| first answer s | peak RSS MB | RSS private / file-backed MB | top-1 | abstains OOS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results["kbs"].items():
        systems = [
            (f"backcare {variant}", result, row["speedup_p50_by_encoder"][variant])
            for variant, result in row["backcare_by_encoder"].items()
        ]
        systems += [
            ("BM25 only", row["bm25_only"], None),
            ("sentence-transformers", row["sentence_transformers"], None),
        ]
        for label, r, speedup in systems:
            ask = r["ask_distinct"]
            http = row.get("http") if r is row["backcare"] else None
            memory = r.get("memory_mb") or {}
            split = (
                f"{_fmt(memory['private_anonymous'])} / {_fmt(memory['file_backed'])}"
                if memory
                else "-"
            )
            lines.append(
                f"| {name} ({r['entries']:,}) | {label} | {_fmt(ask['p50_ms'])} / "
                f"{_fmt(ask['p95_ms'])} / {_fmt(ask['p99_ms'])} | {_fmt(speedup)} | "
                + (f"{_fmt(http['p50_ms'])} / {_fmt(http['p95_ms'])}" if http else "-")
                + f" | {_fmt(r['first_answer_s'])} | {_fmt(r['peak_rss_mb'])} | {split} | "
                f"{_fmt(r.get('top1'))} | {_fmt(r.get('abstention_oos'))} |"
            )
    out = ["\n".join(lines), "", accuracy_table(results), ""]
    for name, row in results["kbs"].items():
        speed = row["speedup_p50"]
        cached = row["backcare"]["ask_repeated_cached"]["p50_ms"]
        text = (
            f"- {name}: {row['size_on_disk_mb']} MB on disk; backcare p50 is "
            f"{speed['vs_sentence_transformers']}x faster than sentence-transformers and "
            f"{speed['vs_bm25_only']}x BM25-only's time ("
            f"{'>1 = faster' if (speed['vs_bm25_only'] or 0) >= 1 else '<1 = slower'}); "
            f"repeated (cached) queries p50 {cached} ms"
        )
        if "top1_ratio" in row:
            ratio = row["top1_ratio"]
            text += (
                f"; top-1 ratio {ratio['vs_sentence_transformers']} vs sentence-transformers, "
                f"{ratio['vs_bm25_only']} vs BM25-only"
            )
        out.append(text)
    if "throughput" not in results:  # a --speed-only run
        return "\n".join([*out, _load_line(results)])
    build = results["build"]
    m16, m47 = build["medquad_16k"], build["medquad_47k"]
    tp = results["throughput"]
    out.append(
        f"- MedQuAD ingest + index (16k): {m16['ingest_index_s']} s "
        f"({m16['added']:,} added, {m16['merged']:,} merged, {m16['conflicts']:,} conflicts, "
        f"{m16['skipped']:,} skipped); 47k variant: {m47['build_s']} s build, "
        f"{m47['texts_encoded']:,} new texts encoded"
        + (" (reused from an earlier run)" if build.get("reused_from_an_earlier_run") else "")
    )
    out.append(
        f"- encode throughput on {tp['texts']:,} MedQuAD texts: backcare fp32 "
        f"{tp['backcare_texts_per_s']}/s, int8 {tp['backcare_int8_texts_per_s']}/s "
        f"(one text a call), sentence-transformers {tp['sentence_transformers_texts_per_s']}/s"
    )
    ann = results["ann"]
    sweep = ", ".join(
        f"ef={r['expansion_search']}: {r['recall_at_10']} ({r['search']['p50_ms']} ms)"
        for r in ann["sweep"]
    )
    ret = ann["retriever"]
    out.append(
        f"- ANN recall@10 vs exact over {ann['vectors']:,} vectors, {ann['queries']} queries: "
        f"retriever's dense ranking (HNSW connectivity {ann['params']['connectivity']}, "
        f"ef {ann['params']['expansion_search']}, {ret['ann_candidates']} ANN + "
        f"{ret['lexical_candidates']} BM25 candidates rescored) **{ret['recall_at_10']}**, "
        f"retrieval p50 {ret['signals_with_ann']['p50_ms']} ms vs "
        f"{ret['signals_exact']['p50_ms']} ms exact; HNSW index alone: {sweep}; exact "
        f"search {ann['exact_search']['p50_ms']} ms"
    )
    enc = results["encoder"]
    variants = ", ".join(
        f"{k} {v['p50_ms']} ms"
        for k, v in enc.items()
        if isinstance(v, dict) and k != "tokenize_only"
    )
    out.append(
        f"- single-query encode p50 ({enc['median_tokens']:.0f} tokens): {variants}; "
        f"tokenizer alone {enc['tokenize_only']['p50_ms']} ms"
    )
    for variant, cascade in results.get("cascade", {}).items():
        chosen, held_out = cascade["chosen_on_fit"], cascade["validation"]
        if chosen is None:
            out.append(f"- cascade ({variant}): no gate is lossless on the fit set")
            continue
        out.append(
            f"- cascade ({variant}): gate chosen on the fit set (BM25 >= {chosen['score']}, "
            f"runner-up <= {chosen['ratio']}x) fires on {chosen['fired']}/{chosen['queries']} "
            f"fit queries; on validation {held_out['fired']}/{held_out['queries']} "
            f"({cascade['validation_share_fired']:.0%}), {held_out['worse']} replies worse, "
            f"{held_out['better']} better; would save {cascade['mean_saving_ms']} ms a query "
            f"on average (encode p50 {cascade['encode_p50_ms']} ms), "
            f"{'helps' if cascade['helps_p50'] else 'cannot help'} p50"
        )
    imp = results["import_s"]
    out.append(
        f"- import backcare {imp['backcare']} s, "
        f"import backcare.service {imp['backcare.service']} s"
    )
    out.append(_load_line(results))
    return "\n".join(out)


def _load_line(results: dict[str, Any]) -> str:
    load = results["machine"]
    return (
        f"- {load['cpus']} CPUs; load average {load['load_avg_start'][0]:.1f} at start, "
        f"{load['load_avg_end'][0]:.1f} at end"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="reuse knowledge bases built before")
    parser.add_argument("--queries", type=int, default=300, help="distinct queries per kb")
    parser.add_argument("--http-requests", type=int, default=200, help="requests per kb")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    parser.add_argument("--throughput-sample", type=int, default=1000, help="texts to encode")
    parser.add_argument(
        "--variants",
        type=lambda text: [v for v in text.split(",") if v],
        default=["fp32", "int8"],
        help="encoder variants to measure backcare with, comma-separated (default fp32,int8)",
    )
    parser.add_argument(
        "--kbs",
        type=lambda text: [k for k in text.split(",") if k],
        default=["pack", "medquad-16k", "medquad-47k"],
        help="knowledge bases to measure, comma-separated (default pack,medquad-16k,medquad-47k)",
    )
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only the per-knowledge-base rows: no accuracy, cascade, ANN or encoder workers",
    )
    args = parser.parse_args()
    results = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", results["started"])[:15]
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nwritten to {RESULTS / f'bench-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
