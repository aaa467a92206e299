"""Where a backcare process's resident memory goes, phase by phase and file by file.

Opens backcare the way ``make bench``'s worker does (``_worker.py backcare``:
the encoder named by ``BACKCARE_ENCODER``, then the pack or a knowledge-base
folder), answers the worker's queries, and reads ``/proc/self/smaps`` after
each phase. For every phase it reports resident memory split into private
(anonymous: heap, onnxruntime's arenas, numpy temporaries) and file-backed
pages; at the end, the resident and anonymous kilobytes of every mapping,
grouped by the file it maps (``[anon]`` for the heap and nameless mappings).
Linux only.

Run::

    python benchmarks/memory_map.py benchmarks/results/kb/medquad-47k \\
        benchmarks/results/queries-medquad-47k.json [--top 25] [--json FILE]

With ``--peaks`` it also reports the largest increase of ``VmHWM`` (the peak
RSS ``ru_maxrss`` reads) across single queries, which catches a temporary
that is freed before the phase ends.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _open import open_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def smaps() -> dict[str, dict[str, float]]:
    """Resident and anonymous MB per mapped file (``[anon]`` etc. for nameless ones)."""
    per: dict[str, dict[str, float]] = defaultdict(lambda: {"rss": 0.0, "anon": 0.0, "size": 0.0})
    name = "[anon]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if "-" in parts[0] and not parts[0].endswith(":"):
            # A mapping header: address perms offset dev inode [path]
            name = parts[5] if len(parts) > 5 else "[anon]"
            continue
        key = parts[0].rstrip(":")
        if key == "Rss":
            per[name]["rss"] += int(parts[1]) / 1024
        elif key == "Anonymous":
            per[name]["anon"] += int(parts[1]) / 1024
        elif key == "Size":
            per[name]["size"] += int(parts[1]) / 1024
    return dict(per)


def split() -> dict[str, float]:
    """Resident MB now: total, private (anonymous) and file-backed; and the peak so far."""
    fields: dict[str, float] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    rss, anon = fields.get("Rss", 0.0), fields.get("Anonymous", 0.0)
    return {
        "rss": round(rss, 1),
        "private": round(anon, 1),
        "file_backed": round(rss - anon, 1),
        "peak_rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(kb: str, queries_file: str, *, peaks: bool) -> dict[str, Any]:
    phases: dict[str, dict[str, float]] = {"start": split()}
    import backcare  # noqa: F401

    phases["imported"] = split()
    app, variant = open_app(kb)
    phases["opened"] = split()
    app.ask("my back locked up this morning, what now?")
    phases["first_answer"] = split()
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    jumps: list[tuple[float, str]] = []
    t = time.perf_counter()
    for q in queries:
        before = _hwm_mb() if peaks else 0.0
        app.ask(q)
        if peaks:
            jumps.append((_hwm_mb() - before, q))
    elapsed = time.perf_counter() - t
    phases[f"after_{len(queries)}_queries"] = split()
    for q in queries:
        app.ask(q)
    phases["after_repeats"] = split()
    result: dict[str, Any] = {
        "kb": kb,
        "encoder": variant,
        "queries": len(queries),
        "seconds_for_queries": round(elapsed, 2),
        "phases": phases,
        "mappings": {
            name: {k: round(v, 1) for k, v in values.items()}
            for name, values in sorted(smaps().items(), key=lambda kv: -kv[1]["rss"])
        },
    }
    if peaks:
        jumps.sort(reverse=True)
        result["largest_peak_jumps_mb"] = [(round(mb, 1), q) for mb, q in jumps[:5]]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", help="'pack' or a knowledge-base folder")
    parser.add_argument("queries", help="a JSON list of queries (run.py writes them)")
    parser.add_argument("--top", type=int, default=25, help="mappings to print")
    parser.add_argument("--peaks", action="store_true", help="peak increase per query")
    parser.add_argument("--json", help="write the whole result here")
    args = parser.parse_args()
    result = measure(args.kb, args.queries, peaks=args.peaks)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(f"{result['kb']} ({result['encoder']}), {result['queries']} queries")
    print("phase                     rss  private  file-backed  peak")
    for phase, m in result["phases"].items():
        print(
            f"{phase:22} {m['rss']:7.1f} {m['private']:8.1f} {m['file_backed']:12.1f}"
            f" {m['peak_rss']:6.1f}"
        )
    print("\nmapping (MB resident / anonymous / mapped size)")
    home = str(Path.home())
    for name, m in list(result["mappings"].items())[: args.top]:
        shown = name.replace(str(ROOT), ".").replace(home, "~")
        print(f"{m['rss']:7.1f} {m['anon']:7.1f} {m['size']:8.1f}  {shown}")
    for mb, q in result.get("largest_peak_jumps_mb", []):
        print(f"peak +{mb} MB on {q!r}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
