"""Answer quality of backcare against four simple baselines, in one run (issue 15).

Run ``make bench-quality`` (or ``.venv/bin/python benchmarks/quality.py``).
On each knowledge base of ``benchmarks/quality_sets.py`` (the pack, the seed
page ingested, MedQuAD + RQE FAQ questions) it scores, side by side:

- ``backcare``: ``HybridRetriever`` with the shipped parameters and the
  knowledge base's own calibration, answering or abstaining;
- ``bm25_qa``: BM25 over each entry's questions and answer as one document;
- ``minilm_q``: MiniLM cosine over the entry's question(s);
- ``minilm_qa``: MiniLM cosine over question + answer text;
- ``rrf``: reciprocal rank fusion of ``bm25_qa`` and ``minilm_q``.

The baselines always answer. Figures: top-1, top-3 and MRR@10 over the
in-scope test questions; the share of in-scope and of off-topic questions
abstained on; answered-and-correct (in-scope questions answered with a right
top-1 entry). Only the *test* questions are scored (``../shared/eval``, the
RQE test split, our hold-outs); nothing here was fitted on them.

``--accepted 20`` (the default) also scores the seed page after a maintainer
accepted 20 review questions (``with_accepted``). It prints a table and
writes ``benchmarks/results/quality-latest.json``. The
first run ingests the seed page and builds the MedQuAD knowledge base (tens
of minutes on 2 cores); later runs reuse them. MedQuAD and RQE: Ben Abacha and
Demner-Fushman (2019; AMIA 2016), CC BY 4.0.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.quality_sets import WORK, Case, Suite, suites  # noqa: E402

from backcare import KnowledgeBase, accept_proposal, default_encoder, load_pack  # noqa: E402
from backcare.model import RetrievalParams  # noqa: E402
from backcare.retrieval.bm25 import BM25Index  # noqa: E402
from backcare.retrieval.dense import Encoder  # noqa: E402
from backcare.retrieval.retriever import HybridRetriever  # noqa: E402
from backcare.retrieval.tokenize import Analyzer, words  # noqa: E402
from backcare.service import prepare_query  # noqa: E402
from backcare.settings import Settings  # noqa: E402

RESULTS = HERE / "results"
SYSTEMS = ("backcare", "bm25_qa", "minilm_q", "minilm_qa", "rrf")
RRF_K = 60.0
DEPTH = 10


@dataclass(frozen=True)
class Outcome:
    """What one system did with one question: its ranking and whether it answered."""

    ranking: tuple[str, ...]
    answered: bool


class _Memo:
    """Encodes each query once for every system of the run."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self.dim = encoder.dim
        self._known: dict[str, np.ndarray] = {}

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        return self.encoder.encode(texts, **kwargs)

    def encode_query(self, text: str) -> np.ndarray:
        if text not in self._known:
            self._known[text] = self.encoder.encode_query(text)
        return self._known[text]


