"""The Markdown reader."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backcare.errors import IngestError
from backcare.ingest.markdown import read_markdown, strip_inline


def test_statement_headings_are_questions_when_none_end_in_a_question_mark() -> None:
    text = "# Clinic FAQ\n\n## Opening hours\nWe open at 8am.\n\n## Parking\nFree at the back.\n"
    result = read_markdown(text, file="f.md")
    assert [e.question for e in result.entries] == ["Opening hours", "Parking"]
    assert result.items[0].reason == "section heading, not a question"


def test_setext_headings_and_bold_lines() -> None:
    text = "Can I swim?\n-----------\nYes.\n\n__Can I run?__\n\nLater.\n"
    entries = read_markdown(text, file="f.md").entries
    assert [(e.question, e.answer) for e in entries] == [
        ("Can I swim?", "Yes."),
        ("Can I run?", "Later."),
    ]


def test_inline_markup_is_reduced_to_words() -> None:
    line = "See **[the NHS](https://nhs.uk)** and `code`, ![img](x.png) *now*"
    assert strip_inline(line) == "See the NHS and code, now"


def test_no_headings_falls_back_to_question_lines() -> None:
    entries = read_markdown("Is it bad?\nNo.\n", file="f.md").entries
    assert entries[0].question == "Is it bad?"


@given(st.text(alphabet=st.sampled_from("#*_-=`>[]()!?1. \nabcQ:"), max_size=300))
def test_markdown_like_noise_reads_or_fails_cleanly(text: str) -> None:
    try:
        read_markdown(text, file="fuzz.md")
    except IngestError:
        pass
