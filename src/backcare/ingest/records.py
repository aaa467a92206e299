"""Field mapping for record formats (CSV/TSV, JSON, JSONL, YAML): one row becomes one entry.

Column and key names are matched loosely (case, spaces and punctuation are
ignored), so the headers hosted FAQ services export all work: ``Question``,
``answer_text``, ``QnA id``, ``Source``, ``Alternate questions``…
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from backcare.ingest.base import (
    IdAllocator,
    ReadResult,
    clean_question,
    join_blocks,
    make_entry,
    skipped,
    text_key,
)
from backcare.ingest.html import html_to_text
from backcare.ingest.report import ReportItem
from backcare.model import FaqEntry, Source
from backcare.retrieval.tokenize import normalise_text

__all__ = ["FIELD_NAMES", "Row", "SHAPES", "build", "field_of", "find_rows", "normalize_key"]

FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "question": ("question", "questions", "q", "question_text", "query", "title", "faq_question"),
    "answer": (
        "answer",
        "answers",
        "a",
        "answer_text",
        "response",
        "réponse",
        "body",
        "content",
        "reply",
    ),
    "id": ("id", "qid", "qna id", "qnaid", "faq_id", "question_id", "article_id", "entry_id"),
    "alternates": (
        "alternates",
        "alternate questions",
        "alternative questions",
        "alternatives",
        "paraphrases",
        "variants",
        "similar questions",
    ),
    "url": ("url", "link", "source_url", "article_url", "html_url", "href"),
    "source": ("source", "source_name", "source_title", "reference"),
}
_MAX_ID = 200
_HTML_HINT = re.compile(r"</?(?:p|br|div|ul|ol|li|strong|em|b|i|a|h[1-6]|span)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def normalize_key(key: str) -> str:
    """A column or key name reduced to lower-case ASCII letters and digits."""
    folded = unicodedata.normalize("NFKD", key.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded)


_LOOKUP = {normalize_key(alias): name for name, aliases in FIELD_NAMES.items() for alias in aliases}


def field_of(key: str) -> str | None:
    """Which entry field a column or key name feeds, if any."""
    return _LOOKUP.get(normalize_key(key))


@dataclass
class Row:
    """One input record, its 1-based line, and its fields after mapping."""

    line: int
    values: Mapping[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, value in self.values.items():
            name = field_of(str(key))
            if name and name not in self.fields and value not in (None, "", [], {}):
                self.fields[name] = value


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return join_blocks(_text(v) for v in value)
    if isinstance(value, dict):
        return _text(value.get("text") or value.get("answer") or "")
    text = "" if value is None else str(value)
    return html_to_text(text) if _HTML_HINT.search(text) else join_blocks(text.split("\n\n"))


def _questions(row: Row) -> tuple[str, list[str]]:
    raw = row.fields.get("question")
    questions = [str(q) for q in raw] if isinstance(raw, list) else [str(raw or "")]
    alternates = row.fields.get("alternates")
    if isinstance(alternates, list):
        questions += [str(a) for a in alternates]
    elif alternates is not None:
        questions += re.split(r"\s*(?:\||\n)\s*", str(alternates))
    cleaned = [clean_question(q) for q in questions]
    first = cleaned[0] if cleaned else ""
    seen = {text_key(first)}
    alts: list[str] = []
    for question in cleaned[1:]:
        if question and text_key(question) not in seen:
            seen.add(text_key(question))
            alts.append(question)
    return first, alts


def _sources(row: Row) -> tuple[list[Source], str | None]:
    """The row's source link, and why its url was dropped when it was."""
    url = normalise_text(str(row.fields.get("url") or ""))
    name = normalise_text(str(row.fields.get("source") or ""))
    if not url and re.match(r"https?://", name):
        url, name = name, ""
    if not url:
        return [], None
    # Said in the report: the entry stays, but its link is gone.
    dropped = f"url {url[:80]!r} dropped: only http and https links are kept"
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": not a URL at all
        return [], dropped
    if parts.scheme.lower() not in ("http", "https"):
        # A javascript: or data: "source" is an attack on whoever renders it as a link.
        return [], dropped
    return [Source(title=name or parts.netloc or url, url=url)], None


