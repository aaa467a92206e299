"""The diary service: a store composed with triage (for warnings) and an encoder (for review).

``Diary`` is what the CLI and the API call for anything beyond one row: a
summary with warnings, export and import. Plain reads and writes of rows go to
``Diary.store`` (a ``DiaryStore``), which already scopes every row to its user.

``review_feedback`` is the maintainer's side of the feedback loop
(docs/architecture.md): unanswered questions clustered by meaning, and the
entries whose answers were rated worst. Given a retriever, each cluster also
carries a proposal: the entry it most likely belongs to, which a maintainer
accepts (``kbuild.accept_proposal``: the questions become alternates) or rejects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import ClassVar

import numpy as np

from backcare.diary import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    DiaryStore,
    diary_warnings,
    dump_diary,
    load_diary,
)
from backcare.errors import DiaryFormatError, QueryError
from backcare.feedback import FeedbackStore
from backcare.knowledge.pack import KnowledgePack
from backcare.model import (
    DiarySummary,
    EpisodeSummary,
    Proposal,
    RatedEntry,
    ReviewReport,
    TriageResult,
    UnansweredCluster,
)
from backcare.retrieval.dense import Encoder
from backcare.retrieval.retriever import HybridRetriever
from backcare.service import prepare_query, triage_text

__all__ = ["Diary", "cluster_id", "review_feedback"]

# Entries a cluster's examples are looked up among when proposing where it belongs.
_PROPOSAL_DEPTH = 5

logger = logging.getLogger(__name__)


class Diary:
    """A person's diary with its warnings, over any ``DiaryStore``.

    Args:
        store: where episodes and check-ins live.
        pack: the knowledge pack whose red-flag rules read check-in notes.
        triage: overrides the pack's triage (tests pass a stub).
    """

    max_import_bytes: ClassVar[int] = MAX_IMPORT_BYTES
    """The longest export ``import_text`` and ``import_file`` read, in bytes."""
    max_import_rows: ClassVar[int] = MAX_IMPORT_ROWS
    """The most episodes and check-ins, in all, one import adds."""

    def __init__(
        self,
        store: DiaryStore,
        pack: KnowledgePack,
        *,
        triage: Callable[[str], TriageResult] | None = None,
    ) -> None:
        self.store = store
        self._triage = triage or (lambda text: triage_text(pack, text))

    def summary(self, user_id: int, *, now: dt.datetime) -> DiarySummary:
        """Every episode with its pain course, the 12-month count and the warnings."""
        episodes = self.store.episodes(user_id)
        checkins = self.store.checkins(user_id)
        warnings = diary_warnings(episodes, checkins, now=now, triage=self._triage)
        rows = []
        for episode in episodes:
            own = [c for c in checkins if c.episode_id == episode.id]
            until = episode.end or now
            rows.append(
                EpisodeSummary(
                    episode=episode,
                    days=max(0, (until - episode.onset).days),
                    checkins=len(own),
                    first_pain=own[0].pain if own else None,
                    last_pain=own[-1].pain if own else None,
                    worst_pain=max(c.pain for c in own) if own else None,
                )
            )
        year_ago = now - dt.timedelta(days=365)
        open_ids = [episode.id for episode in episodes if episode.end is None]
        return DiarySummary(
            as_of=now,
            episodes=tuple(rows),
            episodes_last_12_months=sum(1 for e in episodes if year_ago < e.onset <= now),
            open_episode_id=open_ids[-1] if open_ids else None,
            warnings=tuple(warnings),
        )

    def export(self, user_id: int, format: str) -> str:
        """The user's whole diary as ``csv`` or ``json`` text (no ids)."""
        episodes = self.store.episodes(user_id)
        checkins = self.store.checkins(user_id)
        return dump_diary(
            [(e, [c for c in checkins if c.episode_id == e.id]) for e in episodes], format
        )

    def import_text(self, user_id: int, text: str, format: str) -> tuple[int, int]:
        """Add the episodes of an export to the user's diary; returns (episodes, check-ins).

        Raises:
            DiaryFormatError: the text is not a diary export, or is over
                ``max_import_bytes`` or ``max_import_rows`` (nothing is added).
        """
        loaded = load_diary(
            text, format, max_rows=self.max_import_rows, max_bytes=self.max_import_bytes
        )
        return self.store.import_episodes(user_id, loaded)

    def import_file(
        self, user_id: int, path: str | os.PathLike[str], format: str
    ) -> tuple[int, int]:
        """``import_text`` of a UTF-8 file (a BOM is allowed), read only up to the limit.

        Raises:
            DiaryFormatError: as ``import_text``, or the file is not UTF-8 text.
            OSError: the file cannot be read.
        """
        file = Path(path)
        with file.open("rb") as handle:
            data = handle.read(self.max_import_bytes + 1)
        if len(data) > self.max_import_bytes:
            raise DiaryFormatError(
                f"{file}: over the limit of {self.max_import_bytes:,} bytes for one import; "
                "split it into smaller files"
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DiaryFormatError(
                f"{file}: byte {exc.start:,} is not UTF-8; export the diary again"
            ) from exc
        return self.import_text(user_id, text, format)


def review_feedback(
    feedback: FeedbackStore,
    encoder: Encoder,
    *,
    top: int = 20,
    threshold: float = 0.8,
    window: int = 10_000,
    retriever: HybridRetriever | None = None,
    accepted: Collection[str] = (),
    rejected: Collection[tuple[str, str]] = (),
) -> ReviewReport:
    """The most frequent unanswered questions and the worst-rated answers.

    Unanswered questions are grouped greedily: the most frequent question opens
    a cluster, and each next one joins the first cluster whose opening question
    it matches with cosine similarity ``threshold`` or more, else opens its own.

    Args:
        feedback: where ratings and unanswered questions are stored.
        encoder: the sentence encoder that measures meaning (``default_encoder``).
        top: how many clusters and entries to list.
        threshold: the cosine similarity that puts two questions in one cluster.
        window: how many of the latest rows of each kind to read.
        retriever: the knowledge base's retriever; when given, each cluster
            gets a proposal (the entry its examples most likely belong to).
        accepted: ids of clusters already accepted; they are left out.
        rejected: (cluster id, entry id) pairs a maintainer rejected; that
            entry is never proposed for that cluster again.
    """
    asked = feedback.abstained(limit=window)
    counts: dict[str, list[str]] = {}
    last: dict[str, dt.datetime] = {}
    texts: dict[str, str] = {}
    for row in asked:  # newest first
        key = " ".join(row.query.casefold().split())
        counts.setdefault(key, []).append(row.kb)
        last[key] = max(last.get(key, row.at), row.at)
        texts.setdefault(key, row.query)
    keys = sorted(counts, key=lambda k: (-len(counts[k]), -last[k].timestamp(), k))
    clusters: list[list[str]] = []
    if keys:
        vectors = np.asarray(encoder.encode([texts[k] for k in keys]), dtype=np.float32)
        leaders: list[int] = []
        for index in range(len(keys)):
            if leaders:
                similarity = vectors[leaders] @ vectors[index]
                best = int(np.argmax(similarity))
                if float(similarity[best]) >= threshold:
                    clusters[best].append(keys[index])
                    continue
            leaders.append(index)
            clusters.append([keys[index]])
    unanswered = [
        UnansweredCluster(
            id=cluster_id(members[0]),
            question=texts[members[0]],
            count=sum(len(counts[k]) for k in members),
            examples=tuple(texts[k] for k in members[:5]),
            kbs=tuple(sorted({kb for k in members for kb in counts[k]})),
            last_asked=max(last[k] for k in members),
        )
        for members in clusters
    ]
    unanswered = [cluster for cluster in unanswered if cluster.id not in set(accepted)]
    unanswered.sort(key=lambda c: (-c.count, -c.last_asked.timestamp(), c.question))
    unanswered = unanswered[: max(0, top)]
    if retriever is not None:
        refused = set(rejected)
        unanswered = [
            cluster.model_copy(update={"proposal": _propose(retriever, cluster, refused)})
            for cluster in unanswered
        ]

    ratings = feedback.recent(limit=window)
    tallies: dict[tuple[str, str], dict[str, int]] = {}
    examples: dict[tuple[str, str], list[str]] = {}
    for rating in ratings:
        if rating.entry_id is None:
            continue
        key2 = (rating.kb, rating.entry_id)
        tally = tallies.setdefault(key2, {"helpful": 0, "not_helpful": 0, "wrong": 0})
        tally[rating.rating] += 1
        bad = examples.setdefault(key2, [])
        if rating.rating != "helpful" and rating.query not in bad and len(bad) < 5:
            bad.append(rating.query)
    rated = [
        RatedEntry(entry_id=entry_id, kb=kb, examples=tuple(examples[(kb, entry_id)]), **tally)
        for (kb, entry_id), tally in tallies.items()
        if tally["not_helpful"] + tally["wrong"] > 0
    ]
    rated.sort(key=lambda r: (-r.bad, -r.wrong, r.helpful, r.kb, r.entry_id))
    logger.info("review: %d unanswered questions, %d ratings", len(asked), len(ratings))
    return ReviewReport(
        unanswered=tuple(unanswered),
        worst_rated=tuple(rated[: max(0, top)]),
        abstained_total=len(asked),
        ratings_total=len(ratings),
    )


def cluster_id(question: str) -> str:
    """The stable id of a cluster led by ``question`` (case and spacing ignored)."""
    key = " ".join(question.casefold().split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _propose(
    retriever: HybridRetriever, cluster: UnansweredCluster, rejected: set[tuple[str, str]]
) -> Proposal | None:
    """The entry with the best mean confidence over the cluster's examples, unless rejected.

    Confidences, not fused scores, are averaged: they are on one scale in any
    knowledge base (calibration.py), so the score reads the same everywhere.
    """
    totals: dict[str, float] = {}
    asked = 0
    for example in cluster.examples:
        try:
            text = prepare_query(example)
        except QueryError:
            continue
        asked += 1
        for hit in retriever.search(text, top_k=_PROPOSAL_DEPTH).hits:
            totals[hit.entry_id] = totals.get(hit.entry_id, 0.0) + hit.score
    ranked = sorted(
        (entry_id for entry_id in totals if (cluster.id, entry_id) not in rejected),
        key=lambda entry_id: (-totals[entry_id], entry_id),
    )
    if not ranked or asked == 0:
        return None
    best = ranked[0]
    index = retriever.kb.index_of(best)
    question = retriever.kb.entries[index].question if index is not None else best
    return Proposal(entry_id=best, question=question, score=min(1.0, totals[best] / asked))
