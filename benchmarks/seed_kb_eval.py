"""Top-1/top-3 of a knowledge base ingested from the seed page vs the shipped pack.

The seed page's ids are slugs of its questions ("what-helps-lower-back-spasms-
immediately"), the dev sets use the pack's topic ids ("immediate"), and
``../shared/eval/seed_entries.json`` maps each topic id to its seed question.
This script rewrites each case's ``ok`` ids into the seed KB's slugs through
that map and scores both knowledge bases with the same harness as
``backcare eval`` (``backcare.evaluate``).

Run: ``.venv/bin/python benchmarks/seed_kb_eval.py [--kb DIR] [--encoder int8|fp32] [--json]``;
without ``--kb`` the seed page is ingested into a temporary folder first (with the
chosen encoder: a knowledge base is built for one encoder variant).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from backcare import Backcare, EvalCase, default_encoder, evaluate, ingest_to_kb, read_cases
from backcare.retrieval.dense import Encoder
from backcare.settings import Settings

SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def _key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def score(encoder: Encoder, index_dir: Path, kb_dir: Path | None = None) -> dict[str, Any]:
    """Scores of the pack and of the seed-page knowledge base on every dev query set.

    Args:
        encoder: the encoder both knowledge bases are built for and queried with.
        index_dir: where the pack's index is cached.
        kb_dir: an ingested seed knowledge base; None ingests the seed page afresh.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if kb_dir is None:
            kb_dir = Path(tmp) / "seed-kb"
            ingest_to_kb([SHARED / "seeds" / "back-spasms-faq.txt"], kb_dir, encoder)
        seed = Backcare.open(encoder, kb_dir=kb_dir)
        pack = Backcare.open(encoder, cache_dir=index_dir)
        topics = json.loads((SHARED / "eval" / "seed_entries.json").read_text(encoding="utf-8"))
        slug_of_question = {_key(e.question): e.id for e in seed.kb.entries}
        slug_of_topic = {
            t: slug_of_question.get(_key(q), f"<missing:{t}>") for t, q in topics.items()
        }
        results = {}
        for path in sorted((SHARED / "eval").glob("dev_queries*.jsonl")):
            cases = read_cases(path)
            mapped = [
                EvalCase(q=c.q, ok=tuple(slug_of_topic.get(i, i) for i in c.ok)) for c in cases
            ]
            for label, backcare, these in (("pack", pack, cases), ("seed-kb", seed, mapped)):
                report = evaluate(backcare, these, name=path.name)
                results[f"{label}:{path.name}"] = {
                    "kb": backcare.kb_label,
                    "n": report.n,
                    "top1": report.top1,
                    "top3": report.top3,
                    "answered_correct": report.answered_correct,
                }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", type=Path, help="a seed knowledge base (default: build one)")
    parser.add_argument("--encoder", choices=["int8", "fp32"], help="default: BACKCARE_ENCODER")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=args.encoder or settings.encoder
    )
    results = score(encoder, settings.index_dir, args.kb)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, row in results.items():
        print(
            f"{name:32} {row['kb']:22} n={row['n']} top1={row['top1']} top3={row['top3']} "
            f"answered_correct={row['answered_correct']}"
        )


if __name__ == "__main__":
    main()
