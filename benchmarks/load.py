"""Load test of ``backcare serve`` on loopback: a fixed open-loop schedule of ``POST /v1/ask``.

Issue 9's target: 200 requests/s for 60 s against ``serve --workers 2`` on the
shipped pack with 0 errors and p99 <= 50 ms.

Open loop: request *i* is sent at ``start + i / rate`` whether or not earlier
ones have been answered, as real users arrive, so a slow server cannot slow
the test down to what it can bear (coordinated omission). Latency is
measured from the scheduled time (what a user waits, queueing in the client
included) and, separately, from the moment the request was sent.

Every question is distinct (a dev-set question with ``#n`` appended), so the
encoder's query cache never helps: the worst case for the server. The server
runs with the rate limit raised far above the offered load, so the limiter's
cost is in the figures but it never refuses. ``BACKCARE_THREADS`` defaults to
1 per worker (two workers on two cores; more threads only contend).

Bounded: at most 600 s and 120,000 requests, only to 127.0.0.1. Prints a
table and writes ``benchmarks/results/load-<time>.json`` (git-ignored).

Issue 16: ``--nginx`` runs the same schedule through Debian's nginx to two
``backcare serve`` replicas on a throw-away PostgreSQL (``tests/topology.py``),
then against one such process alone, with the rate limit at its default and
the proxy trusted; the load comes from ``--clients`` loopback addresses, so
the per-client limit sees many users, as behind a real proxy. It prints the
highest rate each sustains and their ratio (``make load-nginx``).

Run: ``.venv/bin/python benchmarks/load.py [--rate 200] [--duration 60] [--workers 2]``
or, against a server already running on loopback, ``--url http://127.0.0.1:8000``.
``--rates 50,75,100,150,200`` runs a ladder of 60 s stages against one server and
reports the highest rate that meets the target (``make bench`` runs this).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SHARED = ROOT.parent / "shared"
MAX_SECONDS = 600
MAX_REQUESTS = 120_000
# After the last request is due, how long answers may still come in; the rest
# are cancelled and counted as errors, so an overloaded server cannot stall the run.
GRACE_SECONDS = 30
# More unanswered requests than this and the server has fallen behind for good:
# further ones are counted as errors without being sent, which keeps this client
# (not the server) from becoming what is measured.
MAX_IN_FLIGHT = 1_000
TARGET_P99_MS = 50.0
FALLBACK_QUESTIONS = [
    "what gives immediate relief for a lower back spasm",
    "cold or warm pack for a fresh back spasm",
    "how long is recovery from back spasms",
    "should I stay in bed with a back spasm",
    "which sleeping position is best with a sore lower back",
    "my back went into spasm and now I can't pee and my groin is numb",
    "how do I make sourdough bread",
]


@dataclass
class Result:
    """One request: when it was due, when it was sent, how long it took and how it ended."""

    due: float
    sent: float
    done: float
    status: int  # 0: no response (connection error or timeout)
    error: str | None = None


def _questions() -> list[str]:
    found: list[str] = []
    for name in ("dev_queries.jsonl", "dev_red_flags.jsonl", "dev_out_of_scope.jsonl"):
        path = SHARED / "eval" / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    found.append(str(json.loads(line)["q"]))
    return found or FALLBACK_QUESTIONS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _server(workers: int, kb: Path | None, threads: int) -> Iterator[str]:
    """``backcare serve`` on a free loopback port, ready on every worker."""
    port = _free_port()
    data = Path(tempfile.mkdtemp(prefix="backcare-load-"))
    env = {
        **os.environ,
        "BACKCARE_DATA_DIR": str(data),
        "BACKCARE_RATE_LIMIT": "1000000",
        "BACKCARE_RATE_BURST": "1000000",
        "BACKCARE_THREADS": os.environ.get("BACKCARE_THREADS", str(threads)),
    }
    env.pop("BACKCARE_KB", None)
    command = [sys.executable, "-m", "backcare", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    if kb is not None:
        command += ["--kb", str(kb)]
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        ready = 0
        # Each worker loads the model and index itself: wait until several
        # readiness probes in a row succeed, then warm every worker up.
        while ready < 3 * workers:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"backcare serve did not start:\n{log.read_text()}")
            try:
                ok = httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                ok = False
            ready = ready + 1 if ok else 0
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _run(
    url: str, rate: float, count: int, questions: list[str], sources: list[str] | None = None
) -> list[Result]:
    """The schedule against ``url``; request *i* comes from ``sources[i % len]`` when given.

    Distinct source addresses (127.x.y.z) are distinct clients to the server's
    per-client rate limit, as real users behind a proxy are.
    """
    addresses: list[str | None] = list(sources) if sources else [None]
    per_client = max(8, 512 // len(addresses))
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=url,
                    timeout=10,
                    transport=httpx.AsyncHTTPTransport(limits=limits, local_address=address),
                )
            )
            for address in addresses
        ]
        # Warm-up, not counted: every worker answers a few questions first.
        await asyncio.gather(
            *(
                clients[n % len(clients)].post("/v1/ask", json={"q": f"{q} warm-up"})
                for n, q in enumerate(questions[:32])
            )
        )
        results: list[Result] = []

        async def one(i: int, due: float) -> None:
            sent = time.perf_counter()
            body = {"q": f"{questions[i % len(questions)]} #{i}"}
            http = clients[i % len(clients)]
            try:
                response = await http.post("/v1/ask", json=body)
                status, error = response.status_code, None
                if status != 200:
                    error = response.text[:200]
            except httpx.HTTPError as exc:
                status, error = 0, f"{type(exc).__name__}: {exc}"
            results.append(Result(due, sent, time.perf_counter(), status, error))

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if i - len(results) >= MAX_IN_FLIGHT:
                now = time.perf_counter()
                results.append(Result(due, now, now, 0, f"not sent: {MAX_IN_FLIGHT} in flight"))
                continue
            tasks.append(asyncio.create_task(one(i, due)))
            if i and i % int(rate * 10) == 0:
                print(f"{i:,} sent, {len(results):,} answered", file=sys.stderr, flush=True)
        _, pending = await asyncio.wait(tasks, timeout=GRACE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        now = time.perf_counter()
        unfinished = Result(
            0.0, 0.0, now, 0, f"unfinished {GRACE_SECONDS} s after the last was due"
        )
        results += [unfinished] * len(pending)
    return results


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summarise(results: list[Result], rate: float, duration: float) -> dict[str, Any]:
    """Throughput, latency percentiles (from due and from sent) and errors."""
    ok = [r for r in results if r.status == 200]
    from_due = [(r.done - r.due) * 1000 for r in ok]
    from_sent = [(r.done - r.sent) * 1000 for r in ok]
    first = min(r.due for r in results if r.due)
    last = max(r.done for r in results)
    errors = Counter(str(r.status) if r.status else (r.error or "?") for r in results if r.error)
    late = [(r.sent - r.due) * 1000 for r in results if r.due]
    return {
        "offered_rate": rate,
        "duration_s": duration,
        "requests": len(results),
        "ok": len(ok),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "throughput_rps": round(len(ok) / (last - first), 1),
        "latency_ms": {
            name: {
                "p50": round(_percentile(values, 50), 2),
                "p90": round(_percentile(values, 90), 2),
                "p99": round(_percentile(values, 99), 2),
                "max": round(max(values, default=float("nan")), 2),
                "mean": round(statistics.fmean(values), 2) if values else None,
            }
            for name, values in (("from_schedule", from_due), ("from_send", from_sent))
        },
        "client_send_lag_ms_p99": round(_percentile(late, 99), 2),
    }


def _table(summary: dict[str, Any]) -> str:
    rows = [
        ("offered", f"{summary['offered_rate']:.0f} req/s for {summary['duration_s']:.0f} s"),
        ("requests", f"{summary['requests']:,} ({summary['ok']:,} ok)"),
        ("errors", f"{summary['errors']} {summary['error_kinds'] or ''}".strip()),
        ("throughput", f"{summary['throughput_rps']} req/s"),
    ]
    for name, stats in summary["latency_ms"].items():
        rows.append(
            (
                f"latency {name.replace('_', ' ')}",
                f"p50 {stats['p50']} ms  p90 {stats['p90']} ms  p99 {stats['p99']} ms  "
                f"max {stats['max']} ms",
            )
        )
    rows.append(("client send lag p99", f"{summary['client_send_lag_ms_p99']} ms"))
    verdict = "met" if _met(summary) else "NOT met"
    rows.append(("target (0 errors, p99 <= 50 ms)", verdict))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the schedule, print and save the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests a second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads a worker")
    parser.add_argument("--kb", type=Path, help="serve this knowledge base, not the pack")
    parser.add_argument("--url", help="a server already running on 127.0.0.1")
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/)")
    parser.add_argument(
        "--nginx",
        action="store_true",
        help="--replicas replicas behind Debian's nginx on a throw-away PostgreSQL, then one "
        "process alone, same schedule, rate limit at its default (issue 16)",
    )
    parser.add_argument("--replicas", type=int, default=2, help="with --nginx")
    parser.add_argument(
        "--clients", type=int, default=64, help="with --nginx: client addresses 127.0.2.x"
    )
    parser.add_argument(
        "--rates",
        help="a ladder of rates, e.g. 50,100,150,200: each runs for --duration against the "
        "same server, stopping after the first that misses the target (what make bench runs)",
    )
    args = parser.parse_args(argv)
    try:
        rates = [float(r) for r in args.rates.split(",")] if args.rates else [args.rate]
    except ValueError:
        parser.error(f"--rates must be numbers separated by commas, not {args.rates!r}")
    counts = [int(rate * args.duration) for rate in rates]
    if not (0 < args.duration <= MAX_SECONDS and all(0 < c <= MAX_REQUESTS for c in counts)):
        parser.error(f"at most {MAX_SECONDS} s and {MAX_REQUESTS:,} requests a stage")
    if args.url and urlsplit(args.url).hostname != "127.0.0.1":
        parser.error("--url must be on 127.0.0.1: this tool only loads loopback")
    questions = _questions()
    if args.nginx:
        if args.url or args.kb:
            parser.error("--nginx starts its own servers on the shipped pack; drop --url/--kb")
        if not 1 <= args.clients <= 250:
            parser.error("--clients must be 1 to 250 (one loopback address each)")
        return _nginx_main(args, rates, counts, questions)
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(_server(args.workers, args.kb, args.threads))
        meta = {
            "workers": None if args.url else args.workers,
            "threads": None if args.url else args.threads,
            "kb": str(args.kb) if args.kb else "shipped pack",
        }
        stages = _ladder(url, rates, counts, args.duration, questions, None, meta)
    report: dict[str, Any] = stages[0] if len(rates) == 1 else {"stages": stages}
    if len(rates) > 1:
        met = [stage["offered_rate"] for stage in stages if _met(stage)]
        report["capacity_rps"] = max(met, default=None)
        print(
            "highest rate meeting the target (0 errors, p99 <= 50 ms): "
            + (f"{report['capacity_rps']:.0f} req/s" if met else "none")
        )
    _save(report, args.out)
    return 0


def _ladder(
    url: str,
    rates: list[float],
    counts: list[int],
    duration: float,
    questions: list[str],
    sources: list[str] | None,
    meta: dict[str, Any],
) -> list[dict[str, Any]]:
    """Each stage against ``url``, printed; stops after the first that misses the target."""
    stages = []
    for rate, count in zip(rates, counts, strict=True):
        results = asyncio.run(_run(url, rate, count, questions, sources))
        summary = summarise(results, rate, duration)
        summary.update(
            **meta,
            distinct_questions=count,
            clients=len(sources) if sources else 1,
            machine={"cpus": os.cpu_count(), "platform": platform.platform()},
            load_average=[round(x, 2) for x in os.getloadavg()],
            at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            sample_errors=[asdict(r) for r in results if r.error][:5],
        )
        print(_table(summary) + "\n", flush=True)
        stages.append(summary)
        if not _met(summary):
            break
    return stages


def _sustained(stages: list[dict[str, Any]]) -> float | None:
    """The highest offered rate that met the target (0 errors, p99 <= 50 ms)."""
    return max((stage["offered_rate"] for stage in stages if _met(stage)), default=None)


def _nginx_main(
    args: argparse.Namespace, rates: list[float], counts: list[int], questions: list[str]
) -> int:
    """``--replicas`` behind nginx on one PostgreSQL, then one process alone: same schedule.

    Both run with the rate limit at its default and the proxy trusted, as
    deployed; the load comes from ``--clients`` loopback addresses, so each is
    one client to the limit (at 200 req/s and 64 clients, about 3 req/s each,
    under the default 20). The single process gets the same clients directly.
    """
    sys.path.insert(0, str(ROOT))
    from tests.diary.backends import _start, _stop
    from tests.topology import nginx_missing, replica_env, start_replica, topology

    if reason := nginx_missing():
        raise SystemExit(reason)
    sources = [f"127.0.2.{n}" for n in range(1, args.clients + 1)]
    threads = str(args.threads)
    folder = Path(tempfile.mkdtemp(prefix="backcare-load-pg-"))
    report: dict[str, Any] = {"replicas": args.replicas, "clients": args.clients}
    server = _start(folder)
    try:
        meta = {"topology": f"nginx + {args.replicas} replicas", "threads": args.threads}
        print(f"== nginx in front of {args.replicas} replicas (PostgreSQL) ==", flush=True)
        with topology(server.new_database(), replicas=args.replicas, threads=threads) as top:
            proxied = _ladder(top.url, rates, counts, args.duration, questions, sources, meta)
        print("== one process, no proxy (PostgreSQL) ==", flush=True)
        env = replica_env(server.new_database(), folder / "single", threads=threads)
        single = start_replica("single", folder, env)
        try:
            meta = {"topology": "1 process", "threads": args.threads}
            alone = _ladder(single.url, rates, counts, args.duration, questions, sources, meta)
        finally:
            single.stop()
    finally:
        _stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
    report["nginx"] = {"stages": proxied, "sustained_rps": _sustained(proxied)}
    report["single"] = {"stages": alone, "sustained_rps": _sustained(alone)}
    a, b = report["nginx"]["sustained_rps"], report["single"]["sustained_rps"]
    report["ratio"] = round(a / b, 2) if a and b else None
    # Throughput at the highest stage both ran: what the replicas answered per second
    # even where neither met the target.
    both = min(len(proxied), len(alone)) - 1
    report["throughput_rps_at"] = {
        "offered_rate": proxied[both]["offered_rate"],
        "nginx": proxied[both]["throughput_rps"],
        "single": alone[both]["throughput_rps"],
    }
    print(
        f"sustained (0 errors, p99 <= 50 ms): {args.replicas} replicas behind nginx "
        f"{a or 'none'} req/s, one process {b or 'none'} req/s, ratio {report['ratio']}"
    )
    _save(report, args.out)
    return 0


def _save(report: dict[str, Any], out: Path | None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = out or RESULTS / f"load-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {path}")


def _met(summary: dict[str, Any]) -> bool:
    """Whether a stage meets issue 9's target: no errors and p99 (from schedule) <= 50 ms."""
    p99: float = summary["latency_ms"]["from_schedule"]["p99"]
    return summary["errors"] == 0 and p99 <= TARGET_P99_MS


if __name__ == "__main__":
    sys.exit(main())
