"""Fit the fusion weights and the abstention threshold on our own tuning data.

Never on ../shared/eval: those sets only check the result.

Steps (all measured, nothing hand-set):
1. Pool ``in_scope.jsonl``, ``out_of_scope.jsonl`` and ``validation.jsonl``
   (written later, blind to the pack, after the pack's vocabulary pass had
   looked at misses in the first two files) and split them 70/30 by a hash of
   the query text (stable across runs).
2. Grid-search the fusion weights (dense over questions, dense over answers,
   BM25, and BM25's answer share) for top-1 accuracy on the 70 % split.
3. Fit a logistic regression (numpy, Newton's method, small L2) that predicts
   "the top entry is right" from the fused score, its margin over the runner-up,
   the query's vocabulary coverage and whether it names an anchor term.
   Positives: in-scope queries whose top-1 is right; negatives: out-of-scope
   queries and in-scope queries ranked wrong.
4. Pick the threshold that maximises a cost-weighted accuracy on the 70 %
   split, where answering an out-of-scope query costs twice as much as
   abstaining on an in-scope one (a confident wrong answer is the worse error).
5. Report the same figures on the held-out 30 %, then refit on everything and
   write ``content/retrieval.yaml``.

Run: ``.venv/bin/python tuning/fit.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from backcare import RetrievalParams, default_encoder, load_pack
from backcare.retrieval.fusion import linear_blend
from backcare.retrieval.retriever import HybridRetriever
from backcare.service import pack_index, prepare_query
from backcare.settings import get_settings

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "content" / "retrieval.yaml"
OOS_COST = 2.0


def _rows(name: str) -> list[dict[str, object]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _is_holdout(text: str) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10 < 3


def _signals(retriever: HybridRetriever, queries: list[str], share: float) -> list[tuple]:
    retriever.params = retriever.params.model_copy(update={"bm25_answer_share": share})
    out = []
    for q in queries:
        text = prepare_query(q)
        query = retriever.signals(text)
        out.append((query.signals, (query.coverage, query.anchor)))
    return out


def _features(fused: np.ndarray, extra: tuple[float, float]) -> tuple[int, list[float]]:
    order = np.argsort(-fused, kind="stable")
    best = float(fused[order[0]])
    second = float(fused[order[1]]) if fused.size > 1 else 0.0
    return int(order[0]), [best, best - second, *extra]


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Logistic regression; a feature whose weight comes out negative is dropped and
    the rest refitted, so confidence always rises with score, margin and coverage
    (the order of the ranking is then kept by the confidences)."""
    w = _newton(x, y, l2)
    while (w[1:] < 0).any():
        x = x.copy()
        x[:, int(np.argmin(w[1:]))] = 0.0
        w = _newton(x, y, l2)
    return w


