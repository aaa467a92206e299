"""e5 against MiniLM on the MedQuAD + RQE fit questions, passages only for candidates (issue 15).

``tuning/try_e5.py`` needs the benchmark's MedQuAD knowledge base, whose
MiniLM passage vectors (21,182 passages of up to 256 word pieces) took 23
minutes to build and could not be rebuilt in the time this trial had on the
shared machine. The question-level signals are cheap, so this script
compares them on the same fit questions (the RQE *train*
consumer messages whose FAQ question is not a near-copy,
``quality_sets.RQE_FIT_MAX_OVERLAP``; never the RQE test split):

- MiniLM cosine over the entries' questions alone (the ``dense`` signal, ≈
  the benchmark's ``minilm_q``) over every entry, and e5 cosine alone over
  the union of the top ``K`` of MiniLM, of BM25 and of the blend below;
- the blend without its passage signal (``dense``·MiniLM + BM25, weights
  grid-searched here on these questions) with and without ``w``·e5 added over
  its top ``K``, and with e5 in place of MiniLM;
- with ``--passages``, the shipped blend itself, its passage signal computed
  for those candidates only (an entry outside them scores 0 there), with and
  without ``w``·e5.

Top-1 and MRR@10 per variant; the fits are in-sample (an upper bound), and
the ``w`` for e5 is also chosen on four folds and scored on the fifth.

Run: ``.venv/bin/python tuning/try_e5_medquad.py --cache-dir DIR`` (vectors
are cached in DIR; the e5 entry vectors share ``try_e5.py``'s cache).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import try_e5  # noqa: E402
from benchmarks import quality_sets as qs  # noqa: E402

from backcare import default_encoder, load_pack  # noqa: E402
from backcare.retrieval.dense import HashingEncoder  # noqa: E402
from backcare.retrieval.kbase import KnowledgeBase, answer_for_vector  # noqa: E402
from backcare.retrieval.multilingual import MultilingualEncoder, multilingual_model_built  # noqa: E402
from backcare.retrieval.retriever import HybridRetriever, focus_sentence  # noqa: E402
from backcare.service import prepare_query  # noqa: E402
from backcare.settings import Settings  # noqa: E402

K = 20
W_GRID = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def fit_cases() -> list[qs.Case]:
    """The MedQuAD suite's in-scope fit questions, as ``quality_sets.medquad_suite`` picks them."""
    train = qs._rqe_cases("train", qs.RQE_FIT_MAX_OVERLAP)
    train.sort(key=lambda case: hashlib.sha256(case.q.encode()).hexdigest())
    return train[: qs.RQE_FIT_QUERIES]


def cached_vectors(path: Path, texts: list[str], encode) -> np.ndarray:
    """``encode(texts)``, kept in ``path`` (keyed by the texts' digest)."""
    digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()
    if path.exists():
        stored = np.load(path)
        if str(stored["digest"]) == digest:
            return stored["vectors"]
    vectors = np.asarray(encode(texts), dtype=np.float32)
    np.savez(path, vectors=vectors, digest=digest)
    return vectors


def dense_best(query_vectors: list[np.ndarray], entry_vectors: np.ndarray) -> np.ndarray:
    """Per entry, the better cosine of the message and its question sentence."""
    return np.max(np.stack([entry_vectors @ v for v in query_vectors]), axis=0)


