"""What storing vectors as int8 (a scale per row) changes, against float16 or float32.

Issue 18 asks for the 47k knowledge base in 300 MB; int8 vectors
(``backcare.retrieval.quantized``) halve the two float16 matrices. This
measures what that costs in answers::

    python benchmarks/int8_vectors.py benchmarks/results/kb/medquad-47k \\
        benchmarks/results/kb/medquad-47k-int8 benchmarks/results/queries-medquad-47k.json \\
        [--snapshots before.json after.json] [--json FILE]

(the int8 folder from ``benchmarks/requantize.py``; the snapshots from
``benchmarks/snapshot.py`` on each folder). It reports:

- ``signals``: over the queries, through the live retriever of each folder,
  the largest change of a question and of an answer cosine, how often the
  fused top 1 and top 10 change, and self-retrieval top-1 (a query is a
  knowledge-base question, lowercased without its '?'; right when the top
  entry's question is that one);
- ``dense_recall_at_10_vs_exact_base``: each folder's dense top 10 (ANN
  candidates plus lexical ones, rescored) against exact search over the
  first folder's matrix;
- ``rqe_test``: the RQE test split (see ``accuracy.py``) with the FAQ-side
  vectors stored as float32, float16 and int8;
- ``pack``: the shipped pack's dev and validation sets with its vectors stored
  as int8 instead of float32 (the pack keeps float32; this shows the
  storage's effect on labelled questions);
- ``snapshots``: what differs between the two folders' replies.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from accuracy import pack_sets, rqe_pairs, rqe_scores  # noqa: E402

from backcare import Backcare, KnowledgeBase, default_encoder, load_pack  # noqa: E402
from backcare.retrieval.calibration import MANIFEST_KEY  # noqa: E402
from backcare.retrieval.dense import Encoder  # noqa: E402
from backcare.retrieval.quantized import Int8Rows  # noqa: E402
from backcare.retrieval.retriever import HybridRetriever  # noqa: E402
from backcare.settings import Settings  # noqa: E402


def _key(text: str) -> str:
    return text.lower().rstrip("?").strip()


def signals(base: KnowledgeBase, coded: KnowledgeBase, encoder: Encoder, queries: list[str]) -> Any:
    params = load_pack().params
    one = HybridRetriever(base, encoder, params)
    two = HybridRetriever(coded, encoder, params)
    exact = HybridRetriever(dataclasses.replace(base, ann=None), encoder, params)
    question_of = {}
    for i in range(len(base)):
        question_of.setdefault(_key(base.entries[i].question), set()).add(i)
    worst_q = worst_a = 0.0
    top1_changed = top10_changed = 0
    right = [0, 0]
    labelled = 0
    found = [0, 0]

    def recall(exact_scores: np.ndarray, got: np.ndarray, k: int = 10) -> int:
        kth = np.sort(exact_scores)[-k]
        return int((exact_scores[got[:k]] >= kth - 1e-6).sum())

    for text in queries:
        a_sig, a_fused = one.fused(text)
        b_sig, b_fused = two.fused(text)
        both = (a_sig.signals["dense"] > 0) & (b_sig.signals["dense"] > 0)
        worst_q = max(
            worst_q,
            float(np.abs(a_sig.signals["dense"] - b_sig.signals["dense"])[both].max(initial=0)),
        )
        both = (a_sig.signals["dense_answer"] > 0) & (b_sig.signals["dense_answer"] > 0)
        worst_a = max(
            worst_a,
            float(
                np.abs(a_sig.signals["dense_answer"] - b_sig.signals["dense_answer"])[both].max(
                    initial=0
                )
            ),
        )
        a_top = np.argsort(-a_fused, kind="stable")[:10]
        b_top = np.argsort(-b_fused, kind="stable")[:10]
        top1_changed += int(a_top[0] != b_top[0])
        top10_changed += int(a_top.tolist() != b_top.tolist())
        ok = question_of.get(_key(text))
        if ok:
            labelled += 1
            right[0] += int(a_top[0]) in ok
            right[1] += int(b_top[0]) in ok
        exact_dense = exact.signals(text).signals["dense"]
        for n, sig in enumerate((a_sig, b_sig)):
            found[n] += recall(exact_dense, np.argsort(-sig.signals["dense"], kind="stable"))
    return {
        "queries": len(queries),
        "max_abs_question_cosine_change": round(worst_q, 5),
        "max_abs_answer_cosine_change": round(worst_a, 5),
        "fused_top1_changed": top1_changed,
        "fused_top10_order_changed": top10_changed,
        "self_retrieval_labelled": labelled,
        "self_retrieval_top1": {
            "before": round(right[0] / max(labelled, 1), 4),
            "int8": round(right[1] / max(labelled, 1), 4),
        },
        "dense_recall_at_10_vs_exact_base": {
            "before": round(found[0] / (10 * len(queries)), 4),
            "int8": round(found[1] / (10 * len(queries)), 4),
        },
    }


def rqe_test(encoder: Encoder) -> dict[str, Any]:
    """RQE test P@1 and pair AUC with the candidates stored as float32, float16 and int8."""
    test = rqe_pairs()
    q1s = list(dict.fromkeys(r["q1"] for r in test))
    q2s = list(dict.fromkeys(r["q2"] for r in test))
    v1 = dict(zip(q1s, encoder.encode(q1s), strict=True))
    exact = np.asarray(encoder.encode(q2s), dtype=np.float32)
    stored = {
        "float32": exact,
        "float16": exact.astype(np.float16).astype(np.float32),
        "int8": np.asarray(Int8Rows.quantize(exact), dtype=np.float32),
    }
    out = {}
    for name, v2 in stored.items():
        scores = rqe_scores(test, v1, q2s, v2)
        out[name] = {"p_at_1": scores["p_at_1"], "pair_auc": scores["pair_auc"]}
    return out


def pack(encoder: Encoder, cache_dir: Path) -> dict[str, Any]:
    app = Backcare.open(encoder, cache_dir=cache_dir)
    kb = app.kb
    coded = dataclasses.replace(
        kb,
        question_vectors=Int8Rows.quantize(np.asarray(kb.question_vectors, dtype=np.float32)),
        answer_vectors=Int8Rows.quantize(np.asarray(kb.answer_vectors, dtype=np.float32)),
        manifest={k: v for k, v in kb.manifest.items() if k != MANIFEST_KEY},
    )
    out = {}
    kept = ("top1", "top3", "answered_correct", "abstention_rate")
    for name, which in (("float32", kb), ("int8", coded)):
        sets = pack_sets(Backcare(app.pack, which, encoder))
        out[name] = {k: {m: v[m] for m in kept if m in v} for k, v in sets.items()}
    return out


def snapshots(before: Path, after: Path) -> dict[str, Any]:
    old = json.loads(before.read_text(encoding="utf-8"))
    new = json.loads(after.read_text(encoding="utf-8"))
    old = old["replies"] if isinstance(old, dict) else old
    new = new["replies"] if isinstance(new, dict) else new
    counts = {"status": 0, "answer_id": 0, "alternative_ids": 0, "triage": 0}
    worst = 0.0
    for a, b in zip(old, new, strict=True):
        counts["status"] += a["status"] != b["status"]
        counts["triage"] += a["triage"] != b["triage"]
        ids_a = None if a["answer"] is None else a["answer"][0]
        ids_b = None if b["answer"] is None else b["answer"][0]
        counts["answer_id"] += ids_a != ids_b
        counts["alternative_ids"] += [x[0] for x in a["alternatives"]] != [
            x[0] for x in b["alternatives"]
        ]
        if a["answer"] and b["answer"] and ids_a == ids_b:
            worst = max(worst, abs(a["answer"][1] - b["answer"][1]))
    return {"replies": len(old), "differ_in": counts, "max_abs_confidence_change": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("coded", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--snapshots", nargs=2, type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    result: dict[str, Any] = {"encoder": settings.encoder}
    if args.snapshots:
        result["snapshots"] = snapshots(*args.snapshots)
    result["rqe_test"] = rqe_test(encoder)
    result["pack"] = pack(encoder, settings.index_dir)
    result["signals"] = signals(
        KnowledgeBase.load(args.base), KnowledgeBase.load(args.coded), encoder, queries
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