def build(rows: Sequence[Row], *, file: str, format: str) -> ReadResult:
    """Entries from mapped rows: explicit ids kept, others slugged; problems reported.

    Rows repeating an earlier id with the same answer add alternate questions
    to it; with a different answer they are reported as a conflict.
    """
    items: list[ReportItem] = []
    ids = IdAllocator()
    for r in rows:
        if "id" in r.fields:
            ids.reserve([str(r.fields["id"]).strip()], r.line)
    by_id: dict[str, int] = {}
    entries: list[FaqEntry] = []
    for row in rows:
        answer = _text(row.fields.get("answer"))
        if not answer:
            shown = normalise_text(str(row.fields.get("question") or ""))[:200] or None
            items.append(skipped("no answer", file, row.line, shown))
            continue
        question, alternates = _questions(row)
        if not question:
            items.append(skipped("no question", file, row.line))
            continue
        given = str(row.fields.get("id", "")).strip()
        if len(given) > _MAX_ID:
            items.append(skipped(f"id longer than {_MAX_ID} characters", file, row.line, question))
            continue
        if given in by_id:
            earlier = entries[by_id[given]]
            if text_key(earlier.answer) != text_key(answer):
                reason = f"id {given!r} repeats {earlier.origin} with a different answer"
                items.append(_same_id("conflict", reason, file, row.line, given, question))
                continue
            known = {text_key(q) for q in earlier.questions()}
            extra = [q for q in (question, *alternates) if text_key(q) not in known]
            entries[by_id[given]] = earlier.model_copy(
                update={"alternates": (*earlier.alternates, *extra)}
            )
            reason = f"same id and answer as {earlier.origin}"
            items.append(_same_id("merged", reason, file, row.line, given, question))
            continue
        entry_id, clash = (
            (given, None) if given else ids.slug_at(question, file=file, line=row.line)
        )
        if clash is not None:
            items.append(clash)
        sources, dropped = _sources(row)
        if dropped is not None:
            items.append(skipped(dropped, file, row.line, question))
        entry = make_entry(
            entry_id=entry_id,
            question=question,
            answer=answer,
            file=file,
            line=row.line,
            alternates=alternates,
            sources=sources,
        )
        if given:
            by_id[given] = len(entries)
        entries.append(entry)
    return ReadResult(tuple(entries), tuple(items), file=file, format=format)


_LIST_KEYS = ("entries", "faqs", "faq", "items", "qnadocuments", "qnalist", "data", "questions")
SHAPES = (
    "a list of FAQ records, an object whose 'entries' key (or 'faqs', 'faq', 'items', "
    "'qnaDocuments', 'qnaList', 'data', 'questions') holds that list, or one record "
    "with a 'question' (records need a question and an answer; README: Ingest)"
)
"""The document shapes ``find_rows`` accepts, for error messages."""


def find_rows(data: Any) -> tuple[list[Any], str | None] | None:
    """The list of records in a parsed JSON/YAML document and the key that holds it.

    Accepts a list of records, one record, or an object whose ``entries``
    (``faqs``, ``items``, QnA Maker's ``qnaDocuments``…) key holds the list.
    """
    if isinstance(data, list):
        return data, None
    if not isinstance(data, dict):
        return None
    keys = {normalize_key(str(k)): k for k in data}
    for wanted in _LIST_KEYS:
        key = keys.get(wanted)
        value = data[key] if key is not None else None
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            return data[key], str(key)
    if any(field_of(str(k)) == "question" for k in data):
        return [data], None
    return None


def _same_id(
    kind: Literal["merged", "conflict"],
    reason: str,
    file: str,
    line: int,
    entry_id: str,
    question: str,
) -> ReportItem:
    """The report item for a row whose id repeats an earlier row's."""
    return ReportItem(
        kind=kind,
        reason=reason,
        file=file,
        line=line,
        entry_id=entry_id,
        other_id=entry_id,
        question=question,
    )
