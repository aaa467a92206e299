"""The analyser shared by indexing and querying."""

from __future__ import annotations

from backcare.retrieval.tokenize import Analyzer, normalise_text, words


def test_normalise_straightens_quotes_and_collapses_space() -> None:
    assert normalise_text("  can\u2019t   move\u00a0\n now ") == "can't move now"
    assert normalise_text("\uff21") == "A"  # NFKC folds full-width letters


def test_terms_drop_stopwords_and_stem() -> None:
    terms = Analyzer().terms("What helps my back spasms when I'm lying down?")
    assert terms == ["help", "back", "spasm", "when", "lie", "down"]


def test_words_keep_contractions_together() -> None:
    assert words("I can't pee") == ["i", "can't", "pee"]
