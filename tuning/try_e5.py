"""Try multilingual-e5-small as a further English ranking signal, on fit data only (issue 15).

The cheap trial before any wiring: for every fit question of the three
knowledge bases (``tuning/fit.py``'s, never ``../shared/eval`` or the RQE
test split), take the current blend's top ``K`` candidates, score them with
e5 (``query: `` + the question against ``passage: `` + an entry text) and
compare, per knowledge base:

- the ranking (top-1, MRR@10) of the current blend, of blend + ``w``·e5 for a
  grid of ``w`` and entry texts, and of e5 alone over the same candidates;
  the ``w`` chosen on four folds and scored on the fifth, in turn, too;
- answered-and-correct and abstentions, 5-fold cross-validated exactly as
  ``tuning/fit_variants.py`` does, with the fused score that includes e5
  (recalibrated per knowledge base from its background and own questions),
  and with e5's top-entry similarity as a sixth confidence feature.

Entry texts: ``q`` (the best of the entry's question and alternates), ``qa``
(its question then the head of its answer, as the MiniLM passage but cut to
``QA_CHARS``), and ``max`` of the two. e5 vectors are cached under
``--cache-dir`` so reruns only redo the arithmetic.

Run: ``.venv/bin/python tuning/try_e5.py --signals FILE`` where FILE is the
pickle ``tuning/fit_variants.py --cache FILE`` writes (the knowledge bases
are reopened from ``benchmarks/quality_sets.py``'s cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fit  # noqa: E402
import fit_variants  # noqa: E402
from benchmarks.quality_sets import suites  # noqa: E402

from backcare import load_pack  # noqa: E402
from backcare.retrieval.multilingual import MultilingualEncoder, multilingual_model_built  # noqa: E402
from backcare.retrieval.retriever import focus_sentence  # noqa: E402
from backcare.service import prepare_query  # noqa: E402
from backcare.settings import Settings  # noqa: E402

K = 20
# The passage text is cut here: e5 reads up to 512 word pieces, and its cost
# grows with them; 600 characters is about 130 pieces of English prose.
QA_CHARS = 600
W_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
TEXTS = ("q", "qa", "max")


@dataclass
class E5Sample(fit.Sample):
    """A fit sample whose fused score adds ``w``·e5 on its top-``K`` candidates."""

    e5: np.ndarray  # 0 outside the top K: those never rise above a top-K entry
    w: float

    def fused(self, weights: tuple[float, float, float], share: float) -> np.ndarray:
        return super().fused(weights, share) + self.w * self.e5


def _query_text(sample_text: str) -> str:
    return prepare_query(sample_text)


class E5Cache:
    """e5 vectors of queries and entry texts, kept in one npz per kind."""

    def __init__(self, folder: Path, encoder: MultilingualEncoder) -> None:
        self.folder = folder
        self.encoder = encoder
        folder.mkdir(parents=True, exist_ok=True)
        self.store: dict[str, dict[str, np.ndarray]] = {}

    def _load(self, kind: str) -> dict[str, np.ndarray]:
        if kind not in self.store:
            path = self.folder / f"{kind}.npz"
            for _ in range(10):
                try:
                    self.store[kind] = dict(np.load(path)) if path.exists() else {}
                    break
                except (zipfile.BadZipFile, EOFError, ValueError):
                    time.sleep(5)  # another run is writing it
            else:
                raise SystemExit(f"cannot read {path}")
        return self.store[kind]

    def save(self) -> None:
        # Written aside, then renamed: a run reading the cache meanwhile sees a whole file.
        for kind, vectors in self.store.items():
            part = self.folder / f"{kind}.part.npz"
            np.savez(part, **vectors)
            part.replace(self.folder / f"{kind}.npz")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def queries(self, texts: list[str]) -> dict[str, np.ndarray]:
        store = self._load("query")
        for text in texts:
            k = self.key(text)
            if k not in store:
                store[k] = self.encoder.encode_query(text)
        return {t: store[self.key(t)] for t in texts}

    def passages(self, texts: list[str]) -> dict[str, np.ndarray]:
        store = self._load("passage")
        # Similar lengths together, so batches carry little padding.
        todo = sorted(dict.fromkeys(t for t in texts if self.key(t) not in store), key=len)
        started = time.perf_counter()
        for n in range(0, len(todo), 256):
            chunk = todo[n : n + 256]
            for text, vector in zip(chunk, self.encoder.encode_passages(chunk), strict=True):
                store[self.key(text)] = vector
            print(
                f"  e5 passages {n + len(chunk)}/{len(todo)} "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            self.save()
        return {t: store[self.key(t)] for t in texts}


def entry_texts(entry) -> dict[str, list[str]]:
    texts = {"q": list(entry.questions()), "qa": [f"{entry.question} {entry.answer}"[:QA_CHARS]]}
    return {kind: texts[kind] for kind in ("q", "qa") if kind in TEXTS}


def attach_e5(
    data: fit.Data, built, cache: E5Cache, raw_texts
) -> dict[str, list[dict[str, np.ndarray]]]:
    """Per knowledge base, per sample (in data order), e5 scores of each text kind over its
    candidates (0 outside the current blend's top K)."""
    shipped = load_pack().params
    weights = (shipped.dense_weight, shipped.answer_weight, shipped.bm25_weight)
    share = shipped.bm25_answer_share
    out: dict[str, list[dict[str, np.ndarray]]] = {}
    for suite in built:
        samples = [s for group in data[suite.name] for s in group]
        texts = raw_texts[suite.name]
        assert len(texts) == len(samples)
        tops = []
        for sample in samples:
            fused = sample.fused(weights, share)
            k = min(K, len(fused))
            tops.append(np.argsort(-fused, kind="stable")[:k])
        pairs = zip(samples, tops, strict=True)
        needed = sorted({int(s.candidates[i]) for s, top in pairs for i in top})
        per_entry = {i: entry_texts(suite.kb.entries[i]) for i in needed}
        print(
            f"{suite.name}: {len(samples)} questions, {len(needed)} candidate entries", flush=True
        )
        passages = cache.passages([t for e in per_entry.values() for ts in e.values() for t in ts])
        queries = [_query_text(t) for t in texts]
        focus = [focus_sentence(q) for q in queries]
        qv = cache.queries([*queries, *(f for f in focus if f)])
        rows = []
        for sample, top, q, f in zip(samples, tops, queries, focus, strict=True):
            vectors = [qv[q]] + ([qv[f]] if f else [])
            scores = {kind: np.zeros(len(sample.candidates), dtype=np.float32) for kind in TEXTS}
            for i in top:
                entry = per_entry[int(sample.candidates[i])]
                best = {
                    kind: max(float(v @ passages[t]) for v in vectors for t in texts)
                    for kind, texts in entry.items()
                }
                for kind, value in best.items():
                    scores[kind][i] = value
                if "max" in scores:
                    scores["max"][i] = max(best.values())
            rows.append(scores)
        out[suite.name] = rows
        cache.save()
    return out


def with_e5(
    data: fit.Data, e5: dict[str, list[dict[str, np.ndarray]]], kind: str, w: float
) -> fit.Data:
    """The data with every sample's fused score raised by ``w``·e5 (entry text ``kind``)."""
    new: fit.Data = {}
    for name, groups in data.items():
        flat = iter(e5[name])
        new[name] = tuple(  # type: ignore[assignment]
            [
                E5Sample(s.candidates, s.signals, s.coverage, s.anchor, s.ok, next(flat)[kind], w)
                for s in group
            ]
            for group in groups
        )
    return new


def e5_alone(data: fit.Data, e5, kind: str) -> fit.Data:
    """e5 as the only ranker over the top K (the blend only breaks exact ties)."""
    return with_e5(data, e5, kind, 1000.0)


def ranking(
    data: fit.Data, weights, share, folds: int | None = None
) -> dict[str, tuple[float, float]]:
    """Top-1 and MRR@10 over the in-scope fit questions (those of one fold when given)."""
    out = {}
    for name, d in data.items():
        samples = d[0] if folds is None else [s for n, s in enumerate(d[0]) if n % 5 == folds]
        out[name] = fit._ranking_score(samples, weights, share)
    return out


def e5_feature_column(data: fit.Data, weights, share) -> np.ndarray:
    """e5 similarity of the top entry, on each knowledge base's own scale (background 0,
    own questions 1), in ``fit.table``'s row order."""
    values = []
    for name, (fit_in, fit_oos, background, own) in data.items():

        def top_e5(s: E5Sample) -> float:
            fused = s.fused(weights, share)
            return float(s.e5[int(np.argmax(fused))])

        low = float(np.mean([top_e5(s) for s in background]))
        high = float(np.mean([top_e5(s) for s in own]))
        for group in (fit_in, fit_oos):
            values.extend((top_e5(s) - low) / max(high - low, 1e-3) for s in group)
        del name
    return np.array(values)


def confidence_cv(data: fit.Data, weights, share, *, e5_feature: bool, floor: float):
    params = fit.blend_params(weights, share)
    t = fit.table(data, weights, share, params)
    columns = list(range(len(fit.FEATURES)))
    if e5_feature:
        t = fit.Table(
            np.hstack([t.x, e5_feature_column(data, weights, share)[:, None]]),
            t.right,
            t.oos,
            t.kb,
            t.weight,
            t.fold,
        )
        columns.append(len(fit.FEATURES))
    return fit_variants.cross_validate(t, columns, floor)


def refit_blend(data: fit.Data, share: float) -> dict[str, object]:
    """The base blend's best weights (share fixed) with e5 added, on all fit questions."""
    grid = [round(0.05 * i, 2) for i in range(21)]
    best: tuple[float, tuple[float, float, float]] = (-1.0, (0.0, 0.0, 1.0))
    for wd in grid:
        for wa in grid:
            wb = round(1.0 - wd - wa, 3)
            if wb < 0:
                continue
            obj = float(
                np.mean([sum(fit._ranking_score(d[0], (wd, wa, wb), share)) for d in data.values()])
            )
            if obj > best[0] + 1e-9:
                best = (obj, (wd, wa, wb))
    return {"weights": best[1], "top1_mrr": ranking(data, best[1], share)}


def cascade(data: fit.Data, e5, kind: str, w: float, weights, share) -> dict[str, object]:
    """Top-1 and the share of questions rescored when e5 runs only below a calibrated margin."""
    out: dict[str, object] = {}
    for margin in (0.05, 0.1, 0.2, 0.3, 0.5, 1.0):
        row = {}
        for name, (fit_in, fit_oos, background, own) in data.items():
            low = np.mean([b.fused(weights, share).max() for b in background])
            spread = max(np.mean([o.fused(weights, share).max() for o in own]) - low, 0.05)
            flat = iter(e5[name])
            hits = rescored = total = 0
            for group, oos in ((fit_in, False), (fit_oos, True)):
                for sample in group:
                    extra = next(flat)[kind]
                    fused = sample.fused(weights, share)
                    top2 = np.sort(fused)[-2:]
                    small = (top2[-1] - top2[0]) / spread < margin
                    total += 1
                    rescored += small
                    if not oos:
                        final = fused + w * extra if small else fused
                        best = int(sample.candidates[int(np.argmax(final))])
                        hits += best in sample.ok
            row[name] = {
                "top1": round(hits / len(fit_in), 3),
                "rescored": round(rescored / total, 3),
            }
        out[f"margin < {margin}"] = row
        print(f"cascade, margin < {margin}:", row, flush=True)
    return out


def encode_cost(encoder: MultilingualEncoder, minilm, raw_texts) -> dict[str, tuple[float, float]]:
    """p50 and p90 (ms) of one e5 and one MiniLM query encode, interleaved so both see the
    same machine load, over up to 300 distinct fit questions (uncached encodes)."""
    texts = list(dict.fromkeys(prepare_query(t) for ts in raw_texts.values() for t in ts))[:300]
    encoder.encode_query("warm up")
    minilm.encode_query("warm up")
    times: dict[str, list[float]] = {"e5 int8": [], "minilm": []}
    for text in texts:
        started = time.perf_counter()
        encoder._runner._encode_one("query: " + text)
        middle = time.perf_counter()
        minilm._encode_one(text)
        times["e5 int8"].append((middle - started) * 1000)
        times["minilm"].append((time.perf_counter() - middle) * 1000)
    out = {
        name: (round(float(np.percentile(t, 50)), 2), round(float(np.percentile(t, 90)), 2))
        for name, t in times.items()
    }
    print(f"query encode (p50, p90) ms over {len(texts)}: {out}", flush=True)
    return out


def main() -> int:
    global K, QA_CHARS, TEXTS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/backcare-e5-trial"))
    parser.add_argument("--out", type=Path, help="write every figure here as JSON")
    parser.add_argument("--k", type=int, default=K, help="candidates rescored per question")
    parser.add_argument("--qa-chars", type=int, default=QA_CHARS)
    parser.add_argument(
        "--only-q", action="store_true", help="score the entries' questions only (no passages)"
    )
    args = parser.parse_args()
    K, QA_CHARS = args.k, args.qa_chars
    if args.only_q:
        TEXTS = ("q",)
    data: fit.Data = pickle.loads(args.signals.read_bytes())
    encoder, built = suites(tuple(data))
    from backcare.retrieval.background import BACKGROUND
    from backcare.retrieval.calibration import own_sample

    raw_texts = {}
    for suite in built:
        own = [suite.kb.entries[i].question for i in own_sample(len(suite.kb))]
        raw_texts[suite.name] = [
            *(c.q for c in suite.fit_in),
            *suite.fit_oos,
            *BACKGROUND,
            *own,
        ]
    settings = Settings()
    model_dir = multilingual_model_built(settings.model_dir)
    if model_dir is None:
        raise SystemExit("the multilingual encoder is not built")
    e5enc = MultilingualEncoder.load(model_dir, threads=settings.threads, variant="int8")
    cache = E5Cache(args.cache_dir, e5enc)
    e5 = attach_e5(data, built, cache, raw_texts)

    shipped = load_pack().params
    weights = (shipped.dense_weight, shipped.answer_weight, shipped.bm25_weight)
    share = shipped.bm25_answer_share
    report: dict[str, object] = {}
    base = ranking(data, weights, share)
    report["current blend"] = base
    print("current blend (top-1, MRR):", base)
    for kind in TEXTS:
        alone = ranking(e5_alone(data, e5, kind), weights, share)
        report[f"e5 alone ({kind})"] = alone
        print(f"e5 alone ({kind}):", alone)
    grid = {}
    for kind in TEXTS:
        for w in W_GRID[1:]:
            r = ranking(with_e5(data, e5, kind, w), weights, share)
            grid[(kind, w)] = r
            report[f"blend + {w} e5 ({kind})"] = r
            print(
                f"blend + {w}·e5 ({kind}):",
                {n: (round(a, 3), round(b, 3)) for n, (a, b) in r.items()},
                flush=True,
            )
    # w chosen on four folds (mean top-1 + MRR over the knowledge bases), scored on the fifth.
    cv_hits: dict[str, list[float]] = {n: [] for n in data}
    chosen = []
    for fold in range(5):
        best = None
        for kind in TEXTS:
            for w in W_GRID:
                d = with_e5(data, e5, kind, w)
                train = {
                    n: ([s for i, s in enumerate(g[0]) if i % 5 != fold], *g[1:])
                    for n, g in d.items()
                }
                obj = np.mean(
                    [sum(fit._ranking_score(g[0], weights, share)) for g in train.values()]
                )
                if best is None or obj > best[0] + 1e-9:
                    best = (obj, kind, w)
        chosen.append(best[1:])
        d = with_e5(data, e5, best[1], best[2])
        for n, g in d.items():
            held = [s for i, s in enumerate(g[0]) if i % 5 == fold]
            cv_hits[n].append(fit._ranking_score(held, weights, share)[0] * len(held))
    cv_top1 = {n: sum(v) / len(data[n][0]) for n, v in cv_hits.items()}
    report["cv choice"] = {"chosen": chosen, "top1": cv_top1}
    print("w chosen per fold:", chosen, "held-out top-1:", cv_top1, flush=True)

    # The blend was fitted without e5: refit its weights with e5 in (in-sample, an upper bound).
    kind, w = max(set(chosen), key=chosen.count)
    joint = refit_blend(with_e5(data, e5, kind, w), share)
    report["blend refitted with e5"] = {"kind": kind, "w": w, **joint}
    print(f"blend refitted with {w}·e5 ({kind}):", joint, flush=True)
    # A cascade: rescore with e5 only where the blend's calibrated margin is small.
    report["cascade"] = cascade(data, e5, kind, w, weights, share)
    # What one English question's e5 encode costs (int8, as queries run).
    report["query encode ms (p50, p90)"] = encode_cost(e5enc, encoder, raw_texts)

    # Confidence: cross-validated answered-and-correct for the base and a few e5 blends.
    conf = {}
    candidates = [("none", 0.0)] + sorted(
        {
            max(
                ((k, w) for (k, w) in grid if k == kind),
                key=lambda kw: np.mean([grid[kw][n][0] for n in data]),
            )
            for kind in TEXTS
        }
    )
    for kind, w in candidates:
        d = with_e5(data, e5, "q" if kind == "none" else kind, w)
        for floor in (0.97, 0.95):
            for feature in (False, True):
                if kind == "none" and feature:
                    continue
                label = f"{kind} w={w} floor {floor}{' + e5 feature' if feature else ''}"
                conf[label] = confidence_cv(d, weights, share, e5_feature=feature, floor=floor)
                print("confidence", label, conf[label], flush=True)
    # e5 as a confidence feature alone (ranking unchanged).
    for kind in TEXTS:
        d = with_e5(data, e5, kind, 1e-9)
        label = f"ranking unchanged, e5 ({kind}) feature, floor 0.97"
        conf[label] = confidence_cv(d, weights, share, e5_feature=True, floor=0.97)
        print("confidence", label, conf[label], flush=True)
    report["confidence"] = conf
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
