"""How similar are real near-duplicate questions? Evidence for the ingest merge threshold.

Encodes questions with the real all-MiniLM-L6-v2 encoder and prints cosine
similarities for three kinds of pairs:

- the shipped pack: each question against its own alternate phrasings
  (hand-written paraphrases: same meaning, usually different words);
- the shipped pack: each question against the nearest question or alternate of
  another entry (different topics in the same narrow domain: must not merge);
- MedQuAD (Ben Abacha and Demner-Fushman, BMC Bioinformatics 20, 511, 2019;
  CC BY 4.0): every pair of distinct questions at or above 0.80, split by
  whether the two answers are the same text, with examples per band. A pair
  with different answers above the threshold is reported as a conflict and,
  under ``keep-first``, the later entry is dropped, so the threshold must sit
  above the band where distinct questions ("symptoms of X" vs "treatment of X")
  live.

Run: ``.venv/bin/python benchmarks/near_duplicates.py [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import yaml

from backcare import default_encoder
from backcare.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDQUAD = ROOT.parent / "shared" / "data" / "medquad.jsonl"
BANDS = (0.80, 0.85, 0.90, 0.95, 1.01)


def _pct(values: list[float]) -> str:
    q = np.percentile(values, [5, 25, 50, 75, 95]).round(3).tolist()
    return f"n={len(values)} p5={q[0]} p25={q[1]} p50={q[2]} p75={q[3]} p95={q[4]}"


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="MedQuAD answered rows (0: all)")
    args = parser.parse_args()
    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )

    entries = [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "content" / "entries").glob("*.yaml"))
    ]
    texts, owner = [], []
    for n, entry in enumerate(entries):
        for q in [entry["question"], *entry.get("alternates", [])]:
            texts.append(q)
            owner.append(n)
    vectors = encoder.encode(texts)
    owners = np.asarray(owner)
    same, other = [], []
    for i, text in enumerate(texts):
        if text != entries[owner[i]]["question"]:
            continue
        sims = vectors @ vectors[i]
        mine = (owners == owner[i]) & (np.arange(len(texts)) != i)
        same += sims[mine].tolist()
        other.append(float(sims[owners != owner[i]].max()))
    print("pack question vs its own alternates:     ", _pct(same))
    print("pack question vs nearest other entry:    ", _pct(other))

    rows = [json.loads(line) for line in MEDQUAD.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.get("answer")]
    if args.limit:
        rows = rows[: args.limit]
    by_key: dict[str, dict[str, str]] = {}
    for row in rows:
        by_key.setdefault(_key(row["question"]), row)
    unique = list(by_key.values())
    mq = encoder.encode([r["question"] for r in unique], batch_size=128)
    pairs: list[tuple[float, int, int]] = []
    for start in range(0, len(unique), 1024):
        block = mq[start : start + 1024] @ mq.T
        rows_i, cols = np.nonzero(block >= BANDS[0])
        for i, j in zip(rows_i.tolist(), cols.tolist(), strict=True):
            if start + i < j:
                pairs.append((float(block[i, j]), start + i, j))
    print(f"MedQuAD: {len(unique)} distinct questions, {len(pairs)} pairs >= {BANDS[0]}")
    for low, high in zip(BANDS, BANDS[1:], strict=False):
        band = [p for p in pairs if low <= p[0] < high]
        same_answer = [
            p for p in band if _key(unique[p[1]]["answer"]) == _key(unique[p[2]]["answer"])
        ]
        print(
            f"  [{low:.2f}, {min(high, 1.0):.2f}): {len(band)} pairs, "
            f"{len(same_answer)} with the same answer"
        )
        for s, i, j in band[:: max(1, len(band) // 4)][:4]:
            print(f"    {s:.3f}  {unique[i]['question']!r}  ~  {unique[j]['question']!r}")


if __name__ == "__main__":
    main()
