"""The plain-text reader, above all on the seed page."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from backcare.errors import IngestError
from backcare.ingest import read_faq
from backcare.ingest.text import read_text
from backcare.retrieval.tokenize import normalise_text

SEED = Path(__file__).parent / "cases" / "back-spasms-faq.txt"
SEED_IDS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "seed_entries.json"


def test_seed_page_gives_its_sixteen_questions_in_order() -> None:
    result = read_faq(SEED)
    questions = [entry.question for entry in result.entries]
    assert len(questions) == 16
    assert questions[0] == "What helps lower back spasms immediately?"
    assert questions[-1] == "How do you stop back spasms?"
    if SEED_IDS.exists():
        expected = [normalise_text(q) for q in json.loads(SEED_IDS.read_text("utf-8")).values()]
        assert questions == expected


def test_seed_page_drops_title_junk_and_repeat() -> None:
    result = read_faq(SEED)
    answers = " ".join(entry.answer for entry in result.entries)
    assert "Helpful tips" not in answers
    assert "Share on Pinterest" not in answers
    reasons = {item.line: item.reason for item in result.items}
    assert reasons[1].startswith("text before the first question")
    assert reasons[3] == "repeated question, answered on line 5"


def test_numbered_lists_keep_their_numbers() -> None:
    seizes = read_faq(SEED).entries[3]
    assert (
        seizes.answer.splitlines()[2] == "1. Short period of rest. A painful back muscle "
        "spasm can make it difficult to perform daily activities or even move."
    )
    assert "6. Muscle relaxants." in seizes.answer


def test_origin_is_file_and_line() -> None:
    result = read_text("Title\n\nWhy?\nBecause.\n", file="faq.txt")
    assert result.entries[0].origin == "faq.txt:3"


def test_question_without_answer_is_reported() -> None:
    result = read_text("Is it bad?\n\nIs it good?\nYes.\n", file="f.txt")
    assert [e.question for e in result.entries] == ["Is it good?"]
    assert result.items[0].reason == "question without an answer"


def test_same_question_same_answer_twice_is_one_entry() -> None:
    result = read_text("Why?\nBecause.\n\nWhy?\nBecause.\n", file="f.txt")
    assert len(result.entries) == 1
    assert result.items[0].line == 4


def test_ids_are_slugged_and_unique() -> None:
    text = "Can I run?\nYes.\n\nCan I run?\nNo, rest first.\n"
    result = read_text(text, file="f.txt")
    assert [entry.id for entry in result.entries] == ["can-i-run", "can-i-run-2"]
    (warning,) = result.items
    assert (warning.kind, warning.line, warning.entry_id) == ("warning", 4, "can-i-run-2")
    assert "line 1" in warning.reason


@given(st.text(max_size=400))
def test_any_text_reads_or_fails_cleanly(text: str) -> None:
    try:
        result = read_text(text, file="fuzz.txt")
    except IngestError:
        return
    for entry in result.entries:
        assert entry.question.endswith("?")
        assert entry.answer.strip() == entry.answer
