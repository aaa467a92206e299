"""Merging: exact duplicates, near-duplicate questions, conflicts, and the blocked similarity."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backcare.errors import IngestError
from backcare.ingest.merge import merge_entries, near_duplicates
from backcare.model import FaqEntry

STOP = {"how", "do", "i", "can", "you", "what", "the", "a", "is", "to", "my", "should"}


def fake_embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Bag of content words hashed into 64 dimensions: same words, same vector."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            if word not in STOP:
                out[row, zlib.crc32(word.encode()) % 64] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def entry(entry_id: str, question: str, answer: str, line: int = 1) -> FaqEntry:
    return FaqEntry(id=entry_id, question=question, answer=answer, origin=f"f.txt:{line}")


def test_exact_duplicates_are_skipped() -> None:
    result = merge_entries([entry("a", "Why?", "Rest."), entry("b", "why", "rest", 2)])
    assert [e.id for e in result.entries] == ["a"]
    assert [(i.kind, i.other_id, i.line) for i in result.items] == [
        ("added", None, 1),
        ("skipped", "a", 2),
    ]


def test_near_duplicate_questions_become_alternates() -> None:
    result = merge_entries(
        [
            entry("stop", "How do I stop back spasms?", "Stretch gently."),
            entry("stop2", "How can you stop back spasms?", "Stretch gently.", 2),
        ],
        embed=fake_embed,
        threshold=0.9,
    )
    assert len(result.entries) == 1
    assert result.entries[0].alternates == ("How can you stop back spasms?",)
    assert result.items[1].kind == "merged"
    assert "similarity 1.00" in result.items[1].reason


def always_same(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """An encoder that calls everything identical, to isolate the identifier check."""
    return np.ones((len(texts), 4), dtype=np.float32) / 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("What are the symptoms of Spastic paraplegia 14?", "... of Spastic paraplegia 15?"),
        ("What is hepatitis B?", "What is hepatitis C?"),
        ("What causes type II collagenopathy?", "What causes type III collagenopathy?"),
    ],
)
def test_questions_that_differ_in_a_number_or_letter_are_never_near_duplicates(
    first: str, second: str
) -> None:
    result = merge_entries(
        [entry("a", first, "One answer."), entry("b", second, "Another answer.", 2)],
        embed=always_same,
        threshold=0.9,
    )
    assert [i.kind for i in result.items] == ["added", "added"]


def test_without_an_encoder_only_text_matches() -> None:
    result = merge_entries(
        [
            entry("a", "How do I stop back spasms?", "X."),
            entry("b", "How can you stop back spasms?", "X."),
        ]
    )
    assert len(result.entries) == 2


def test_conflicting_answers_are_reported_not_merged() -> None:
    first = entry("ice", "Ice or heat first?", "Ice for 72 hours.")
    second = entry("heat", "Ice or heat first?", "Heat for 72 hours.", 9)
    result = merge_entries([first, second], embed=fake_embed)
    assert [e.id for e in result.entries] == ["ice"]
    conflict = result.items[1]
    assert (conflict.kind, conflict.entry_id, conflict.other_id, conflict.line) == (
        "conflict",
        "heat",
        "ice",
        9,
    )
    assert "different answer" in conflict.reason
    both = merge_entries([first, second], on_conflict="keep_both")
    assert [e.id for e in both.entries] == ["ice", "heat"]
    assert both.items[1].kind == "conflict"


def test_existing_entries_win_and_are_not_reported() -> None:
    old = entry("stop", "How do I stop back spasms?", "Stretch.")
    new = entry("stop", "How can I stop back spasms?", "Stretch.", 4)
    result = merge_entries([new], existing=[old], embed=fake_embed)
    assert [e.id for e in result.entries] == ["stop"]
    assert result.entries[0].alternates == ("How can I stop back spasms?",)
    assert [i.kind for i in result.items] == ["merged"]


def test_existing_entries_are_all_kept_as_they_are() -> None:
    # A knowledge base built with keep_both holds two entries for one question; a
    # later ingest (keep_first by default) must not drop the second unreported.
    first = entry("swim", "Can I swim with back pain?", "Yes, gently.")
    second = entry("swim-2", "Can I swim with back pain?", "Wait a week first.", 2)
    also = entry("swim-3", "Can I swim with a sore back?", "Yes, gently.", 3)
    other = entry("sciatica", "What is sciatica?", "Nerve pain down the leg.", 7)
    result = merge_entries([other], existing=[first, second, also], embed=fake_embed)
    assert list(result.entries) == [first, second, also, other]
    assert [i.kind for i in result.items] == ["added"]


def test_taken_ids_are_renamed_and_reported() -> None:
    result = merge_entries([entry("x", "Why?", "A."), entry("x", "When?", "B.")])
    assert [e.id for e in result.entries] == ["x", "x-2"]
    assert "renamed" in result.items[1].reason
    # Not only a word in the reason: a warning, counted and listed as one.
    assert [(i.kind, i.entry_id, i.other_id) for i in result.items[2:]] == [("warning", "x-2", "x")]


def test_embed_with_the_wrong_shape_is_an_ingest_error() -> None:
    with pytest.raises(IngestError, match="shape"):
        merge_entries(
            [entry("a", "A?", "1."), entry("b", "B?", "2.")],
            embed=lambda texts: np.zeros((1, 3), dtype=np.float32),
        )


def brute_force(vectors: npt.NDArray[np.float32], threshold: float) -> set[tuple[int, int]]:
    sims = vectors @ vectors.T
    n = len(vectors)
    return {(i, j) for i in range(n) for j in range(i) if sims[i, j] >= threshold}


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float32, st.tuples(st.integers(2, 40), st.just(4)), elements=st.integers(-3, 3)),
    st.integers(1, 7),
)
def test_blocked_similarity_matches_brute_force(raw: npt.NDArray[np.float32], block: int) -> None:
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    vectors = (raw / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    found = near_duplicates(vectors, 0.95, neighbours=len(vectors), block_size=block)
    pairs = {(max(i, j), min(i, j)) for i, row in enumerate(found) for _, j in row}
    assert pairs == brute_force(vectors, 0.95)


@pytest.mark.slow
def test_near_duplicates_scale_to_medquad_size() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((47_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[1] = vectors[46_999]
    found = near_duplicates(vectors, 0.99)
    assert any(j == 46_999 for _, j in found[1])
