"""Every reply to a fixed query sample, written as JSON, to show that a speed or memory change
left the results alone.

Opens backcare as ``make bench``'s worker does and writes, per query, the
status, the answer's entry id and confidence, the alternatives with their
scores, and the triage level and flags. Run it on the code before and after a
change and compare with ``--compare``::

    python benchmarks/snapshot.py KB QUERIES before.json
    python benchmarks/snapshot.py KB QUERIES after.json --compare before.json

``--compare`` exits 1 when any reply differs (scores compared to 1e-6) and
lists the first differences.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _open import open_app  # noqa: E402


def replies(kb: str, queries: list[str]) -> list[dict[str, Any]]:
    app, variant = open_app(kb)
    out = []
    for q in queries:
        reply = app.ask(q)
        out.append(
            {
                "q": q,
                "status": reply.status,
                "answer": None
                if reply.answer is None
                else [reply.answer.entry_id, reply.answer.confidence],
                "alternatives": [[a.entry_id, a.score] for a in reply.alternatives],
                "triage": [reply.triage.level.value, sorted(f.id for f in reply.triage.flags)],
            }
        )
    return out


def differences(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """Human-readable differences between two snapshots (empty when they agree)."""

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return abs(a - b) <= 1e-6
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return bool(a == b)

    if len(old) != len(new):
        return [f"{len(old)} replies before, {len(new)} after"]
    return [f"{o['q']!r}: {o} -> {n}" for o, n in zip(old, new, strict=True) if not same(o, n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", help="'pack' or a knowledge-base folder")
    parser.add_argument("queries", help="a JSON list of queries (run.py writes them)")
    parser.add_argument("out", help="where to write the replies")
    parser.add_argument("--compare", help="an earlier snapshot to compare with")
    args = parser.parse_args()
    queries = json.loads(Path(args.queries).read_text(encoding="utf-8"))
    result = replies(args.kb, queries)
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"{len(result)} replies written to {args.out}")
    if args.compare:
        diffs = differences(json.loads(Path(args.compare).read_text(encoding="utf-8")), result)
        print(f"{len(diffs)} of {len(result)} replies differ from {args.compare}")
        for line in diffs[:10]:
            print(" ", line)
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
