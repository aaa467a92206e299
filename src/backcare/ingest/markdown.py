"""Markdown FAQs: headings or whole-line bold text are the questions, what follows the answer.

When some headings end in ``?`` only those are questions and the others are
section titles; when none do, every heading below the page title is a
question. A document with no headings or bold lines is read like plain text.
Inline Markdown (links, emphasis, code, images) is reduced to its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backcare.ingest.base import (
    ReadResult,
    clean_question,
    is_junk_line,
    numbered_lines,
    skipped,
    strip_junk_prefix,
)
from backcare.ingest.report import ReportItem
from backcare.ingest.text import QuestionBlock, assemble, looks_like_question
from backcare.retrieval.tokenize import normalise_text

__all__ = ["read_markdown", "strip_inline"]

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+)\1\s*:?\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*)$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")

_INLINE = (
    (re.compile(r"<!--.*?-->"), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]*)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"),
    (re.compile(r"`+([^`]*)`+"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])"), r"\1"),
)


def strip_inline(text: str) -> str:
    """Markdown inline syntax reduced to the words a reader sees."""
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return normalise_text(text)


@dataclass
class _Token:
    kind: str  # heading | bold | item | para | blank
    line: int
    text: str
    level: int = 0


def read_markdown(text: str, *, file: str) -> ReadResult:
    """Read a Markdown FAQ.

    Args:
        text: the decoded document.
        file: where it came from, for ``origin`` and the report.

    Returns:
        One entry per distinct question that has an answer.
    """
    tokens, items = _tokenize(text, file)
    heads = [t for t in tokens if t.kind in ("heading", "bold")]
    if any(t.text.endswith("?") for t in heads):
        is_question = {id(t) for t in heads if t.text.endswith("?")}
    elif heads:
        title = next((t for t in heads if t.kind == "heading"), None)
        is_question = {id(t) for t in heads if t.kind == "heading" and t is not title}
        if title is not None and title.level != 1 and not is_question:
            is_question = {id(title)}
    else:
        is_question = {id(t) for t in tokens if t.kind == "para" and looks_like_question(t.text)}
    found: list[QuestionBlock] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph and found:
            found[-1].blocks.append(" ".join(paragraph))
        paragraph.clear()

    for token in tokens:
        if id(token) in is_question:
            flush()
            question = clean_question(token.text)
            if question:
                found.append(QuestionBlock(question, token.line))
            continue
        if token.kind == "heading" or (token.kind == "bold" and not found):
            flush()
            items.append(skipped("section heading, not a question", file, token.line, token.text))
        elif token.kind == "blank":
            flush()
        elif not found:
            items.append(skipped("text before the first question", file, token.line, token.text))
        elif token.kind == "item":
            flush()
            found[-1].blocks.append(token.text)
        else:
            paragraph.append(token.text)
    flush()
    entries, more = assemble(found, file=file)
    return ReadResult(tuple(entries), tuple(items + more), file=file, format="markdown")


def _tokenize(text: str, file: str) -> tuple[list[_Token], list[ReportItem]]:
    lines = numbered_lines(text)
    tokens: list[_Token] = []
    items: list[ReportItem] = []
    start = 0
    if lines and lines[0][1].strip() == "---":  # YAML front matter
        end = next((i for i, (_, ln) in enumerate(lines[1:], 1) if ln.strip() == "---"), None)
        if end is not None:
            items.append(skipped("front matter", file, 1))
            start = end + 1
    fenced = False
    for index in range(start, len(lines)):
        lineno, raw = lines[index]
        if _FENCE.match(raw):
            fenced = not fenced
            continue
        if fenced:
            if raw.strip():
                tokens.append(_Token("para", lineno, normalise_text(raw)))
            continue
        following = lines[index + 1][1] if index + 1 < len(lines) else ""
        token = _classify(raw, lineno, following)
        if token is None:
            continue
        if token.kind != "blank" and is_junk_line(token.text):
            items.append(skipped("page furniture, not FAQ text", file, lineno, token.text[:200]))
            continue
        token.text = strip_junk_prefix(token.text)
        tokens.append(token)
    return tokens, items


def _classify(raw: str, lineno: int, following: str) -> _Token | None:
    if not raw.strip():
        return _Token("blank", lineno, "")
    if _RULE.match(raw) or _SETEXT.match(raw):
        return _Token("blank", lineno, "")
    atx = _ATX.match(raw)
    if atx:
        return _Token("heading", lineno, strip_inline(atx.group(2) or ""), len(atx.group(1)))
    setext = _SETEXT.match(following)
    if setext and not _BULLET.match(raw) and not raw.startswith(" " * 4):
        level = 1 if setext.group(1).startswith("=") else 2
        return _Token("heading", lineno, strip_inline(raw), level)
    bold = _BOLD_LINE.match(raw)
    if bold and "**" not in bold.group(2) and "__" not in bold.group(2):
        return _Token("bold", lineno, strip_inline(bold.group(2)))
    body = re.sub(r"^\s*(?:>\s?)+", "", raw)
    ordered = _ORDERED.match(body)
    if ordered:
        return _Token("item", lineno, f"{ordered.group(1)}. {strip_inline(ordered.group(2))}")
    bullet = _BULLET.match(body)
    if bullet:
        return _Token("item", lineno, f"- {strip_inline(bullet.group(1))}")
    text = strip_inline(body)
    return _Token("para", lineno, text) if text else None
