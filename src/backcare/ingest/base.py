"""What every reader shares: the reader protocol, its result, text clean-up and entry ids.

Readers take decoded text and the file name and return a ``ReadResult``; they
raise ``IngestError`` (naming file and line) and nothing else. Text is cleaned
with ``normalise_text`` (``retrieval/tokenize.py``), the same normaliser
questions go through: NFKC, curly quotes to straight, invisible characters
dropped, whitespace collapsed; the block joining here keeps list numbering.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from backcare.errors import IngestError
from backcare.ingest.report import ReportItem
from backcare.model import FaqEntry
from backcare.retrieval.tokenize import normalise_text

__all__ = [
    "IdAllocator",
    "LineIndex",
    "ReadResult",
    "Reader",
    "clean_question",
    "is_junk_line",
    "is_list_item",
    "join_blocks",
    "make_entry",
    "numbered_lines",
    "renamed",
    "skipped",
    "warning",
    "slugify",
    "strip_junk_prefix",
    "text_key",
]

_LIST_ITEM = re.compile(r"^(?:\d{1,3}[.)]|[-*+\u2022\u25aa\u25cf])\s+")
_QUESTION_PREFIX = re.compile(
    r"^(?:(?:q(?:uestion)?\s*\d*\s*[:.)-]\s*)|(?:\d{1,3}\s*[.)]\s+)|(?:[#>*_\s]+))", re.IGNORECASE
)
_JUNK_PREFIX = re.compile(
    r"^share (?:on|via|to) (?:pinterest|facebook|twitter|x|linkedin|email|whatsapp|reddit)\b\s*",
    re.IGNORECASE,
)
_JUNK_LINE = re.compile(
    r"^(?:advertisement|sponsored|print|email|share|share this( article| page)?|read more|"
    r"back to top|skip to (?:main )?content|sign up|subscribe|related articles?|"
    r"was this (?:article|page|answer) helpful\??|"
    r"(?:accept|reject) (?:all )?cookies?|cookie settings|medically reviewed by .*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReadResult:
    """What a reader produced from one document.

    ``items`` records what the reader dropped or folded together (``skipped``
    and ``merged``); ``added`` items come from the merge step.
    """

    entries: tuple[FaqEntry, ...]
    items: tuple[ReportItem, ...] = ()
    file: str = ""
    format: str = ""


class Reader(Protocol):
    """Turns the decoded text of one document into entries."""

    def __call__(self, text: str, *, file: str) -> ReadResult:
        """Read ``text``, which came from ``file``; raise ``IngestError`` if it cannot be read."""
        ...


def clean_question(text: str) -> str:
    """One-line question without numbering, ``Q:`` prefixes or Markdown marks.

    A space before the final ``?`` is removed (MedQuAD writes ``X ?``).
    """
    question = normalise_text(text)
    prefix = _QUESTION_PREFIX.match(question)
    while prefix:
        question = question[prefix.end() :].lstrip()
        prefix = _QUESTION_PREFIX.match(question)
    question = question.rstrip("*_ ").strip()
    if question[-2:-1] == " ":
        question = question[:-2] + question[-1]
    return question


def text_key(text: str) -> str:
    """Comparison key: case-folded words and digits only, so punctuation and case don't matter."""
    return " ".join(re.findall(r"\w+", normalise_text(text).casefold()))


def is_list_item(line: str) -> bool:
    """Whether ``line`` starts with list numbering or a bullet."""
    return bool(_LIST_ITEM.match(line))


def is_junk_line(line: str) -> bool:
    """Whether a whole line is page furniture (share buttons, ads, cookie prompts)."""
    stripped = line.strip().rstrip(".:!")
    return bool(stripped) and (
        bool(_JUNK_LINE.match(stripped)) or _JUNK_PREFIX.sub("", stripped) == ""
    )


def strip_junk_prefix(line: str) -> str:
    """Drop a leading "Share on Pinterest"-style caption that got glued to a paragraph."""
    return _JUNK_PREFIX.sub("", line)


def join_blocks(blocks: Iterable[str]) -> str:
    """Join paragraphs with a blank line and consecutive list items with a newline."""
    out = ""
    previous_item = False
    for raw in blocks:
        block = normalise_text(raw, keep_lines=True)
        if not block:
            continue
        item = is_list_item(block)
        if out:
            out += "\n" if item and previous_item else "\n\n"
        out += block
        previous_item = item
    return out


