"""The three knowledge bases and query sets of the quality benchmark.

Shared by ``benchmarks/quality.py`` (which scores them) and ``tuning/fit.py``
(which fits on their *fit* halves only). Each suite has:

- ``fit_in`` / ``fit_oos``: in-scope cases and off-topic questions that may be
  fitted on (our tuning files, the RQE train split, our general off-topic file);
- ``test_in`` / ``test_oos``: what the benchmark reports, never fitted on
  (``../shared/eval``, the RQE test split, the 30 % hold-outs of our files).

The suites:

- ``pack``: the shipped pack; fit on the 70 % split of ``tuning/*.jsonl``
  (hash of the query, as ``tuning/fit.py`` always did); test on
  ``../shared/eval`` and on the 30 % hold-out.
- ``seed``: the seed page ingested with ``backcare ingest`` (no alternates);
  the pack's topic ids map to the seed's slugs through
  ``../shared/eval/seed_entries.json``, and tuning queries about a topic the
  seed page lacks are left out.
- ``medquad``: MedQuAD's 16,407 answered questions, one entry each, plus one
  entry per distinct RQE FAQ question (``q2``); RQE gives no answer for those,
  so the question stands in as its answer (q+a signals reduce to q signals
  for them). Queried with RQE consumer questions (``q1``); ``label`` 1 pairs
  give the right entries. Fitted on the train pairs whose FAQ question is not
  a near-copy of the message (``RQE_FIT_MAX_OVERLAP``). Off-topic:
  ``tuning/off_topic_general.jsonl`` (everyday non-medical questions, written
  for this), split 70/30 by hash.

MedQuAD (Ben Abacha and Demner-Fushman, BMC Bioinformatics 20, 511, 2019) and
RQE (Ben Abacha and Demner-Fushman, AMIA 2016) are CC BY 4.0, read from
``../shared/data``, never shipped. Built knowledge bases
are cached under ``$BACKCARE_QUALITY_DIR`` (default ``benchmarks/results/quality``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backcare import default_encoder, ingest_to_kb, load_pack
from backcare.errors import KnowledgePackError
from backcare.model import FaqEntry, Source
from backcare.retrieval.dense import Encoder
from backcare.retrieval.kbase import KnowledgeBase
from backcare.service import pack_index
from backcare.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout; BACKCARE_SHARED_DIR names it elsewhere (a git worktree).
SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", ROOT.parent / "shared"))
TUNING = ROOT / "tuning"
WORK = Path(os.environ.get("BACKCARE_QUALITY_DIR", ROOT / "benchmarks" / "results" / "quality"))
SEED_PAGE = SHARED / "seeds" / "back-spasms-faq.txt"
# RQE's train split is large; at most this many distinct consumer questions
# are fitted on (a couple of minutes to encode).
RQE_FIT_QUERIES = 800
# Only train pairs whose FAQ question is *not* mostly contained in the
# message are fitted on: in most train pairs the FAQ question is a trimmed
# copy of the message (a median 92 % of its words are in it, for messages of
# 20+ words), which nearly any method matches, so a fit on them trusted scores
# that a real FAQ's reader, who never saw its wording, does not earn. Before
# this rule the fit used messages of 20+ words (top-1 0.889 on them, and the
# confidence abstained on half the answerable RQE test questions).
RQE_FIT_MAX_OVERLAP = 0.6


@dataclass(frozen=True)
class Case:
    """One in-scope question and the entry ids that answer it."""

    q: str
    ok: frozenset[str]


@dataclass
class Suite:
    """A knowledge base with its fit and test questions."""

    name: str
    kb: KnowledgeBase
    passages: np.ndarray  # one unit vector per entry: question + answer (the KB's own)
    fit_in: list[Case]
    fit_oos: list[str]
    tests: dict[str, tuple[list[Case], list[str]]]  # test set name -> (in-scope, off-topic)


def is_holdout(text: str) -> bool:
    """The stable 30 % hold-out of our own files (the split tuning/fit.py always used)."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10 < 3


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def _tuning_cases(
    map_id: dict[str, str] | None,
) -> tuple[list[Case], list[str], list[Case], list[str]]:
    rows = [
        *_jsonl(TUNING / "in_scope.jsonl"),
        *_jsonl(TUNING / "out_of_scope.jsonl"),
        *_jsonl(TUNING / "validation.jsonl"),
    ]
    fit_in: list[Case] = []
    hold_in: list[Case] = []
    fit_oos: list[str] = []
    hold_oos: list[str] = []
    for row in rows:
        q = str(row["q"])
        ok = row.get("ok")
        if ok:
            ids = {map_id.get(i, "") if map_id is not None else i for i in ok}  # type: ignore[attr-defined]
            ids.discard("")
            if not ids:
                continue  # a pack topic the seed page does not have
            (hold_in if is_holdout(q) else fit_in).append(Case(q, frozenset(ids)))
        else:
            (hold_oos if is_holdout(q) else fit_oos).append(q)
    return fit_in, fit_oos, hold_in, hold_oos


