"""Try query-side changes to the dense signals on the fit questions only (issue 15).

Two ideas, scored by 5-fold cross-validation against the shipped pipeline
computed the same way:

- a linear query adapter: ``q' = normalize(q + A q)`` on the MiniLM query
  vector (the stored entry vectors do not change), ``A`` fitted with numpy
  (Adam, a softmax over each knowledge base's question rows, L2 toward
  ``A = 0``) on RQE **train** label-1 pairs (consumer question -> the FAQ
  question's entry of the MedQuAD + RQE knowledge base) and on the fit
  split of our in-scope questions, mapped to pack and seed-page entries;
- dense pseudo-relevance feedback: ``q' = normalize(q + beta * mean of the
  k nearest entries' question vectors)``.

Cross-validation: every fit question has a fold (a hash of its text). The
adapter scored on fold k was fitted without fold k's questions (RQE train
pairs outside the fit questions are always used). Fusion weights are those
of ``content/retrieval.yaml`` unless ``--refit-weights``; the confidence is
cross-validated as in ``fit_variants.py`` over the same folds. Nothing here
reads ``../shared/eval`` or the RQE test split.

Run: ``.venv/bin/python tuning/try_query_adapter.py [--cache FILE]``;
``--write`` fits the adapter on every fit question and writes it to
``content/query_adapter.npz``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fit  # noqa: E402
import fit_variants  # noqa: E402
from benchmarks.quality_sets import SHARED, _rqe_id, _SPACE_PUNCT  # noqa: E402

from backcare import load_pack  # noqa: E402
from backcare.retrieval.background import BACKGROUND  # noqa: E402
from backcare.retrieval.calibration import own_sample  # noqa: E402
from backcare.retrieval.retriever import HybridRetriever  # noqa: E402
from backcare.service import prepare_query  # noqa: E402

GROUPS = ("in", "oos", "bg", "own")


def fold_of(text: str) -> int:
    """A stable fold (0-4) from the question's text."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 5


@dataclass
class RawQ:
    """One question as the retriever sees it before the dense step."""

    text: str
    vecs: np.ndarray  # (1 or 2, dim): whole message, then its question sentence
    bm25_q: np.ndarray
    bm25_a: np.ndarray
    coverage: float
    anchor: float
    ok: frozenset[int] | None


@dataclass
class RawKB:
    name: str
    qv: np.ndarray  # every question row, float32
    starts: np.ndarray
    av: np.ndarray
    groups: dict[str, list[RawQ]] = field(default_factory=dict)


