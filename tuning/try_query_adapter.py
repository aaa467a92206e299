"""Try query-side changes and per-knowledge-base thresholds on the fit questions only (issue 15).

Scored by 5-fold cross-validation against the shipped pipeline computed the
same way (``baseline``):

- ``adapter``: a linear query adapter, ``q' = normalize(q + A q)`` on the
  MiniLM query vector (the stored entry vectors do not change), ``A``
  (384 x 384) fitted with numpy (Adam; a softmax over each knowledge base's
  question rows, 2,048 sampled for MedQuAD; L2 toward ``A = 0``) on the RQE
  **train** label-1 pairs (consumer question -> its FAQ question's entry in
  the MedQuAD + RQE knowledge base) and the fit split of our in-scope
  questions mapped to pack entries (``--train-kbs``; the seed page is not
  trained on, so its figures show transfer). With ``--null C`` the softmax
  has a "none of these" column at cosine C, and the fit split's off-topic
  questions are trained towards it: without it, top-1 rose but
  answered-and-correct fell, because off-topic questions were pulled
  towards the entries too;
- ``prf``: dense pseudo-relevance feedback, ``q' = normalize(q + beta *
  mean of the k nearest entries' question vectors)``;
- ``center``: subtracting a share of the knowledge base's mean question
  vector from the query (a per-entry "hub" term off the passage signal);
- in every report, per-knowledge-base thresholds from the calibration's
  background questions (``abstain.kb_threshold``) beside the shared one.

Cross-validation: every fit question has a fold (a hash of its text); the
adapter that scores fold k was fitted without fold k's questions, in-scope
and off-topic (RQE train pairs outside the fit questions are always used).
Fusion weights are those of ``content/retrieval.yaml`` unless
``--refit-weights``; the confidence is cross-validated as in
``fit_variants.py`` over the same folds. Nothing here reads
``../shared/eval`` or the RQE test split.

Run: ``.venv/bin/python tuning/try_query_adapter.py [--cache FILE]`` (the
cache keeps the encoded fit questions and BM25 scores for reruns). The
shipped adapter came from ``--only adapter --l2 0.1 --steps 200 --null 0.6
--refit-weights --write``: ``--write`` saves the adapter fitted on every
pair to ``content/query_adapter.npy`` and refits ``content/retrieval.yaml``
(``fit.fit_and_write``) on the *out-of-fold* adapted signals, so the
confidence learns the scores unseen questions get, not those of the
adapter's own training questions.
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
from benchmarks.quality_sets import _SPACE_PUNCT, SHARED, _rqe_id  # noqa: E402

from backcare import load_pack  # noqa: E402
from backcare.retrieval.background import BACKGROUND  # noqa: E402
from backcare.retrieval.calibration import own_sample  # noqa: E402
from backcare.retrieval.retriever import HybridRetriever  # noqa: E402
from backcare.service import prepare_query  # noqa: E402

GROUPS = ("in", "oos", "bg", "own")
LOO_LEVELS = (0.5, 0.75, 0.9, 1.0)


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
    off_topic: list[Pair] = (),  # type: ignore[assignment]
    null: float | None = None,
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
    for p in [*pairs, *off_topic]:
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
                cols = np.unique(np.concatenate([sample, *[p.rows for p in batch if len(p.rows)]]))
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
            if null is not None:
                # A "none of these" column at a fixed cosine: off-topic questions
                # (no right row) learn to stay below it, answerable ones above it.
                s = np.hstack([s, np.full((len(batch), 1), scale * null)])
                positive = np.hstack([positive, np.zeros((len(batch), 1), dtype=bool)])
                none = ~positive.any(axis=1)
                positive[none, -1] = True
            s -= s.max(axis=1, keepdims=True)
            e = np.exp(s)
            p_all = e / e.sum(axis=1, keepdims=True)
            e_pos = np.where(positive, e, 0.0)
            p_pos = e_pos / e_pos.sum(axis=1, keepdims=True)
            ds = scale * (p_all - p_pos) * (weight.get(name, 1.0) / len(batch))
            if null is not None:
                ds = ds[:, :-1]
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
            sub = fit.Table(
                t.x[mine], t.right[mine], t.oos[mine], t.kb[mine], t.weight[mine], t.fold[mine]
            )
            threshold = fit.threshold_for(p[mine], sub, floor)
            held = (~train) & (t.kb == kb)
            answer[held] = p[held] >= threshold
    return fit.figures(t, answer)


def loo_features(raws: list[RawKB], data: fit.Data, weights, share) -> dict[str, np.ndarray]:
    """Per knowledge base, the features of each own question asked with its own entry
    left out: how a question of this knowledge base's kind scores when the answer is
    missing (what a per-knowledge-base threshold can be set from at ingest time)."""
    params = load_pack().params
    out = {}
    for raw in raws:
        _, _, background, own = data[raw.name]
        cal = calibration_of(background, own, weights, share, params)
        rows = []
        for index, sample in zip(own_sample(len(raw.starts)), own, strict=True):
            fused = sample.fused(weights, share)
            fused = np.where(sample.candidates == index, -1.0, fused)
            order = np.argsort(-fused, kind="stable")
            best, second = float(fused[order[0]]), float(fused[order[1]])
            dense = np.where(sample.candidates == index, 0.0, sample.signals["dense"])
            rows.append(
                [
                    (best - cal.mean) / cal.spread,
                    (best - second) / cal.spread,
                    sample.coverage,
                    sample.anchor,
                    cal.scaled_relevance(fit.relevance_of(dense)),
                ]
            )
        out[raw.name] = np.array(rows)
    return out


def calibration_of(background, own, weights, share, params):
    from backcare.retrieval.calibration import from_scores

    return from_scores(
        [float(b.fused(weights, share).max()) for b in background],
        params,
        [float(o.fused(weights, share).max()) for o in own],
        background_relevance=[b.relevance for b in background],
        own_relevance=[o.relevance for o in own],
    )


def loo_cv(
    t: fit.Table, loo: dict[str, np.ndarray], floor: float, level: float, margin: float = 0.0
):
    """Cross-validated figures with per-knowledge-base thresholds
    ``min(global, quantile(level) of the leave-one-out confidences + margin)``."""
    columns = list(range(len(fit.FEATURES)))
    answer = np.zeros(len(t.right), dtype=bool)
    chosen = {}
    for fold in range(5):
        train = t.fold != fold
        part = fit.Table(
            t.x[train], t.right[train], t.oos[train], t.kb[train], t.weight[train], t.fold[train]
        )
        w, threshold = fit.fit_confidence(part, columns, floor)
        p = 1 / (1 + np.exp(-(w[0] + t.x @ w[1:])))
        for kb in np.unique(t.kb):
            conf = 1 / (1 + np.exp(-(w[0] + loo[str(kb)] @ w[1:])))
            mine = min(threshold, float(np.quantile(conf, level)) + margin)
            chosen.setdefault(str(kb), []).append(round(mine, 3))
            held = (~train) & (t.kb == kb)
            answer[held] = p[held] >= mine
    figures = fit.figures(t, answer)
    for kb, values in chosen.items():
        figures[kb]["thresholds"] = values  # type: ignore[assignment]
    return figures


def background_features(data: fit.Data, weights, share) -> dict[str, np.ndarray]:
    """Per knowledge base, the features of its calibration's background questions."""
    params = load_pack().params
    out = {}
    for name, (_, _, background, own) in data.items():
        cal = calibration_of(background, own, weights, share, params)
        out[name] = np.array([fit._features(b, weights, share, cal)[0] for b in background])
    return out


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def background_thresholds(
    w: np.ndarray, bg: dict[str, np.ndarray], level: float, delta: float, cap: float
) -> dict[str, float]:
    """``min(cap, sigmoid(logit(quantile(level) of the background confidences) + delta))``."""
    out = {}
    for kb, x in bg.items():
        conf = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
        z = float(logit(float(np.quantile(conf, level)))) + delta
        out[kb] = min(cap, 1 / (1 + np.exp(-z)))
    return out