def slugify(question: str, max_length: int = 60) -> str:
    """A stable, readable id from a question: lower-case ASCII words joined by ``-``.

    Questions with no ASCII letters get ``q-`` plus a short hash, so the id is
    still stable.
    """
    ascii_text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    ascii_text = ascii_text.replace("'", "")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug:
        digest = hashlib.sha1(question.encode("utf-8", "surrogatepass")).hexdigest()
        slug = f"q-{digest[:10]}"
    return slug


@dataclass
class IdAllocator:
    """Hands out unique entry ids: explicit ones as given, others slugged with ``-2`` suffixes."""

    taken: set[str] = field(default_factory=set)
    # The last suffix handed out per wanted id: a file repeating one question
    # thousands of times (issue 9) costs linear time, not quadratic.
    _last: dict[str, int] = field(default_factory=dict, repr=False)
    # The line each id was reserved or handed out for, named by a rename's warning.
    _lines: dict[str, int | None] = field(default_factory=dict, repr=False)

    def reserve(self, ids: Iterable[str], line: int | None = None) -> None:
        """Mark ids given in the input (on ``line``, if one) as used, so slugs avoid them."""
        for entry_id in ids:
            self.taken.add(entry_id)
            self._lines.setdefault(entry_id, line)

    def slug(self, question: str) -> str:
        """A fresh id for ``question``."""
        return self.unique(slugify(question))

    def slug_at(self, question: str, *, file: str, line: int) -> tuple[str, ReportItem | None]:
        """A fresh id for ``question`` on ``line``, and a warning when its slug was taken.

        The suffixed id depends on the order of the questions in the file, so the
        report says which line holds the slug (``renamed``).
        """
        wanted = slugify(question)
        entry_id = self.unique(wanted)
        self._lines.setdefault(entry_id, line)
        if entry_id == wanted:
            return entry_id, None
        where = self._lines.get(wanted)
        return entry_id, renamed(
            wanted, entry_id, file=file, line=line, question=question, holder=where
        )

    def unique(self, wanted: str) -> str:
        """``wanted`` itself if free, else ``wanted-2``, ``wanted-3``…"""
        candidate, n = wanted, self._last.get(wanted, 1)
        while candidate in self.taken:
            n += 1
            candidate = f"{wanted}-{n}"
        self._last[wanted] = n
        self.taken.add(candidate)
        return candidate


def renamed(
    wanted: str,
    entry_id: str,
    *,
    file: str,
    line: int | None,
    question: str | None,
    holder: int | str | None,
) -> ReportItem:
    """A ``warning`` item: ``wanted`` was taken (by ``holder``: a line or an entry's place),
    so the entry on ``line`` is ``entry_id``.

    Reviews and ratings name entries by id, so a maintainer must see that this
    one's id is not its question's own; ``other_id`` holds the id it wanted.
    """
    if isinstance(holder, int):
        where = f" by the entry on line {holder}"
    elif holder:
        where = f" by {holder}"
    else:
        where = ""
    reason = f"id {wanted!r} is taken{where}, so this entry's id is {entry_id!r}"
    return warning(reason, file, line, entry_id=entry_id, other_id=wanted, question=question)


class LineIndex:
    """Maps character offsets of a text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        """The line that holds ``offset``."""
        return bisect.bisect_right(self._starts, max(offset, 0))


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` pairs, split only on ``\\n`` so numbers match editors."""
    return list(enumerate(text.split("\n"), start=1))


def make_entry(
    *,
    entry_id: str,
    question: str,
    answer: str,
    file: str,
    line: int,
    alternates: Sequence[str] = (),
    sources: Sequence[object] = (),
) -> FaqEntry:
    """Build a ``FaqEntry`` with ``origin="file:line"``; ``IngestError`` if a field is invalid."""
    try:
        return FaqEntry.model_validate(
            {
                "id": entry_id,
                "question": question,
                "answer": answer,
                "alternates": tuple(alternates),
                "sources": tuple(sources),
                "origin": f"{file}:{line}",
            }
        )
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise IngestError(f"{file}:{line}: invalid entry: {exc}") from exc


def skipped(reason: str, file: str, line: int | None, question: str | None = None) -> ReportItem:
    """A ``skipped`` report item."""
    return ReportItem(kind="skipped", reason=reason, file=file, line=line, question=question)


def warning(
    reason: str,
    file: str,
    line: int | None,
    *,
    entry_id: str | None = None,
    other_id: str | None = None,
    question: str | None = None,
) -> ReportItem:
    """A ``warning`` report item: nothing dropped, but something in the file needs a look."""
    about = {"entry_id": entry_id, "other_id": other_id, "question": question}
    return ReportItem(kind="warning", reason=reason, file=file, line=line, **about)