def _top(scores: np.ndarray, ids: tuple[str, ...], depth: int = DEPTH) -> tuple[str, ...]:
    k = min(depth, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return tuple(ids[i] for i in top[np.argsort(-scores[top], kind="stable")])


class Baselines:
    """The four baselines over one knowledge base."""

    def __init__(self, suite: Suite, encoder: _Memo) -> None:
        self.kb = suite.kb
        self.passages = suite.passages
        self.encoder = encoder
        self.ids = tuple(self.kb.ids)
        self.analyzer = Analyzer()
        docs = [
            self.analyzer.terms_of_words(words(" ".join(e.questions()) + " " + e.answer))
            for e in self.kb.entries
        ]
        self.bm25 = BM25Index.build(docs)

    def run(self, text: str) -> dict[str, Outcome]:
        terms = list(dict.fromkeys(self.analyzer.terms_of_words(words(text))))
        vector = self.encoder.encode_query(text)
        bm25 = _top(self.bm25.scores(terms), self.ids, 100) if terms else ()
        sims = np.asarray(self.kb.question_vectors, dtype=np.float32) @ vector
        minilm_q = _top(np.maximum.reduceat(sims, self.kb.question_starts), self.ids, 100)
        minilm_qa = _top(self.passages @ vector, self.ids)
        fused: dict[str, float] = {}
        for ranking in (bm25, minilm_q):
            for rank, entry_id in enumerate(ranking, start=1):
                fused[entry_id] = fused.get(entry_id, 0.0) + 1.0 / (RRF_K + rank)
        rrf = tuple(sorted(fused, key=lambda i: -fused[i])[:DEPTH])
        return {
            "bm25_qa": Outcome(bm25[:DEPTH], bool(bm25)),
            "minilm_q": Outcome(minilm_q[:DEPTH], True),
            "minilm_qa": Outcome(minilm_qa, True),
            "rrf": Outcome(rrf, True),
        }


def backcare_system(
    suite: Suite, encoder: _Memo, params: RetrievalParams
) -> Callable[[str], Outcome]:
    retriever = HybridRetriever(suite.kb, encoder, params)

    def run(text: str) -> Outcome:
        result = retriever.search(text, top_k=DEPTH)
        return Outcome(tuple(hit.entry_id for hit in result.hits), result.answered)

    return run


def score(cases: list[Case], oos: list[str], outcomes: dict[str, Outcome]) -> dict[str, float]:
    """The figures of one system on one knowledge base."""
    top1 = top3 = rr = answered_right = abstained_in = 0.0
    for case in cases:
        out = outcomes[case.q]
        rank = next((n for n, i in enumerate(out.ranking, 1) if i in case.ok), None)
        top1 += rank == 1
        top3 += rank is not None and rank <= 3
        rr += 1.0 / rank if rank else 0.0
        answered_right += out.answered and rank == 1
        abstained_in += not out.answered
    n = max(1, len(cases))
    return {
        "top1": round(top1 / n, 3),
        "top3": round(top3 / n, 3),
        "mrr10": round(rr / n, 3),
        "abstain_in": round(abstained_in / n, 3),
        "abstain_oos": round(sum(not outcomes[q].answered for q in oos) / max(1, len(oos)), 3),
        "answered_correct": round(answered_right / n, 3),
    }


def evaluate_suite(
    suite: Suite, encoder: _Memo, params: RetrievalParams
) -> dict[str, dict[str, object]]:
    """Every system on every test set of ``suite``: ``{test set: figures}``."""
    baselines = Baselines(suite, encoder)
    ours = backcare_system(suite, encoder, params)
    results: dict[str, dict[str, object]] = {}
    latency = _encode_and_search_p50(suite, params)
    for test, (cases, oos) in suite.tests.items():
        texts = list(dict.fromkeys([c.q for c in cases] + oos))
        outcomes: dict[str, dict[str, Outcome]] = {name: {} for name in SYSTEMS}
        took = []
        for raw in texts:
            text = prepare_query(raw)
            for name, outcome in baselines.run(text).items():
                outcomes[name][raw] = outcome
            # Queries are encoded once per run (_Memo), so this is the search
            # after the encode: ranking, fusion and confidence.
            started = time.perf_counter()
            outcomes["backcare"][raw] = ours(text)
            took.append(time.perf_counter() - started)
        results[f"{suite.name}/{test}"] = {
            "entries": len(suite.kb),
            "in_scope": len(cases),
            "off_topic": len(oos),
            "backcare_search_p50_ms": round(1000 * statistics.median(took), 2),
            "backcare_encode_and_search_p50_ms": latency,
            "systems": {name: score(cases, oos, outcomes[name]) for name in SYSTEMS},
        }
    return results


def with_accepted(suite: Suite, encoder: _Memo, params: RetrievalParams, n: int) -> Suite:
    """The suite on a copy of its knowledge base after a maintainer accepted ``n`` questions.

    What `backcare review accept` would do: the first ``n`` *fit* questions
    (never test ones) that backcare abstained on or answered wrongly, in hash
    order, each added as an alternate of its right entry with
    ``accept_proposal``. The test questions stay as they were.
    """
    ours = backcare_system(suite, encoder, params)
    folder = WORK / f"{suite.name}-accepted-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(WORK / f"{suite.name}-kb", folder)
    picked = 0
    for case in sorted(suite.fit_in, key=lambda c: hashlib.sha256(c.q.encode()).hexdigest()):
        if picked == n:
            break
        out = ours(prepare_query(case.q))
        if out.answered and out.ranking[:1] and out.ranking[0] in case.ok:
            continue
        accept_proposal(
            folder, f"bench-{picked}", sorted(case.ok)[0], [case.q], encoder, params=params
        )
        picked += 1
    kb = KnowledgeBase.load(folder, model_id=encoder.model_id)
    return dataclasses.replace(
        suite, name=f"{suite.name}+{picked}-accepted", kb=kb, passages=np.asarray(kb.answer_vectors)
    )


def _encode_and_search_p50(suite: Suite, params: RetrievalParams) -> float:
    """Median ms of encode + search on up to 300 fit questions, each asked once.

    A fresh encoder, so its query-embedding cache is empty; MedQuAD's fit
    questions are long consumer messages (two encodes each).
    """
    settings = Settings()
    fresh = default_encoder(settings.model_dir, threads=settings.threads)
    retriever = HybridRetriever(suite.kb, fresh, params)
    took = []
    for case in suite.fit_in[:300]:
        text = prepare_query(case.q)
        started = time.perf_counter()
        retriever.search(text)
        took.append(time.perf_counter() - started)
    return round(1000 * statistics.median(took), 2)


def table(results: dict[str, dict[str, object]]) -> str:
    """A markdown table: one row per knowledge base, test set and system."""
    cols = ("top1", "top3", "mrr10", "abstain_in", "abstain_oos", "answered_correct")
    lines = [
        "| KB / test set | system | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for kb, result in results.items():
        label = (
            f"{kb} ({result['entries']} entries; {result['in_scope']} in, "
            f"{result['off_topic']} off; p50 {result['backcare_encode_and_search_p50_ms']} ms)"
        )
        for name, figures in result["systems"].items():  # type: ignore[attr-defined]
            cells = " | ".join(str(figures[c]) for c in cols)
            lines.append(f"| {label} | {name} | {cells} |")
            label = ""
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", action="append", choices=("pack", "seed", "medquad"))
    parser.add_argument(
        "--accepted",
        type=int,
        default=20,
        help="Also score the seed page after this many accepted review questions (0: not).",
    )
    args = parser.parse_args()
    encoder, built = suites(args.kb or ("pack", "seed", "medquad"))
    memo = _Memo(encoder)
    params = load_pack().params
    results: dict[str, dict[str, object]] = {}
    for suite in built:
        results.update(evaluate_suite(suite, memo, params))
        if suite.name == "seed" and args.accepted:
            accepted = with_accepted(suite, memo, params, args.accepted)
            results.update(evaluate_suite(accepted, memo, params))
    print(table(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "results": results}
    (RESULTS / "quality-latest.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