def _newton(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-design @ w))
        grad = design.T @ (p - y) + l2 * np.r_[0, w[1:]]
        hess = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.diag(
            np.r_[0, np.ones(len(w) - 1)]
        )
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def main() -> int:
    settings = get_settings()
    pack = load_pack()
    encoder = default_encoder(settings.model_dir)
    kb = pack_index(pack, encoder, settings.index_dir)
    retriever = HybridRetriever(kb, encoder, RetrievalParams())
    ids = [entry.id for entry in kb.entries]
    rows = [*_rows("in_scope.jsonl"), *_rows("out_of_scope.jsonl")]
    if (HERE / "validation.jsonl").exists():
        rows += _rows("validation.jsonl")
    in_rows = [row for row in rows if row.get("ok")]
    oos_rows = [row for row in rows if not row.get("ok")]
    in_q = [str(r["q"]) for r in in_rows]
    in_ok = [set(r["ok"]) for r in in_rows]  # type: ignore[call-overload]
    oos_q = [str(r["q"]) for r in oos_rows]
    in_train = [not _is_holdout(q) for q in in_q]
    oos_train = [not _is_holdout(q) for q in oos_q]

    shares = [0.0, 0.2, 0.35, 0.5]
    cache = {s: (_signals(retriever, in_q, s), _signals(retriever, oos_q, s)) for s in shares}
    grid = [round(0.05 * i, 2) for i in range(17)]

    def top1(share: float, weights: dict[str, float], mask: list[bool]) -> float:
        hits = [
            ids[int(np.argmax(linear_blend(sig, weights)))] in ok
            for (sig, _), ok, use in zip(cache[share][0], in_ok, mask, strict=True)
            if use
        ]
        return sum(hits) / len(hits)

    def mrr(share: float, weights: dict[str, float], mask: list[bool]) -> float:
        ranks = []
        for (sig, _), ok, use in zip(cache[share][0], in_ok, mask, strict=True):
            if use:
                order = [ids[i] for i in np.argsort(-linear_blend(sig, weights), kind="stable")]
                ranks.append(1.0 / (1 + min(order.index(i) for i in ok if i in order)))
        return sum(ranks) / len(ranks)

    best = (-1.0, 0.0, {})
    for share, wd, wa in itertools.product(shares, grid, [0.0, 0.05, 0.1, 0.2]):
        wb = round(1.0 - wd - wa, 3)
        if wb < 0:
            continue
        weights = {"dense": wd, "dense_answer": wa, "bm25": wb}
        # Mean reciprocal rank breaks near-ties between weightings smoothly.
        acc = top1(share, weights, in_train) + mrr(share, weights, in_train)
        if acc > best[0] + 1e-9:
            best = (acc, share, weights)
    _, share, weights = best
    acc = top1(share, weights, in_train)
    print(f"fusion: share={share} weights={weights} train top-1={acc:.3f}")

    def design(
        mask_in: list[bool], mask_oos: list[bool]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xs, ys, is_oos = [], [], []
        for (sig, cov), ok, use in zip(cache[share][0], in_ok, mask_in, strict=True):
            if use:
                top, feats = _features(linear_blend(sig, weights), cov)
                xs.append(feats)
                ys.append(float(ids[top] in ok))
                is_oos.append(False)
        for (sig, cov), use in zip(cache[share][1], mask_oos, strict=True):
            if use:
                _, feats = _features(linear_blend(sig, weights), cov)
                xs.append(feats)
                ys.append(0.0)
                is_oos.append(True)
        return np.array(xs), np.array(ys), np.array(is_oos)

    def choose_threshold(p: np.ndarray, y: np.ndarray, oos: np.ndarray) -> float:
        best_t, best_score = 0.5, -1.0
        for t in np.linspace(0.05, 0.95, 91):
            answer = p >= t
            # in-scope & right: answer is good; OOS answered costs OOS_COST;
            # in-scope wrong answered counts as an error too.
            good = np.sum(answer & (y == 1)) + np.sum(~answer & oos)
            bad = (
                np.sum(~answer & (y == 1))
                + OOS_COST * np.sum(answer & oos)
                + np.sum(answer & (y == 0) & ~oos)
            )
            score = good - bad
            if score > best_score:
                best_t, best_score = float(t), float(score)
        return round(best_t, 3)

    def report(
        w: np.ndarray, t: float, x: np.ndarray, y: np.ndarray, oos: np.ndarray, label: str
    ) -> dict:
        p = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
        answer = p >= t
        stats = {
            "in_scope_answered_right": round(float(np.mean(answer[~oos] & (y[~oos] == 1))), 3),
            "in_scope_abstained": round(float(np.mean(~answer[~oos])), 3),
            "out_of_scope_abstained": round(float(np.mean(~answer[oos])), 3),
        }
        print(f"{label}: {stats}")
        return stats

    x, y, oos = design(in_train, oos_train)
    w = _logistic(x, y)
    p = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
    t = choose_threshold(p, y, oos)
    train_stats = report(w, t, x, y, oos, "train (70%)")
    hx, hy, hoos = design([not m for m in in_train], [not m for m in oos_train])
    held_top1 = top1(share, weights, [not m for m in in_train])
    held_stats = report(w, t, hx, hy, hoos, f"held-out (30%), top-1={held_top1:.3f}")

    # Refit on everything for the shipped values; weights stay as chosen on 70 %.
    ax, ay, aoos = design([True] * len(in_q), [True] * len(oos_q))
    w = _logistic(ax, ay)
    p = 1 / (1 + np.exp(-(w[0] + ax @ w[1:])))
    t = choose_threshold(p, ay, aoos)
    params = RetrievalParams(
        dense_weight=weights["dense"],
        answer_weight=weights["dense_answer"],
        bm25_weight=weights["bm25"],
        bm25_answer_share=share,
        intercept=round(float(w[0]), 4),
        coef_score=round(float(w[1]), 4),
        coef_margin=round(float(w[2]), 4),
        coef_coverage=round(float(w[3]), 4),
        coef_anchor=round(float(w[4]), 4),
        threshold=t,
    )
    header = [
        "# Written by tuning/fit.py; do not edit by hand (rerun the script instead).",
        f"# Fitted {dt.date.today().isoformat()} on tuning/*.jsonl: {len(in_q)} in-scope and",
        f"# {len(oos_q)} out-of-scope queries; never on shared/eval.",
        f"# 70% split: {json.dumps(train_stats)}",
        f"# held-out 30% (top-1 {held_top1:.3f}): {json.dumps(held_stats)}",
    ]
    body = "\n".join(f"{key}: {value}" for key, value in params.model_dump().items())
    OUT.write_text("\n".join(header) + "\n" + body + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {params.model_dump()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
