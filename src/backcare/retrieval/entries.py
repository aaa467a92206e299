"""A knowledge base's entries, read from disk one at a time when asked for.

Parsing every line of ``entries.jsonl`` into ``FaqEntry`` objects at load
costs about 170 MB and seconds of start-up on a 47,000-entry knowledge base,
yet a query only ever shows a handful of entries. So a version folder also
holds where each line starts (``entry_offsets.npy``) and the ids in order
(``entry_ids.json``); :class:`EntryFile` keeps those, plus one open file
descriptor, and reads and parses a line only when it is indexed, keeping the
last few hundred it parsed.

Lines are read with ``os.pread`` on the kept descriptor: it has no shared file
position, so the API's worker threads can read at once without a lock, and a
version folder that a rebuild deletes stays readable until the process lets go.
The text file is deliberately not memory-mapped: mapped pages count towards
the process's resident memory, which is what this module exists to keep small.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np
from pydantic import ValidationError

from backcare.errors import KnowledgePackError
from backcare.model import FaqEntry
from backcare.retrieval._damage import DAMAGED_FILE_ERRORS

__all__ = ["ENTRIES_FILE", "IDS_FILE", "OFFSETS_FILE", "EntryFile", "write_entries"]

ENTRIES_FILE = "entries.jsonl"
OFFSETS_FILE = "entry_offsets.npy"
IDS_FILE = "entry_ids.json"
# Enough for the hits of many recent queries (each shows up to top_k entries).
CACHE_SIZE = 256
# Iteration and slices read consecutive lines in blocks of about this size, one
# system call each, rather than one call per line.
_BLOCK_BYTES = 1 << 20


def write_entries(folder: Path, entries: Iterable[FaqEntry]) -> int:
    """Write ``entries`` as ``entries.jsonl`` with its offsets and ids into ``folder``.

    Returns:
        The number of entries written.
    """
    offsets: list[int] = []
    ids: list[str] = []
    position = 0
    with (folder / ENTRIES_FILE).open("wb") as out:
        for entry in entries:
            # JSON escapes newlines inside strings, so each entry is exactly one line.
            line = entry.model_dump_json(exclude_none=True).encode("utf-8") + b"\n"
            offsets.append(position)
            ids.append(entry.id)
            out.write(line)
            position += len(line)
    np.save(folder / OFFSETS_FILE, np.asarray(offsets, dtype=np.int64))
    (folder / IDS_FILE).write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    return len(ids)


class EntryFile(Sequence[FaqEntry]):
    """The entries of one knowledge-base version folder, parsed on demand.

    Read-only and safe to share between threads. Integer indexes (negative
    too) go through a small cache of recently parsed entries; slices and
    iteration read straight from the file, so paging through every entry does
    not push the hot ones out of the cache.
    """

    def __init__(
        self,
        folder: Path,
        offsets: np.ndarray,
        ids: Sequence[str],
        *,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        """Open ``folder``'s ``entries.jsonl``; prefer :meth:`open`, which checks the files.

        Args:
            folder: the version folder holding ``entries.jsonl``.
            offsets: the byte offset where each entry's line starts, ascending.
            ids: each entry's id, in order; a line whose id differs is refused.
            cache_size: how many parsed entries to keep.

        Raises:
            KnowledgePackError: ``entries.jsonl`` cannot be opened.
        """
        self._lines = _Lines(folder, offsets, ids)
        # The cache wraps the reader, not a method of self, so no reference
        # cycle delays closing the file until a garbage collection.
        self._cached = functools.lru_cache(maxsize=cache_size)(self._lines.parse_one)

    @classmethod
    def open(cls, folder: Path, *, cache_size: int = CACHE_SIZE) -> EntryFile:
        """The entries of version folder ``folder``, after checking its files agree.

        Only the offsets and ids are read; no entry is parsed.

        Raises:
            KnowledgePackError: a file is missing or unreadable, or the files
                disagree (counts, offsets past the end of ``entries.jsonl``).
        """
        try:
            offsets = np.load(folder / OFFSETS_FILE, allow_pickle=False)
            ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
        except DAMAGED_FILE_ERRORS as exc:
            raise KnowledgePackError(
                f"{folder}: knowledge base is damaged ({exc}); rebuild it"
            ) from exc
        if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise KnowledgePackError(
                f"{folder}: knowledge base is damaged ({IDS_FILE} is not a list of ids); rebuild it"
            )
        if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or len(offsets) != len(ids):
            raise KnowledgePackError(
                f"{folder}: knowledge base is inconsistent ({OFFSETS_FILE} and {IDS_FILE} "
                "disagree); rebuild it"
            )
        entries = cls(folder, offsets, ids, cache_size=cache_size)
        if not entries._lines.offsets_fit():
            entries.close()
            raise KnowledgePackError(
                f"{folder}: knowledge base is damaged ({ENTRIES_FILE} does not match "
                f"{OFFSETS_FILE}: cut off or rewritten?); rebuild it"
            )
        return entries

    @property
    def ids(self) -> tuple[str, ...]:
        """Every entry's id, in order, without parsing any entry."""
        return self._lines.ids

    def close(self) -> None:
        """Let go of the file now rather than when this object is collected."""
        self._lines.close()

    def __len__(self) -> int:
        return len(self._lines.ids)

    @overload
    def __getitem__(self, index: int) -> FaqEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[FaqEntry]: ...

    def __getitem__(self, index: int | slice) -> FaqEntry | list[FaqEntry]:
        """One entry (negative indexes count from the end), or a list for a slice.

        Raises:
            IndexError: the index is out of range.
            KnowledgePackError: the entry's line is damaged or unreadable.
        """
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return list(self._lines.read_range(start, stop))
            return [self._lines.parse_one(i) for i in range(start, stop, step)]
        # operator.index: the retriever indexes with numpy integers.
        position = operator.index(index)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(f"entry index {index} out of range ({len(self)} entries)")
        return self._cached(position)

    def __iter__(self) -> Iterator[FaqEntry]:
        return self._lines.read_range(0, len(self))

    def __repr__(self) -> str:
        return f"EntryFile({str(self._lines.path)!r}, {len(self)} entries)"


