"""Pure checks over a set of entries, returning every problem found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backcare.model import FaqEntry

__all__ = ["Problem", "validate_entries", "validate_translated_alternates"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: which entry, which field, and what."""

    entry_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"entry '{self.entry_id}', field '{self.field}': {self.message}"


def validate_entries(entries: Sequence[FaqEntry], *, require_sources: bool) -> list[Problem]:
    """Check ids are unique, related ids exist and (for vetted packs) sources are cited.

    Args:
        entries: the entries to check.
        require_sources: True for the shipped pack, whose every entry must cite a
            source; ingested knowledge bases may have none.
    """
    problems: list[Problem] = []
    counts = Counter(entry.id for entry in entries)
    ids = set(counts)
    for entry_id, count in sorted(counts.items()):
        if count > 1:
            problems.append(Problem(entry_id, "id", f"used by {count} entries"))
    for entry in entries:
        for related in entry.related:
            if related not in ids:
                problems.append(Problem(entry.id, "related", f"unknown entry id '{related}'"))
            elif related == entry.id:
                problems.append(Problem(entry.id, "related", "an entry cannot relate to itself"))
        if require_sources and not entry.sources:
            problems.append(Problem(entry.id, "sources", "cites no source"))
        if not entry.answer.strip():
            problems.append(Problem(entry.id, "answer", "is blank"))
    return problems


def validate_translated_alternates(
    entries: Sequence[FaqEntry], code: str, alternates: Mapping[str, Sequence[str]]
) -> list[Problem]:
    """Check one language's translated alternates (``knowledge/alternates.py``).

    Every entry id must be one of ``entries``; every phrasing must be non-blank
    and appear once in the language (the same words under two entries would
    pull a question towards both).

    Args:
        entries: the pack's entries.
        code: the language, named in the problems' field (``alternates.<code>``).
        alternates: entry id → phrasings in that language.
    """
    problems: list[Problem] = []
    ids = {entry.id for entry in entries}
    field = f"alternates.{code}"
    seen: dict[str, str] = {}
    for entry_id, phrasings in alternates.items():
        if entry_id not in ids:
            problems.append(Problem(entry_id, field, "unknown entry id"))
            continue
        if not phrasings:
            problems.append(Problem(entry_id, field, "is an empty list"))
        for text in phrasings:
            key = " ".join(text.casefold().split())
            if not key:
                problems.append(Problem(entry_id, field, "holds a blank phrasing"))
            elif key in seen:
                where = "twice" if seen[key] == entry_id else f"also under '{seen[key]}'"
                problems.append(Problem(entry_id, field, f"'{text}' appears {where}"))
            else:
                seen[key] = entry_id
    return problems