def fit_delta(p: np.ndarray, t: fit.Table, w, bg, level: float, floor: float, cap: float) -> float:
    """The smallest delta at which every knowledge base keeps ``floor`` off-topic abstention."""
    for delta in np.arange(0.0, 8.0, 0.05):
        th = background_thresholds(w, bg, level, float(delta), cap)
        ok = all(np.mean(p[(t.kb == kb) & t.oos] < th[str(kb)]) >= floor for kb in np.unique(t.kb))
        if ok:
            return float(delta)
    return 8.0


def background_cv(t: fit.Table, bg: dict[str, np.ndarray], floor: float, level: float):
    """CV figures with per-knowledge-base thresholds from the background (``fit_delta``)."""
    columns = list(range(len(fit.FEATURES)))
    answer = np.zeros(len(t.right), dtype=bool)
    chosen: dict[str, list[float]] = {}
    for fold in range(5):
        train = t.fold != fold
        part = fit.Table(
            t.x[train], t.right[train], t.oos[train], t.kb[train], t.weight[train], t.fold[train]
        )
        w, threshold = fit.fit_confidence(part, columns, floor)
        p = 1 / (1 + np.exp(-(w[0] + t.x @ w[1:])))
        delta = fit_delta(p[train], part, w, bg, level, floor, threshold)
        th = background_thresholds(w, bg, level, delta, threshold)
        for kb in np.unique(t.kb):
            chosen.setdefault(str(kb), []).append(round(th[str(kb)], 3))
            held = (~train) & (t.kb == kb)
            answer[held] = p[held] >= th[str(kb)]
    figures = fit.figures(t, answer)
    for kb, values in chosen.items():
        figures[kb]["thresholds"] = values  # type: ignore[assignment]
    return figures


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
    bg = background_features(data, weights, share)
    for level in (0.5, 0.9):
        for floor in (0.97, 0.95):
            cv[f"{floor} background q{level}"] = background_cv(t, bg, floor, level)
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


