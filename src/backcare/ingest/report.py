"""What an ingest did with every question it saw: added, merged, skipped or in conflict,
plus warnings about a file as a whole (columns it has that are not read).

Every item names the file and line it came from, so a maintainer can open the
document and fix it. The report is a pydantic model and serialises to JSON
(``report.model_dump_json()``) for the CLI's ``--json`` output.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

__all__ = ["IngestReport", "ItemKind", "ReportItem"]

ItemKind = Literal["added", "merged", "skipped", "conflict", "warning"]


class ReportItem(BaseModel):
    """One thing that happened to one question (or one line) of an input file.

    ``kind`` is ``added`` (a new entry), ``merged`` (became alternate questions
    of ``other_id``), ``skipped`` (dropped: junk, no answer, exact duplicate,
    unreadable row) or ``conflict`` (the same question with a different answer
    than ``other_id``; never merged silently) or ``warning`` (nothing was
    dropped, but something needs a look: the file holds something ingest does
    not read, such as a CSV column of no known name, said once on the line that
    shows it; or the entry's id, ``other_id``, was taken, so it got a ``-2``
    style suffix, ``entry_id``, that depends on the order of the input).
    ``line`` is 1-based; ``None`` when a whole file is meant.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ItemKind
    reason: str
    file: str
    line: int | None = None
    entry_id: str | None = None
    other_id: str | None = None
    question: str | None = None

    @property
    def where(self) -> str:
        """``file:line``, or just the file when no line is known."""
        return self.file if self.line is None else f"{self.file}:{self.line}"


class IngestReport(BaseModel):
    """Everything one ingest run did, with counts by kind."""

    # "ignore" so the JSON, which carries the computed counts, reads back in.
    model_config = ConfigDict(frozen=True, extra="ignore")

    files: tuple[str, ...] = ()
    entries: int = 0
    items: tuple[ReportItem, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def added(self) -> int:
        """How many entries were added."""
        return self._count("added")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def merged(self) -> int:
        """How many questions became alternates of another entry."""
        return self._count("merged")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def skipped(self) -> int:
        """How many questions or lines were dropped."""
        return self._count("skipped")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def conflicts(self) -> int:
        """How many questions had an answer that disagrees with an earlier one."""
        return self._count("conflict")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warnings(self) -> int:
        """How many warnings: CSV columns not read, ids taken so an entry got a suffix."""
        return self._count("warning")

    def of_kind(self, kind: ItemKind) -> tuple[ReportItem, ...]:
        """The items of one kind, in input order."""
        return tuple(item for item in self.items if item.kind == kind)

    def _count(self, kind: ItemKind) -> int:
        return sum(1 for item in self.items if item.kind == kind)
