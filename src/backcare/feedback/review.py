"""The maintainer's side of the feedback loop: unanswered questions clustered by meaning.

``review_feedback`` reads a ``FeedbackStore`` and lists the most frequent
unanswered questions, grouped by meaning, and the entries whose answers were
rated worst (docs/architecture.md, section 5). Given a retriever, each cluster
also carries a proposal: the entry it most likely belongs to, which a
maintainer accepts (``backcare.accept_proposal``: the questions become
alternates) or rejects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Collection, Sequence

import numpy as np

from backcare.errors import QueryError
from backcare.feedback.store import FeedbackStore, StoredAbstained
from backcare.model import Proposal, RatedEntry, ReviewReport, UnansweredCluster
from backcare.retrieval.dense import Encoder
from backcare.retrieval.retriever import HybridRetriever
from backcare.retrieval.tokenize import normalise_text

__all__ = ["cluster_id", "review_feedback"]

# Entries a cluster's examples are looked up among when proposing where it belongs.
_PROPOSAL_DEPTH = 5

logger = logging.getLogger(__name__)


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
    prepare: Callable[[str], str] | None = None,
) -> ReviewReport:
    """The most frequent unanswered questions and the worst-rated answers.

    Unanswered questions are clustered per knowledge base (the label each was
    logged with), never across two: a question asked of the pack and one asked
    of an ingested FAQ belong to different entries. Within one knowledge base
    they are grouped greedily: the most frequent question opens a cluster, and
    each next one joins the first cluster whose opening question it matches
    with cosine similarity ``threshold`` or more, else opens its own.

    Args:
        feedback: where ratings and unanswered questions are stored.
        encoder: the sentence encoder that measures meaning (``default_encoder``).
        top: how many clusters and entries to list.
        threshold: the cosine similarity that puts two questions in one cluster.
        window: how many of the latest rows of each kind to read.
        retriever: the knowledge base's retriever; when given, each cluster
            asked of that knowledge base (``kb`` equal to its name) gets a
            proposal (the entry its examples most likely belong to); clusters
            asked of other knowledge bases get none.
        accepted: ids of clusters already accepted; they are left out. With a
            retriever, only its knowledge base's clusters (the decisions are
            that knowledge base's); without one, any cluster with that id.
        rejected: (cluster id, entry id) pairs a maintainer rejected; that
            entry is never proposed for that cluster again.
        prepare: turns a stored question into the text the retriever searches
            (the shells pass ``backcare.prepare_query``, as for a live question);
            an example it refuses with ``QueryError`` is left out of the proposal.
            None: Unicode normalisation only (``normalise_text``). The feedback
            package sits below the facade, so the facade's check comes in here.
    """
    asked = feedback.abstained(limit=window)
    # The knowledge base the retriever searches: only its clusters get proposals,
    # and the decisions (recorded in its folder) are about its clusters alone.
    own = retriever.kb.name if retriever is not None else None
    by_kb: dict[str, list[StoredAbstained]] = {}
    for row in asked:  # newest first
        by_kb.setdefault(row.kb, []).append(row)
    unanswered = [
        cluster for kb in sorted(by_kb) for cluster in _clusters(by_kb[kb], kb, encoder, threshold)
    ]
    done = set(accepted)
    unanswered = [
        cluster
        for cluster in unanswered
        if cluster.id not in done or (own is not None and cluster.kb != own)
    ]
    unanswered.sort(key=lambda c: (-c.count, -c.last_asked.timestamp(), c.question, c.kb))
    unanswered = unanswered[: max(0, top)]
    if retriever is not None:
        refused = set(rejected)
        prepared = prepare or _normalised
        unanswered = [
            cluster.model_copy(update={"proposal": _propose(retriever, cluster, refused, prepared)})
            if cluster.kb == own
            else cluster
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


def _clusters(
    rows: Sequence[StoredAbstained], kb: str, encoder: Encoder, threshold: float
) -> list[UnansweredCluster]:
    """The unanswered questions asked of one knowledge base (``rows``, newest first), grouped.

    Questions are grouped greedily: the most frequent one opens a cluster, and
    each next one joins the first cluster whose opening question it matches
    with cosine similarity ``threshold`` or more, else opens its own.
    """
    counts: dict[str, int] = {}
    last: dict[str, dt.datetime] = {}
    texts: dict[str, str] = {}
    for row in rows:
        key = " ".join(row.query.casefold().split())
        counts[key] = counts.get(key, 0) + 1
        last[key] = max(last.get(key, row.at), row.at)
        texts.setdefault(key, row.query)
    keys = sorted(counts, key=lambda k: (-counts[k], -last[k].timestamp(), k))
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
    return [
        UnansweredCluster(
            id=cluster_id(members[0]),
            question=texts[members[0]],
            count=sum(counts[k] for k in members),
            examples=tuple(texts[k] for k in members[:5]),
            kb=kb,
            kbs=(kb,),
            last_asked=max(last[k] for k in members),
        )
        for members in clusters
    ]


def cluster_id(question: str) -> str:
    """The stable id of a cluster led by ``question`` (case and spacing ignored)."""
    key = " ".join(question.casefold().split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _normalised(text: str) -> str:
    """``normalise_text``, refusing a question that is empty once normalised."""
    normalised = normalise_text(text)
    if not normalised:
        raise QueryError("empty_query", "the question is empty")
    return normalised


def _propose(
    retriever: HybridRetriever,
    cluster: UnansweredCluster,
    rejected: set[tuple[str, str]],
    prepare: Callable[[str], str],
) -> Proposal | None:
    """The entry with the best mean confidence over the cluster's examples, unless rejected.

    Confidences, not fused scores, are averaged: they are on one scale in any
    knowledge base (calibration.py), so the score reads the same everywhere.
    """
    totals: dict[str, float] = {}
    asked = 0
    for example in cluster.examples:
        try:
            text = prepare(example)
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