ADAPTER = HERE.parent / "content" / "query_adapter.npy"


def write(whole: np.ndarray, raws: list[RawKB], held_out, l2: float, args) -> None:
    """Ship the adapter fitted on every pair, and refit retrieval.yaml on the
    *held-out* adapted signals (each fit question scored by an adapter fitted
    without its fold), so the confidence learns scores as unseen questions get them."""
    np.save(ADAPTER, whole.astype(np.float32))
    sha = hashlib.sha256(ADAPTER.read_bytes()).hexdigest()
    print(f"wrote {ADAPTER} sha256 {sha}", flush=True)
    base = load_pack().params.model_copy(
        update={"query_adapter": ADAPTER.name, "query_adapter_sha256": sha}
    )
    note = (
        f"Query adapter {ADAPTER.name} (tuning/try_query_adapter.py: l2 {l2}, "
        f"{args.steps} steps, none-column cosine {args.null}, trained on {args.train_kbs}); "
        "fitted on out-of-fold adapted signals (5 folds by question hash)."
    )
    fit.fit_and_write(data_for(raws, held_out), base, note)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--kb", default="pack,seed,medquad")
    parser.add_argument("--train-kbs", default="pack,medquad")
    parser.add_argument("--refit-weights", action="store_true")
    parser.add_argument("--only", default="baseline,prf,adapter")
    parser.add_argument("--l2", type=float, nargs="*", default=[1e-2])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--null", type=float)
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
        report(
            "shipped (no change)", raws, data_for(raws, lambda r, kb: r.vecs), args.refit_weights
        )
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

            report(
                f"center question {gd} passage {ga}",
                raws,
                data_for(raws, center),
                args.refit_weights,
            )
    if "adapter" in only:
        train_kbs = set(args.train_kbs.split(","))
        pairs = [p for p in fit_pairs(raws) + pairs_rqe if p.kb in train_kbs]
        off = []
        if args.null is not None:
            for raw in raws:
                if raw.name in train_kbs:
                    for r in raw.groups["oos"]:
                        for vec in r.vecs:
                            off.append(
                                Pair(vec, raw.name, np.zeros(0, dtype=np.int64), fold_of(r.text))
                            )
        for l2 in args.l2:
            adapters = {}
            for fold in range(5):
                train = [p for p in pairs if p.fold != fold]
                adapters[fold] = train_adapter(
                    train,
                    by_name,
                    l2=l2,
                    steps=args.steps,
                    off_topic=[p for p in off if p.fold != fold],
                    null=args.null,
                )
            whole = train_adapter(
                pairs, by_name, l2=l2, steps=args.steps, off_topic=off, null=args.null
            )
            norms = [round(float(np.linalg.norm(a)), 3) for a in adapters.values()]

            oos_texts = {r.text for raw in raws for r in raw.groups["oos"]}

            def held_out(
                r: RawQ, kb: RawKB, adapters=adapters, whole=whole, oos_texts=oos_texts
            ) -> np.ndarray:
                held = r.ok is not None or r.text in oos_texts
                a = adapters[fold_of(r.text)] if held else whole
                return adapt(a, r.vecs)

            report(
                f"adapter l2={l2} steps={args.steps} null={args.null} "
                f"train={args.train_kbs} |A|={norms}",
                raws,
                data_for(raws, held_out),
                args.refit_weights,
            )
            if args.write:
                write(whole, raws, held_out, l2, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
