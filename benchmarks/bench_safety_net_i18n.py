"""Cost of the translated safety net per message (backcare.triage.safety_net_i18n).

Times the layered triage without models (rules, the English net and the
translated net; language identified beforehand, as ``triage_message`` does)
on the red-flag development lines of every served language, with and
without the translated net, in alternating rounds so that load on a shared
machine hits both alike. The net is word matching; no model is opened.

    PYTHONPATH=src python benchmarks/bench_safety_net_i18n.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

from _i18n_lines import ROOT, i18n_red_flag_lines  # benchmarks/ runs as the script folder

from backcare.knowledge.pack import load_pack
from backcare.language import detect_language, triage_plan
from backcare.service import prepare_query, triage_layers
from backcare.triage.layered import triage_layered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    pack = load_pack(ROOT / "content")
    tables = pack.triage_tables
    queries = [
        prepare_query(line)
        for line in i18n_red_flag_lines(
            ("red_flags_", "red_flags2_", "red_flags3_", "red_flags4_", "red_flags5_")
        )
    ]
    plans = [triage_plan(detect_language(query), tables) for query in queries]
    with_net = triage_layers(pack)
    without = dataclasses.replace(with_net, translated_net=None)
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.repeats):
        for name, layers in (("without", without), ("with", with_net)):
            for query, plan in zip(queries, plans, strict=True):
                start = time.perf_counter()
                triage_layered(query, tables, reply=plan.reply, run=plan.run, layers=layers)
                times[name].append((time.perf_counter() - start) * 1000)
    report = {
        "messages": len(queries),
        "repeats": args.repeats,
        **{
            name: {
                "p50_ms": round(statistics.median(values), 3),
                "p95_ms": round(statistics.quantiles(values, n=20)[18], 3),
            }
            for name, values in times.items()
        },
    }
    report["added_p50_ms"] = round(report["with"]["p50_ms"] - report["without"]["p50_ms"], 3)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
