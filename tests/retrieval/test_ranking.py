"""The ranking search returns: best first, ties in knowledge-base order, whatever top_k."""

from __future__ import annotations

import pytest

from backcare import HashingEncoder, KnowledgeBase, KnowledgePack
from backcare.model import FaqEntry
from backcare.retrieval.retriever import HybridRetriever, top_indexes

QUERY = "heat or ice for a back spasm?"


@pytest.fixture
def tied(pack: KnowledgePack) -> HybridRetriever:
    """Five entries with three copies of one question and answer between them (equal scores)."""
    sources = pack.entries[0].sources
    entries = [
        FaqEntry(
            id=f"e{i}",
            question=f"How do I treat part {i} of a sore back?",
            answer=f"Rest and move gently, step {i}.",
            sources=sources,
        )
        for i in range(5)
    ]
    entries[2:2] = [
        FaqEntry(
            id=f"dup{j}",
            question="Is heat or ice better for a back spasm?",
            answer="Heat usually helps a spasm.",
            sources=sources,
        )
        for j in range(3)
    ]
    encoder = HashingEncoder(dim=64)
    return HybridRetriever(KnowledgeBase.build("tied", entries, encoder), encoder, pack.params)


def test_equal_scores_keep_knowledge_base_order(tied: HybridRetriever) -> None:
    hits = tied.search(QUERY, top_k=8).hits
    assert [hit.entry_id for hit in hits[:3]] == ["dup0", "dup1", "dup2"]
    assert hits[0].score == hits[2].score


@pytest.mark.parametrize("top_k", range(1, 9))
def test_a_smaller_top_k_is_a_prefix_of_a_larger_one(tied: HybridRetriever, top_k: int) -> None:
    # The answer must not change with how many alternatives were asked for.
    every = [hit.entry_id for hit in tied.search(QUERY, top_k=8).hits]
    assert [hit.entry_id for hit in tied.search(QUERY, top_k=top_k).hits] == every[:top_k]


def test_top_indexes_breaks_ties_by_position() -> None:
    import numpy as np

    scores = np.array([0.5, 0.9, 0.2, 0.9, 0.5, 0.9, 0.5], dtype=np.float32)
    assert top_indexes(scores, 1).tolist() == [1]
    assert top_indexes(scores, 4).tolist() == [1, 3, 5, 0]
    assert top_indexes(scores, 7).tolist() == [1, 3, 5, 0, 4, 6, 2]
    assert top_indexes(scores, 99).tolist() == [1, 3, 5, 0, 4, 6, 2]