def _eval_cases(map_id: dict[str, str] | None) -> tuple[list[Case], list[str]]:
    cases = []
    for row in _jsonl(SHARED / "eval" / "dev_queries.jsonl"):
        ids = [str(i) for i in row["ok"]]  # type: ignore[attr-defined]
        cases.append(Case(str(row["q"]), frozenset(map_id[i] if map_id else i for i in ids)))
    oos = [str(row["q"]) for row in _jsonl(SHARED / "eval" / "dev_out_of_scope.jsonl")]
    return cases, oos


def pack_suite(encoder: Encoder, settings: Settings) -> Suite:
    kb = pack_index(load_pack(), encoder, settings.index_dir)
    fit_in, fit_oos, hold_in, hold_oos = _tuning_cases(None)
    dev_in, dev_oos = _eval_cases(None)
    return Suite(
        "pack",
        kb,
        np.asarray(kb.answer_vectors),
        fit_in,
        fit_oos,
        {"eval": (dev_in, dev_oos), "holdout": (hold_in, hold_oos)},
    )


def seed_kb(encoder: Encoder, folder: Path | None = None) -> KnowledgeBase:
    """The seed page ingested as ``backcare ingest`` does it (built once, then reused)."""
    folder = folder or WORK / "seed-kb"
    if not (folder / "CURRENT").exists():
        ingest_to_kb([SEED_PAGE], folder, encoder)
    return KnowledgeBase.load(folder, model_id=encoder.model_id)


def seed_id_map(kb: KnowledgeBase) -> dict[str, str]:
    """Pack topic id -> seed knowledge-base entry id."""
    topics = json.loads((SHARED / "eval" / "seed_entries.json").read_text(encoding="utf-8"))
    slug = {_key(entry.question): entry.id for entry in kb.entries}
    return {topic: slug[_key(q)] for topic, q in topics.items() if _key(q) in slug}


def seed_suite(encoder: Encoder) -> Suite:
    kb = seed_kb(encoder)
    mapping = seed_id_map(kb)
    fit_in, fit_oos, hold_in, hold_oos = _tuning_cases(mapping)
    dev_in, dev_oos = _eval_cases(mapping)
    return Suite(
        "seed",
        kb,
        np.asarray(kb.answer_vectors),
        fit_in,
        fit_oos,
        {"eval": (dev_in, dev_oos), "holdout": (hold_in, hold_oos)},
    )


def _rqe_id(q2: str) -> str:
    return "rqe-" + hashlib.sha256(_key(q2).encode()).hexdigest()[:12]


_SPACE_PUNCT = re.compile(r"\s+([?.!,])")


