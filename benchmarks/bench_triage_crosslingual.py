"""Cost of the cross-language triage layer per message, and its memory.

Times ``triage_message`` on the red-flag development lines (every served
language) with and without the multilingual encoder, the encoder opened and
the example vectors embedded beforehand (as after the first such message),
and reports the resident memory the layer's example vectors add.

    PYTHONPATH=src python benchmarks/bench_triage_crosslingual.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from _i18n_lines import ROOT, i18n_red_flag_lines  # benchmarks/ runs as the script folder

from backcare.knowledge.pack import load_pack
from backcare.service import (
    default_encoder,
    multilingual_encoder,
    prepare_query,
    triage_layers,
    triage_message,
)
from backcare.settings import get_settings


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    pack = load_pack(ROOT / "content")
    encoder = default_encoder(settings.model_dir)
    e5 = multilingual_encoder(settings.model_dir)
    if e5 is None:
        raise SystemExit("the multilingual encoder is not built")
    layer = triage_layers(pack).crosslingual
    assert layer is not None
    queries = [
        prepare_query(text)
        for text in i18n_red_flag_lines(("red_flags_", "red_flags2_", "red_flags3_"))
    ]
    e5.encode_query("warm up")  # cross-language retrieval opens it for such messages anyway
    before = _rss_mb()
    triage_message(pack, queries[0], encoder=encoder, multilingual=e5)  # embeds the examples
    after = _rss_mb()
    timings: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.repeats):
        for query in queries:
            for name, multilingual in (("without", None), ("with", e5)):
                start = time.perf_counter()
                triage_message(pack, query, encoder=encoder, multilingual=multilingual)
                timings[name].append((time.perf_counter() - start) * 1000)
    for name, values in timings.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"triage {name:7} the layer: p50 {statistics.median(values):6.2f} ms  p95 {p95:6.2f} ms"
        )
    added = [w - o for w, o in zip(timings["with"], timings["without"], strict=True)]
    print(f"added per message: p50 {statistics.median(added):.2f} ms over {len(queries)} lines")
    print(f"RSS with e5 open: {before:.0f} MB; after the layer's examples: {after:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
