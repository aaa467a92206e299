"""Spelling repair against the knowledge base's vocabulary."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backcare.retrieval.spelling import SpellFixer

VOCAB = ["spasm", "spasms", "spasms", "long", "long", "last", "back", "ibuprofen", "stretch"]


def test_repairs_one_edit_typos() -> None:
    fixer = SpellFixer(VOCAB)
    assert fixer.fix("spazms") == "spasms"  # substitution
    assert fixer.fix("lng") == "long"  # insertion
    assert fixer.fix("ibuprofin") == "ibuprofen"
    assert fixer.fix("strech") == "stretch"  # deletion
    assert fixer.fix("bakc") == "back"  # transposition


def test_leaves_known_short_and_far_words_alone() -> None:
    fixer = SpellFixer(VOCAB)
    assert fixer.fix("back") == "back"
    assert fixer.fix("ok") == "ok"
    assert fixer.fix("knee") == "knee"
    assert fixer.fix("can't") == "can't"


def test_prefers_the_more_frequent_word() -> None:
    fixer = SpellFixer(["cast", "last", "last"])
    assert fixer.fix("bast") == "last"


@given(
    st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=8), max_size=20),
    st.text(max_size=12),
)
def test_never_raises_and_known_words_are_kept(vocab: list[str], word: str) -> None:
    fixer = SpellFixer(vocab)
    fixed = fixer.fix(word)
    if word in fixer:
        assert fixed == word
    assert isinstance(fixed, str)


def test_a_dropped_double_letter_beats_a_more_frequent_word() -> None:
    fixer = SpellFixer(["manage"] * 5 + ["massage"])
    assert fixer.fix("masage") == "massage"
