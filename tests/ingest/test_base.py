"""Question clean-up, block joining and id slugging (normalising: tests/retrieval)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backcare.ingest.base import IdAllocator, clean_question, join_blocks, slugify


def test_clean_question() -> None:
    assert clean_question("Q3: **What is (are) Back Pain ?**") == "What is (are) Back Pain?"
    assert clean_question("## 2. Why   me?") == "Why me?"


def test_join_blocks_keeps_list_numbering() -> None:
    assert (
        join_blocks(["Try:", "1. ice", "2. heat", "Then rest."])
        == "Try:\n\n1. ice\n2. heat\n\nThen rest."
    )


def test_slugs_are_stable_readable_and_unique() -> None:
    ids = IdAllocator()
    ids.reserve(["why-me"])
    assert ids.slug("Why me?") == "why-me-2"
    assert ids.slug("Why   ME?") == "why-me-3"
    assert slugify("What to do when you can’t move?") == "what-to-do-when-you-cant-move"
    assert slugify("腰痛？") == slugify("腰痛？") and slugify("腰痛？").startswith("q-")


@given(st.text(min_size=1))
def test_slugs_fit_entry_ids(text: str) -> None:
    slug = slugify(text)
    assert 0 < len(slug) <= 60 and slug == slug.strip("-")