def rank_scores(scores: list[np.ndarray], ok: list[frozenset[int]]) -> tuple[float, float]:
    """Top-1 and MRR@10."""
    top1 = rr = 0.0
    for s, right in zip(scores, ok, strict=True):
        order = np.argsort(-s, kind="stable")[:10]
        rank = next((n for n, i in enumerate(order, 1) if int(i) in right), None)
        top1 += rank == 1
        rr += 1.0 / rank if rank else 0.0
    return round(top1 / len(scores), 3), round(rr / len(scores), 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/backcare-e5-trial"))
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--passages",
        action="store_true",
        help="also MiniLM passage vectors for the candidates, to score the shipped blend itself",
    )
    args = parser.parse_args()
    settings = Settings()
    entries = qs.medquad_entries()
    cases = fit_cases()
    position = {entry.id: n for n, entry in enumerate(entries)}
    ok = [frozenset(position[i] for i in case.ok if i in position) for case in cases]
    queries = [prepare_query(case.q) for case in cases]
    focus = [focus_sentence(q) for q in queries]
    print(f"{len(entries)} entries, {len(cases)} fit questions", flush=True)

    # BM25 exactly as the retriever computes it, from a knowledge base whose
    # vectors are never read (hashed trigrams, no model).
    kb = KnowledgeBase.build("medquad-rqe-lexical", entries, HashingEncoder(), ann=False)
    params = load_pack().params
    lexical = {
        share: HybridRetriever(
            kb, HashingEncoder(), params.model_copy(update={"bm25_answer_share": share})
        )
        for share in (0.0, 1.0)
    }
    bm25_q = [lexical[0.0].signals(q).signals["bm25"] for q in queries]
    bm25_a = [lexical[1.0].signals(q).signals["bm25"] for q in queries]

    minilm = default_encoder(settings.model_dir, threads=settings.threads)
    questions = [entry.question for entry in entries]
    m_entries = cached_vectors(
        args.cache_dir / "minilm_medquad_questions.npz", questions, minilm.encode
    )
    minilm_q = []
    for q, f in zip(queries, focus, strict=True):
        texts = [q] + ([f] if f else [])
        minilm_q.append(
            np.clip(dense_best([minilm.encode_query(t) for t in texts], m_entries), 0, 1)
        )
    bm25 = [0.8 * a + 0.2 * b for a, b in zip(bm25_q, bm25_a, strict=True)]
    # The shipped blend's proportions without its passage signal: dense 0.15, BM25 0.6.
    shipped = (params.dense_weight / (params.dense_weight + params.bm25_weight), 0.2)
    base = [shipped[0] * d + (1 - shipped[0]) * b for d, b in zip(minilm_q, bm25, strict=True)]

    # e5 only where it can matter: each question's top K under that blend, under
    # MiniLM alone and under BM25 alone (encoding all 21k entries with e5 was
    # too slow on the shared machine).
    candidates = [
        np.unique(np.concatenate([np.argsort(-s)[:K] for s in (b, m, x)]))
        for b, m, x in zip(base, minilm_q, bm25, strict=True)
    ]
    needed = sorted({int(i) for c in candidates for i in c})
    print(f"e5 over {len(needed)} candidate entries", flush=True)
    model_dir = multilingual_model_built(settings.model_dir)
    if model_dir is None:
        raise SystemExit("the multilingual encoder is not built")
    e5enc = MultilingualEncoder.load(model_dir, threads=settings.threads, variant="int8")
    cache = try_e5.E5Cache(args.cache_dir, e5enc)
    stored = cache.passages([questions[i] for i in needed])
    e_entries = np.zeros((len(entries), e5enc.dim), dtype=np.float32)
    for i in needed:
        e_entries[i] = stored[questions[i]]
    e_queries = cache.queries([*queries, *(f for f in focus if f)])
    cache.save()
    e5_q = []
    for q, f, c in zip(queries, focus, candidates, strict=True):
        texts = [q] + ([f] if f else [])
        scores = np.zeros(len(entries), dtype=np.float32)
        scores[c] = dense_best([e_queries[t] for t in texts], e_entries[c])
        e5_q.append(scores)

    report: dict[str, object] = {
        "MiniLM questions alone": rank_scores(minilm_q, ok),
        "e5 questions alone, over the candidates": rank_scores(e5_q, ok),
        "BM25 alone (share 0.2)": rank_scores(bm25, ok),
    }
    print(report, flush=True)

    def blend(dense, wd: float, share: float) -> list[np.ndarray]:
        return [
            wd * d + (1 - wd) * np.clip((1 - share) * a + share * b, 0, 1)
            for d, a, b in zip(dense, bm25_q, bm25_a, strict=True)
        ]

    def objective(s, rows=None) -> float:
        rows = range(len(s)) if rows is None else rows
        return sum(rank_scores([s[i] for i in rows], [ok[i] for i in rows]))

    grid = [round(0.05 * i, 2) for i in range(21)]
    for label, dense in (("MiniLM", minilm_q), ("e5", e5_q)):
        wd, share = max(
            itertools.product(grid, (0.0, 0.2, 0.4)),
            key=lambda p, dense=dense: objective(blend(dense, *p)),
        )
        report[f"{label} + BM25, best blend (dense {wd}, share {share})"] = rank_scores(
            blend(dense, wd, share), ok
        )
    report[f"MiniLM + BM25, shipped proportions {shipped}"] = rank_scores(base, ok)

    def plus_e5(w: float, scores=base) -> list[np.ndarray]:
        out = []
        for s, e in zip(scores, e5_q, strict=True):
            top = np.argsort(-s, kind="stable")[:K]
            raised = s.copy()
            raised[top] += w * e[top]
            out.append(raised)
        return out

    for w in W_GRID:
        report[f"shipped proportions + {w}·e5 over top {K}"] = rank_scores(plus_e5(w), ok)
    if args.passages:
        # The shipped blend itself, its passage signal computed for the candidates
        # only (an entry outside them scores 0 there: checked against the
        # shipped blend's own 0.628 on these questions, docs/retrieval.md).
        passages = cached_vectors(
            args.cache_dir / "minilm_medquad_candidate_passages.npz",
            [answer_for_vector(entries[i]) for i in needed],
            minilm.encode,
        )
        row = {entry: n for n, entry in enumerate(needed)}
        full = []
        for q, f, c, d, a, b in zip(
            queries, focus, candidates, minilm_q, bm25_q, bm25_a, strict=True
        ):
            texts = [q] + ([f] if f else [])
            answer = np.zeros(len(entries), dtype=np.float32)
            rows = passages[[row[int(i)] for i in c]]
            answer[c] = np.clip(dense_best([minilm.encode_query(t) for t in texts], rows), 0, 1)
            lexical = np.clip(
                (1 - params.bm25_answer_share) * a + params.bm25_answer_share * b, 0, 1
            )
            full.append(
                params.dense_weight * d
                + params.answer_weight * answer
                + params.bm25_weight * lexical
            )
        report["shipped blend, passages over the candidates"] = rank_scores(full, ok)
        for w in W_GRID:
            report[f"shipped blend + {w}·e5 over top {K}"] = rank_scores(plus_e5(w, full), ok)
        chosen_full, hits_full = [], 0.0
        for fold in range(5):
            train = [i for i in range(len(ok)) if i % 5 != fold]
            held = [i for i in range(len(ok)) if i % 5 == fold]
            w = max((0.0, *W_GRID), key=lambda w: objective(plus_e5(w, full), train))
            chosen_full.append(w)
            scores = plus_e5(w, full)
            hits_full += rank_scores([scores[i] for i in held], [ok[i] for i in held])[0] * len(
                held
            )
        report["shipped blend: w chosen on four folds"] = chosen_full
        report["shipped blend: held-out top-1 with the chosen w"] = round(hits_full / len(ok), 3)
    chosen, hits = [], 0.0
    for fold in range(5):
        train = [i for i in range(len(ok)) if i % 5 != fold]
        held = [i for i in range(len(ok)) if i % 5 == fold]
        w = max((0.0, *W_GRID), key=lambda w: objective(plus_e5(w), train))
        chosen.append(w)
        s = plus_e5(w)
        hits += rank_scores([s[i] for i in held], [ok[i] for i in held])[0] * len(held)
    report["w chosen on four folds"] = chosen
    report["held-out top-1 with the chosen w"] = round(hits / len(ok), 3)
    for key, value in report.items():
        print(f"{key}: {value}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
