"""Plain-text FAQ pages in the seed page's shape: question lines ending in ``?``, then answers.

An answer is every paragraph and list below its question up to the next
question. Text above the first question (the page title) and page furniture
("Share on Pinterest", "Advertisement") are dropped and reported. A question
repeated straight after itself, or repeated with the same answer, is one entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backcare.ingest.base import (
    IdAllocator,
    ReadResult,
    clean_question,
    is_junk_line,
    is_list_item,
    join_blocks,
    make_entry,
    numbered_lines,
    skipped,
    strip_junk_prefix,
    text_key,
)
from backcare.ingest.report import ReportItem
from backcare.model import FaqEntry
from backcare.retrieval.tokenize import normalise_text

__all__ = ["QuestionBlock", "assemble", "looks_like_question", "read_text"]

_MAX_QUESTION_WORDS = 30
_ANSWER_PREFIX = re.compile(r"^a(?:nswer)?\s*[:.)-]\s+", re.IGNORECASE)


def looks_like_question(line: str) -> bool:
    """A short line that ends in ``?`` and is not a list item."""
    return (
        line.endswith("?")
        and len(line.split()) <= _MAX_QUESTION_WORDS
        and not is_list_item(line)
        and len(clean_question(line)) > 1
    )


@dataclass
class QuestionBlock:
    """A question and the answer blocks found under it, before ids are given."""

    question: str
    line: int
    blocks: list[str] = field(default_factory=list)


def read_text(text: str, *, file: str) -> ReadResult:
    """Read a plain-text FAQ.

    Args:
        text: the decoded document.
        file: where it came from, for ``origin`` and the report.

    Returns:
        One entry per distinct question that has an answer.
    """
    found: list[QuestionBlock] = []
    items: list[ReportItem] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph and found:
            found[-1].blocks.append(" ".join(paragraph))
        paragraph.clear()

    for lineno, raw in numbered_lines(text):
        line = normalise_text(raw)
        if not line:
            flush()
            continue
        if is_junk_line(line):
            items.append(skipped("page furniture, not FAQ text", file, lineno, line[:200]))
            continue
        if strip_junk_prefix(line) != line:
            items.append(skipped("page furniture caption removed", file, lineno, line[:60]))
            line = strip_junk_prefix(line)
        if looks_like_question(line):
            flush()
            found.append(QuestionBlock(clean_question(line), lineno))
        elif not found:
            items.append(skipped("text before the first question (page title)", file, lineno, line))
        elif is_list_item(line):
            flush()
            found[-1].blocks.append(line)
        elif (
            raw[:1].isspace()
            and not paragraph
            and found[-1].blocks
            and is_list_item(found[-1].blocks[-1])
        ):
            found[-1].blocks[-1] += " " + line  # indented continuation of a list item
        else:
            if not paragraph and not found[-1].blocks:
                line = _ANSWER_PREFIX.sub("", line)
            paragraph.append(line)
    flush()
    entries, more = assemble(found, file=file)
    return ReadResult(tuple(entries), tuple(items + more), file=file, format="text")


def assemble(found: list[QuestionBlock], *, file: str) -> tuple[list[FaqEntry], list[ReportItem]]:
    """Turn question blocks into entries, folding repeats and reporting unanswered questions.

    Shared by the text and Markdown readers.
    """
    answered: dict[str, tuple[int, str]] = {}
    for block in found:
        answer = join_blocks(block.blocks)
        if answer and text_key(block.question) not in answered:
            answered[text_key(block.question)] = (block.line, answer)
    ids = IdAllocator()
    entries: list[FaqEntry] = []
    items: list[ReportItem] = []
    for block in found:
        key = text_key(block.question)
        answer = join_blocks(block.blocks)
        first = answered.get(key)
        if not answer:
            reason = (
                f"repeated question, answered on line {first[0]}"
                if first
                else "question without an answer"
            )
            items.append(skipped(reason, file, block.line, block.question))
        elif first and first[0] != block.line and first[1] == answer:
            items.append(
                skipped(
                    f"repeated question, same answer as line {first[0]}",
                    file,
                    block.line,
                    block.question,
                )
            )
        else:
            entry_id, clash = ids.slug_at(block.question, file=file, line=block.line)
            if clash is not None:
                items.append(clash)
            entries.append(
                make_entry(
                    entry_id=entry_id,
                    question=block.question,
                    answer=answer,
                    file=file,
                    line=block.line,
                )
            )
    return entries, items
