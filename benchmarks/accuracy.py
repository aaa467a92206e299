"""Answer accuracy of one encoder variant (int8 or fp32), for judging int8 against fp32.

Run: ``.venv/bin/python benchmarks/accuracy.py [--encoder int8|fp32] [--json]``
(``benchmarks/run.py`` runs it for both and prints them side by side). Every set
is scored through the whole ``Backcare.ask`` path except RQE, which scores the
encoder alone:

- ``dev``: ``../shared/eval`` (27 in-scope, 8 out-of-scope, 8 red-flag queries);
- ``validation``: ``tuning/validation.jsonl`` (238 in-scope, 96 out-of-scope),
  held out from the fit of the fusion weights and the threshold;
- ``fit``: ``tuning/in_scope.jsonl`` and ``out_of_scope.jsonl`` (what the
  weights were fitted on with fp32 vectors; listed, not judged on);
- ``rqe_test``: the 302 test pairs of the AMIA 2016 question-entailment data
  (Ben Abacha and Demner-Fushman, AMIA 2016; CC BY 4.0), read from
  ``../shared/data/rqe_amia2016.jsonl``: P@1 (for each consumer question with an
  entailed FAQ question, is the FAQ question of highest cosine among the split's
  161 one of them) and ROC AUC of the pair cosines against the labels;
- ``seed_kb``: the seed page ingested into a knowledge base, on the dev sets
  (``benchmarks/seed_kb_eval.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", ROOT.parent / "shared"))
sys.path.insert(0, str(HERE))

from seed_kb_eval import score as seed_scores  # noqa: E402

from backcare import Backcare, EvalCase, default_encoder, evaluate, read_cases  # noqa: E402
from backcare.retrieval.dense import Encoder  # noqa: E402
from backcare.settings import Settings  # noqa: E402


def _report(app: Backcare, cases: list[EvalCase], name: str) -> dict[str, Any]:
    report = evaluate(app, cases, name=name)
    fields = ("n", "top1", "top3", "answered_correct", "abstention_rate", "triage_at_least")
    return {key: getattr(report, key) for key in fields if getattr(report, key) is not None}


def _split(cases: list[EvalCase]) -> tuple[list[EvalCase], list[EvalCase]]:
    return [c for c in cases if c.ok], [c for c in cases if not c.ok and not c.level]


def pack_sets(app: Backcare) -> dict[str, Any]:
    """Scores of the pack on the dev, validation and fit sets."""
    dev = SHARED / "eval"
    out: dict[str, Any] = {
        "dev_queries": _report(app, read_cases(dev / "dev_queries.jsonl"), "dev_queries"),
        "dev_out_of_scope": _report(
            app, read_cases(dev / "dev_out_of_scope.jsonl"), "dev_out_of_scope"
        ),
        "dev_red_flags": _report(app, read_cases(dev / "dev_red_flags.jsonl"), "dev_red_flags"),
    }
    in_scope, off_topic = _split(read_cases(ROOT / "tuning" / "validation.jsonl"))
    out["validation_in_scope"] = _report(app, in_scope, "validation")
    out["validation_out_of_scope"] = _report(app, off_topic, "validation")
    out["fit_in_scope"] = _report(app, read_cases(ROOT / "tuning" / "in_scope.jsonl"), "fit")
    out["fit_out_of_scope"] = _report(
        app, read_cases(ROOT / "tuning" / "out_of_scope.jsonl"), "fit"
    )
    return out


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted as half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def rqe_pairs() -> list[dict[str, Any]]:
    """The RQE test split's labelled pairs."""
    rows = [
        json.loads(line)
        for line in (SHARED / "data" / "rqe_amia2016.jsonl").open(encoding="utf-8")
        if line.strip()
    ]
    return [r for r in rows if r["split"] == "test"]


def rqe_scores(
    test: list[dict[str, Any]], v1: dict[str, np.ndarray], q2s: list[str], v2: np.ndarray
) -> dict[str, Any]:
    """P@1 and pair AUC over ``test``, given the consumer questions' vectors ``v1``
    and the candidates ``q2s`` with their vectors ``v2`` (one row each)."""
    row_of = {q: i for i, q in enumerate(q2s)}
    pair = np.array([float(v1[r["q1"]] @ v2[row_of[r["q2"]]]) for r in test])
    labels = np.array([int(r["label"]) for r in test])
    positives: dict[str, set[str]] = {}
    for r in test:
        if r["label"] == 1:
            positives.setdefault(r["q1"], set()).add(r["q2"])
    hits = sum(q2s[int(np.argmax(v2 @ v1[q]))] in ok for q, ok in positives.items())
    return {
        "pairs": len(test),
        "queries_with_a_positive": len(positives),
        "candidates": len(q2s),
        "p_at_1": round(hits / len(positives), 4),
        "pair_auc": round(_auc(pair, labels), 4),
    }


def rqe_test(encoder: Encoder) -> dict[str, Any]:
    """Encoder-only scores on the RQE test split (see the module docstring)."""
    test = rqe_pairs()
    q1s = list(dict.fromkeys(r["q1"] for r in test))
    q2s = list(dict.fromkeys(r["q2"] for r in test))
    v1 = dict(zip(q1s, encoder.encode(q1s), strict=True))
    return rqe_scores(test, v1, q2s, encoder.encode(q2s))


def measure(variant: str) -> dict[str, Any]:
    """Every accuracy figure for one encoder variant."""
    settings = Settings()
    encoder = default_encoder(settings.model_dir, threads=settings.threads, variant=variant)
    app = Backcare.open(encoder, cache_dir=settings.index_dir)
    seed = seed_scores(encoder, settings.index_dir)
    return {
        "encoder": variant,
        "model_id": encoder.model_id,
        "pack": pack_sets(app),
        "rqe_test": rqe_test(encoder),
        "seed_kb": {k: v for k, v in seed.items() if k.startswith("seed-kb:")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", choices=["int8", "fp32"], help="default: BACKCARE_ENCODER")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    result = measure(args.encoder or Settings().encoder)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