class _Lines:
    """The open ``entries.jsonl`` of one folder: reads and parses lines by number.

    Iterators hold this rather than the :class:`EntryFile`, and the file is
    closed when the last holder lets go.
    """

    def __init__(self, folder: Path, offsets: np.ndarray, ids: Sequence[str]) -> None:
        self.folder = folder
        self.path = folder / ENTRIES_FILE
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise KnowledgePackError(
                f"{folder}: knowledge base is damaged ({ENTRIES_FILE}: "
                f"{exc.strerror or exc}); rebuild it"
            ) from exc
        self._fd = fd
        self.close = weakref.finalize(self, os.close, fd)
        self._size = os.fstat(fd).st_size
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self.ids = tuple(ids)

    def offsets_fit(self) -> bool:
        """Whether the offsets start at 0, ascend, and stay inside the file."""
        starts = self._offsets
        if not len(starts):
            return True
        return bool(starts[0] == 0 and np.all(np.diff(starts) > 0) and starts[-1] < self._size)

    def parse_one(self, index: int) -> FaqEntry:
        start = int(self._offsets[index])
        return self._parse(index, self._pread(start, self._end(index) - start))

    def read_range(self, start: int, stop: int) -> Iterator[FaqEntry]:
        """Entries ``start`` to ``stop`` (exclusive), reading about a block at a time."""
        index = start
        while index < stop:
            base = int(self._offsets[index])
            # The lines starting before the block boundary make up this block: at
            # least this one, so a line longer than a block gets a block of its own.
            upto = min(int(np.searchsorted(self._offsets, base + _BLOCK_BYTES)), stop)
            block = self._pread(base, self._end(upto - 1) - base)
            for i in range(index, upto):
                line = block[int(self._offsets[i]) - base : self._end(i) - base]
                yield self._parse(i, line)
            index = upto

    def _end(self, index: int) -> int:
        """Where entry ``index``'s line ends (exclusive)."""
        return int(self._offsets[index + 1]) if index + 1 < len(self.ids) else self._size

    def _pread(self, offset: int, length: int) -> bytes:
        if not self.close.alive:
            # Closed: the descriptor's number may already belong to another file.
            raise KnowledgePackError(f"{self.folder}: {ENTRIES_FILE} was closed")
        chunks: list[bytes] = []
        got = 0
        try:
            while got < length:
                chunk = os.pread(self._fd, length - got, offset + got)
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
        except OSError as exc:
            raise KnowledgePackError(
                f"{self.folder}: cannot read {ENTRIES_FILE} ({exc.strerror or exc}); rebuild it"
            ) from exc
        if got < length:
            raise KnowledgePackError(
                f"{self.folder}: {ENTRIES_FILE} is shorter than its offsets say "
                "(cut off?); rebuild it"
            )
        return b"".join(chunks)

    def _parse(self, index: int, line: bytes) -> FaqEntry:
        try:
            entry = FaqEntry.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]["msg"] if exc.error_count() else str(exc)
            raise KnowledgePackError(
                f"{self.folder}: entry {index} (line {index + 1} of {ENTRIES_FILE}) is "
                f"damaged ({first}); rebuild it"
            ) from exc
        if entry.id != self.ids[index]:
            raise KnowledgePackError(
                f"{self.folder}: entry {index} (line {index + 1} of {ENTRIES_FILE}) has id "
                f"{entry.id!r}, but {IDS_FILE} says {self.ids[index]!r}; the knowledge base "
                "is inconsistent; rebuild it"
            )
        return entry