class _Recorder:
    """Wraps the encoder and keeps the vectors the retriever asked for."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self.dim = encoder.dim
        self.seen: list[np.ndarray] = []
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts, **kw):
        return self.encoder.encode(texts, **kw)

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self._memo:
            self._memo[text] = np.asarray(self.encoder.encode_query(text), dtype=np.float32)
        self.seen.append(self._memo[text])
        return self._memo[text]


def collect_raw(names: list[str]) -> tuple[list[RawKB], list[Pair]]:
    encoder, built = fit.suites(names)
    rec = _Recorder(encoder)
    params = load_pack().params
    out = []
    pairs: list[Pair] = []
    for suite in built:
        kb = suite.kb
        only_q = HybridRetriever(kb, rec, params.model_copy(update={"bm25_answer_share": 0}))
        only_a = HybridRetriever(kb, rec, params.model_copy(update={"bm25_answer_share": 1}))
        position = {entry_id: n for n, entry_id in enumerate(kb.ids)}
        raw = RawKB(
            suite.name,
            kb.question_rows(np.arange(len(kb.question_vectors))),
            np.asarray(kb.question_starts),
            kb.answer_rows(np.arange(len(kb))),
        )
        texts = {
            "in": [(c.q, c.ok) for c in suite.fit_in],
            "oos": [(q, None) for q in suite.fit_oos],
            "bg": [(q, None) for q in BACKGROUND],
            "own": [(kb.entries[i].question, None) for i in own_sample(len(kb))],
        }
        for group, items in texts.items():
            rows = []
            for q, ok in items:
                text = prepare_query(q)
                rec.seen = []
                sq = only_q.signals(text)
                vecs = np.stack(rec.seen)
                sa = only_a.signals(text)
                right = None if ok is None else frozenset(position[i] for i in ok if i in position)
                rows.append(
                    RawQ(
                        q,
                        vecs,
                        sq.signals["bm25"].astype(np.float32),
                        sa.signals["bm25"].astype(np.float32),
                        sq.coverage,
                        sq.anchor,
                        right,
                    )
                )
            raw.groups[group] = rows
        print(f"{suite.name}: collected", {g: len(r) for g, r in raw.groups.items()}, flush=True)
        out.append(raw)
        if suite.name == "medquad":
            pairs = rqe_train_pairs(raw, rec, position)
            print(f"{len(pairs)} RQE train pairs", flush=True)
    return out, pairs


# ---------------------------------------------------------------- adapters


def normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def adapt(a: np.ndarray | None, q: np.ndarray) -> np.ndarray:
    """``normalize(q + A q)`` row-wise (identity when ``a`` is None)."""
    if a is None:
        return q
    return normalize(q + q @ a.T)


@dataclass
class Pair:
    """A training query: its vector, its knowledge base, its right question rows."""

    vec: np.ndarray
    kb: str
    rows: np.ndarray
    fold: int  # -1: never held out (not a fit question)


def rqe_train_pairs(medquad: RawKB, rec: _Recorder, kb_ids: dict[str, int]) -> list[Pair]:
    """RQE train label-1 pairs as (consumer question vector, FAQ entry's row)."""
    fit_qs = {r.text for r in medquad.groups["in"]}
    pairs = []
    for line in (SHARED / "data" / "rqe_amia2016.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["split"] != "train" or row["label"] != 1:
            continue
        q2 = _SPACE_PUNCT.sub(r"\1", " ".join(str(row["q2"]).split()))
        entry = kb_ids.get(_rqe_id(q2))
        if entry is None:
            continue
        q1 = str(row["q1"])
        text = prepare_query(q1)
        vec = rec.encode_query(text)
        fold = fold_of(q1) if q1 in fit_qs else -1
        pairs.append(Pair(vec, "medquad", np.array([medquad.starts[entry]]), fold))
    return pairs


def fit_pairs(raws: list[RawKB]) -> list[Pair]:
    """The fit split's in-scope questions of every knowledge base (whole and focus vectors)."""
    pairs = []
    for raw in raws:
        ends = np.append(raw.starts[1:], len(raw.qv))
        for r in raw.groups["in"]:
            rows = np.concatenate([np.arange(raw.starts[i], ends[i]) for i in sorted(r.ok or ())])
            if not len(rows):
                continue
            for vec in r.vecs:
                pairs.append(Pair(vec, raw.name, rows, fold_of(r.text)))
    return pairs


def train_adapter(
    pairs: list[Pair],
    raws: dict[str, RawKB],
    *,
    steps: int = 300,
    lr: float = 2e-3,
    l2: float = 1e-2,
    scale: float = 20.0,
    negatives: int = 2048,
    kb_weight: dict[str, float] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Fit ``A`` (dim x dim) by Adam on a softmax over each knowledge base's question rows.

    Each step takes up to 256 pairs of every knowledge base; a large knowledge
    base's rows are sampled (``negatives``, plus the right ones).
    """
    rng = np.random.default_rng(seed)
    dim = pairs[0].vec.shape[0]
    a = np.zeros((dim, dim), dtype=np.float64)
    m = np.zeros_like(a)
    v = np.zeros_like(a)
    by_kb: dict[str, list[Pair]] = {}
    for p in pairs:
        by_kb.setdefault(p.kb, []).append(p)
    weight = kb_weight or {}
    for step in range(1, steps + 1):
        grad = l2 * a
        for name, items in by_kb.items():
            raw = raws[name]
            chosen = rng.choice(len(items), size=min(256, len(items)), replace=False)
            batch = [items[i] for i in chosen]
            q = np.stack([p.vec for p in batch]).astype(np.float64)
            if len(raw.qv) > negatives:
                sample = rng.choice(len(raw.qv), size=negatives, replace=False)
                cols = np.unique(np.concatenate([sample, *[p.rows for p in batch]]))
            else:
                cols = np.arange(len(raw.qv))
            targets = raw.qv[cols].astype(np.float64)
            index = {int(c): n for n, c in enumerate(cols)}
            positive = np.zeros((len(batch), len(cols)), dtype=bool)
            for n, p in enumerate(batch):
                positive[n, [index[int(r)] for r in p.rows]] = True
            u = q + q @ a.T
            norm = np.linalg.norm(u, axis=1, keepdims=True)
            qa = u / norm
            s = scale * qa @ targets.T
            s -= s.max(axis=1, keepdims=True)
            e = np.exp(s)
            p_all = e / e.sum(axis=1, keepdims=True)
            e_pos = np.where(positive, e, 0.0)
            p_pos = e_pos / e_pos.sum(axis=1, keepdims=True)
            ds = scale * (p_all - p_pos) * (weight.get(name, 1.0) / len(batch))
            dqa = ds @ targets
            du = (dqa - qa * np.sum(qa * dqa, axis=1, keepdims=True)) / norm
            grad = grad + du.T @ q
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        a -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return a.astype(np.float32)


# ---------------------------------------------------------------- samples


def samples(
    raw: RawKB,
    group: str,
    transform: Callable[[RawQ, RawKB], np.ndarray],
) -> list[fit.Sample]:
    """fit.Sample objects with the dense signals recomputed from transformed query vectors."""
    out = []
    for r in raw.groups[group]:
        qs = transform(r, raw)
        # A pair: separate query vectors for the question rows and for the passages.
        qd, qa = qs if isinstance(qs, tuple) else (qs, qs)
        dense = np.max(np.maximum.reduceat(raw.qv @ qd.T, raw.starts, axis=0), axis=1)
        answer = np.max(raw.av @ qa.T, axis=1)
        full = {
            "dense": np.clip(dense, 0, 1),
            "dense_answer": np.clip(answer, 0, 1),
            "bm25_q": r.bm25_q,
            "bm25_a": r.bm25_a,
        }
        keep: set[int] = set()
        for values in full.values():
            k = min(fit.CANDIDATES, len(values))
            keep.update(np.argpartition(-values, k - 1)[:k].tolist())
        keep.update(r.ok or ())
        cands = np.array(sorted(keep))
        out.append(
            fit.Sample(cands, {k: v[cands] for k, v in full.items()}, r.coverage, r.anchor, r.ok)
        )
    return out


def data_for(raws: list[RawKB], transform) -> fit.Data:
    return {raw.name: tuple(samples(raw, g, transform) for g in GROUPS) for raw in raws}  # type: ignore[misc]


def folds_table(raws: list[RawKB], data: fit.Data, weights, share) -> fit.Table:
    """fit.table with the hash folds (so the confidence folds match the adapter's)."""
    t = fit.table(data, weights, share, load_pack().params)
    folds = []
    for raw in raws:
        folds += [fold_of(r.text) for r in raw.groups["in"]]
        folds += [fold_of(r.text) for r in raw.groups["oos"]]
    t.fold = np.array(folds)
    return t


def per_kb_cv(t: fit.Table, floor: float) -> dict[str, dict[str, float]]:
    """Like fit_variants.cross_validate, but each knowledge base gets its own threshold:
    the lowest at which it abstains on ``floor`` of its own off-topic training folds
    (an upper bound for what a per-knowledge-base threshold can buy)."""
    columns = list(range(len(fit.FEATURES)))
    answer = np.zeros(len(t.right), dtype=bool)
    for fold in range(5):
        train = t.fold != fold
        part = fit.Table(
            t.x[train], t.right[train], t.oos[train], t.kb[train], t.weight[train], t.fold[train]
        )
        w, _ = fit.fit_confidence(part, columns, floor)
        p = 1 / (1 + np.exp(-(w[0] + t.x @ w[1:])))
        for kb in np.unique(t.kb):
            mine = train & (t.kb == kb)
            sub = fit.Table(t.x[mine], t.right[mine], t.oos[mine], t.kb[mine], t.weight[mine], t.fold[mine])
            threshold = fit.threshold_for(p[mine], sub, floor)
            held = (~train) & (t.kb == kb)
            answer[held] = p[held] >= threshold
    return fit.figures(t, answer)


def report(label: str, raws: list[RawKB], data: fit.Data, refit: bool) -> dict[str, object]:
    pack = load_pack().params
    if refit:
        weights, share = fit.fit_weights(data)
    else:
        weights = (pack.dense_weight, pack.answer_weight, pack.bm25_weight)
        share = pack.bm25_answer_share
    ranking = {n: fit._ranking_score(d[0], weights, share) for n, d in data.items()}
    t = folds_table(raws, data, weights, share)
    cv = {}
    for floor in (0.97, 0.95):
        cv[floor] = fit_variants.cross_validate(t, list(range(len(fit.FEATURES))), floor)
        cv[f"{floor} per-kb oracle"] = per_kb_cv(t, floor)
    result = {
        "label": label,
        "weights": weights,
        "share": share,
        "top1": {n: round(r[0], 3) for n, r in ranking.items()},
        "mrr": {n: round(r[1], 3) for n, r in ranking.items()},
        "cv": {str(k): v for k, v in cv.items()},
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--kb", default="pack,seed,medquad")
    parser.add_argument("--train-kbs", default="pack,medquad")
    parser.add_argument("--refit-weights", action="store_true")
    parser.add_argument("--only", default="baseline,prf,adapter")
    parser.add_argument("--l2", type=float, nargs="*", default=[1e-2])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        raws, pairs_rqe = pickle.loads(args.cache.read_bytes())
    else:
        raws, pairs_rqe = collect_raw(args.kb.split(","))
        if args.cache:
            args.cache.write_bytes(pickle.dumps((raws, pairs_rqe)))
    by_name = {r.name: r for r in raws}
    only = set(args.only.split(","))
    if "baseline" in only:
        report("shipped (no change)", raws, data_for(raws, lambda r, kb: r.vecs), args.refit_weights)
    if "prf" in only:
        for k, beta in ((3, 0.3), (3, 0.6), (5, 0.5), (1, 0.3)):

            def prf(r: RawQ, kb: RawKB, k=k, beta=beta) -> np.ndarray:
                dense = np.maximum.reduceat(kb.qv @ r.vecs.T, kb.starts, axis=0)  # entries x n
                outs = []
                for j in range(r.vecs.shape[0]):
                    top = np.argpartition(-dense[:, j], min(k, len(dense)) - 1)[:k]
                    centroid = kb.qv[kb.starts[top]].mean(axis=0)
                    outs.append(normalize(r.vecs[j] + beta * centroid))
                return np.stack(outs)

            report(f"prf k={k} beta={beta}", raws, data_for(raws, prf), args.refit_weights)
    if "center" in only:
        # Hubness: a passage near the knowledge base's average question scores high
        # for every query; subtracting gamma * that average from the query removes
        # a per-entry constant (a_e . mean) from the passage signal.
        for gd, ga in ((0.0, 0.3), (0.0, 0.5), (0.0, 0.8), (0.3, 0.3), (0.5, 0.5)):

            def center(r: RawQ, kb: RawKB, gd=gd, ga=ga):
                m = kb.qv.mean(axis=0)
                return r.vecs - gd * m, r.vecs - ga * m

            report(f"center question {gd} passage {ga}", raws, data_for(raws, center), args.refit_weights)
    if "adapter" in only:
        train_kbs = set(args.train_kbs.split(","))
        pairs = [p for p in fit_pairs(raws) + pairs_rqe if p.kb in train_kbs]
        for l2 in args.l2:
            adapters = {}
            for fold in range(5):
                train = [p for p in pairs if p.fold != fold]
                adapters[fold] = train_adapter(train, by_name, l2=l2, steps=args.steps)
            whole = train_adapter(pairs, by_name, l2=l2, steps=args.steps)
            norms = [round(float(np.linalg.norm(a)), 3) for a in adapters.values()]

            def held_out(r: RawQ, kb: RawKB) -> np.ndarray:
                a = adapters[fold_of(r.text)] if r.ok is not None else whole
                return adapt(a, r.vecs)

            report(
                f"adapter l2={l2} steps={args.steps} |A|={norms}",
                raws,
                data_for(raws, held_out),
                args.refit_weights,
            )
            if args.write:
                np.save(args.write, whole)
                print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