def medquad_entries() -> list[FaqEntry]:
    """MedQuAD's answered questions, then one entry per distinct RQE FAQ question."""
    entries: list[FaqEntry] = []
    seen: set[str] = set()
    for row in _jsonl(SHARED / "data" / "medquad.jsonl"):
        qid, answer = str(row["qid"]), row.get("answer")
        if not answer or qid in seen:
            continue
        seen.add(qid)
        sources = (Source(title=str(row["source"]), url=str(row["url"])),)
        entries.append(
            FaqEntry(id=qid, question=str(row["question"]), answer=str(answer), sources=sources)
        )
    for row in _jsonl(SHARED / "data" / "rqe_amia2016.jsonl"):
        q2 = _SPACE_PUNCT.sub(r"\1", " ".join(str(row["q2"]).split()))
        entry_id = _rqe_id(q2)
        if q2 and entry_id not in seen:
            seen.add(entry_id)
            entries.append(FaqEntry(id=entry_id, question=q2, answer=q2))
    return entries


def medquad_kb(encoder: Encoder) -> KnowledgeBase:
    folder = WORK / "medquad-rqe"
    try:
        return KnowledgeBase.load(folder, model_id=encoder.model_id)
    except KnowledgePackError:
        pass
    entries = medquad_entries()
    print(f"building the MedQuAD + RQE knowledge base ({len(entries):,} entries)", file=sys.stderr)
    kb = KnowledgeBase.build("medquad-rqe", entries, encoder)
    kb.save(folder)
    return KnowledgeBase.load(folder, model_id=encoder.model_id)


_WORD = re.compile(r"[a-z]+")


def copied_share(message: str, faq: str) -> float:
    """The share of the FAQ question's distinct words that the message contains."""
    theirs = set(_WORD.findall(faq.lower()))
    return len(theirs & set(_WORD.findall(message.lower()))) / max(1, len(theirs))


def _rqe_cases(split: str, max_overlap: float | None = None) -> list[Case]:
    """The split's consumer questions with their accepted FAQ questions; with
    ``max_overlap``, only those none of whose FAQ questions is that much copied."""
    ok: dict[str, set[str]] = {}
    copied: dict[str, float] = {}
    for row in _jsonl(SHARED / "data" / "rqe_amia2016.jsonl"):
        if row["split"] != split or row["label"] != 1:
            continue
        q2 = _SPACE_PUNCT.sub(r"\1", " ".join(str(row["q2"]).split()))
        if not q2:
            continue
        q1 = str(row["q1"])
        ok.setdefault(q1, set()).add(_rqe_id(q2))
        copied[q1] = max(copied.get(q1, 0.0), copied_share(q1, str(row["q2"])))
    return [
        Case(q, frozenset(ids))
        for q, ids in ok.items()
        if max_overlap is None or copied[q] < max_overlap
    ]


def medquad_suite(encoder: Encoder) -> Suite:
    kb = medquad_kb(encoder)
    train = _rqe_cases("train", RQE_FIT_MAX_OVERLAP)
    # A stable sample by hash, so reruns fit on the same questions.
    train.sort(key=lambda case: hashlib.sha256(case.q.encode()).hexdigest())
    off_topic = [str(row["q"]) for row in _jsonl(TUNING / "off_topic_general.jsonl")]
    return Suite(
        "medquad",
        kb,
        np.asarray(kb.answer_vectors),
        train[:RQE_FIT_QUERIES],
        [q for q in off_topic if not is_holdout(q)],
        {"rqe-test": (_rqe_cases("test"), [q for q in off_topic if is_holdout(q)])},
    )


def suites(names: Sequence[str] = ("pack", "seed", "medquad")) -> tuple[Encoder, list[Suite]]:
    """The encoder and the named suites, building what is not cached yet."""
    settings = Settings()
    encoder = default_encoder(settings.model_dir, threads=settings.threads)
    build = {
        "pack": lambda: pack_suite(encoder, settings),
        "seed": lambda: seed_suite(encoder),
        "medquad": lambda: medquad_suite(encoder),
    }
    return encoder, [build[name]() for name in names]
