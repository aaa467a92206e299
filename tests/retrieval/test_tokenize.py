"""The one text normaliser (questions and ingested text) and the analyser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcare.retrieval.tokenize import Analyzer, normalise_text, words


def test_normalise_straightens_quotes_and_collapses_space() -> None:
    assert normalise_text("  can\u2019t   move\u00a0\n now ") == "can't move now"
    assert normalise_text("\uff21") == "A"  # NFKC folds full-width letters


def test_normalise_keeping_lines() -> None:
    assert (
        normalise_text("\ufeff“Don’t”\u00a0  panic\u200b\r\n\r\n\r\n ﬁne ", keep_lines=True)
        == '"Don\'t" panic\n\nfine'
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "\u00abice\u00bb or \u201fheat\u201d",
            '"ice" or "heat"',
        ),  # guillemets, reversed
        ("it\u02bcs stiff", "it's stiff"),
        ("spa\u00adsm\u200b", "spasm"),  # soft hyphen and zero-width space dropped
        ("ice \u2013 then heat \u2014 gently", "ice \u2013 then heat \u2014 gently"),  # dashes kept
        ("line one\r\nline two", "line one line two"),
    ],
)
def test_one_table_for_questions_and_documents(raw: str, clean: str) -> None:
    assert normalise_text(raw) == clean
    assert normalise_text(raw, keep_lines=True).replace("\n", " ") == clean


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    for keep_lines in (False, True):
        once = normalise_text(text, keep_lines=keep_lines)
        assert normalise_text(once, keep_lines=keep_lines) == once


@given(st.text())
def test_one_line_is_the_kept_lines_folded(text: str) -> None:
    assert normalise_text(text) == " ".join(normalise_text(text, keep_lines=True).split())


def test_terms_drop_stopwords_and_stem() -> None:
    terms = Analyzer().terms("What helps my back spasms when I'm lying down?")
    assert terms == ["help", "back", "spasm", "when", "lie", "down"]


def test_words_keep_contractions_together() -> None:
    assert words("I can't pee") == ["i", "can't", "pee"]
