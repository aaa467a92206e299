"""Entries read lazily from entries.jsonl: the Sequence protocol, the cache, damage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from backcare import FaqEntry, KnowledgePackError
from backcare.model import Source
from backcare.retrieval import entries as entries_module
from backcare.retrieval.entries import (
    ENTRIES_FILE,
    IDS_FILE,
    OFFSETS_FILE,
    EntryFile,
    write_entries,
)

# Varied lengths, non-ASCII text, line breaks inside answers and optional
# fields, so an off-by-one offset or a lost byte shows up as a wrong entry.
ENTRIES = tuple(
    FaqEntry(
        id=f"e{n}",
        question=f"Question {n}: does {'é' * n} help?",
        alternates=tuple(f"alt {n}.{k}" for k in range(n % 3)),
        answer=f"Answer {n}.\n" + "Rückenschmerzen. " * (n * 7 % 23 + 1),
        sources=(Source(title="NHS", url=f"https://example.org/{n}"),) if n % 4 == 0 else (),
    )
    for n in range(40)
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert write_entries(tmp_path, ENTRIES) == len(ENTRIES)
    return tmp_path


@pytest.fixture
def lazy(folder: Path) -> Iterator[EntryFile]:
    entries = EntryFile.open(folder)
    yield entries
    entries.close()


def test_the_files_hold_one_line_an_entry_and_its_start(folder: Path) -> None:
    data = (folder / ENTRIES_FILE).read_bytes()
    offsets = np.load(folder / OFFSETS_FILE)
    assert offsets.dtype == np.int64
    assert len(data.splitlines()) == len(offsets) == len(ENTRIES)
    assert all(offset == 0 or data[offset - 1 : offset] == b"\n" for offset in offsets.tolist())
    assert json.loads((folder / IDS_FILE).read_text(encoding="utf-8")) == [e.id for e in ENTRIES]


def test_lazy_entries_equal_the_written_ones(lazy: EntryFile) -> None:
    assert len(lazy) == len(ENTRIES)
    assert list(lazy) == list(ENTRIES)
    assert [lazy[i] for i in range(len(ENTRIES))] == list(ENTRIES)
    assert lazy.ids == tuple(e.id for e in ENTRIES)


def test_negative_and_numpy_indexes(lazy: EntryFile) -> None:
    assert lazy[-1] == ENTRIES[-1]
    assert lazy[-len(ENTRIES)] == ENTRIES[0]
    assert lazy[np.int64(7)] == ENTRIES[7]  # type: ignore[call-overload]
    for bad in (len(ENTRIES), -len(ENTRIES) - 1):
        with pytest.raises(IndexError):
            lazy[bad]


@pytest.mark.parametrize(
    "cut",
    [
        slice(0, 3),
        slice(5, 17),
        slice(35, 100),
        slice(100, 200),
        slice(9, 2),
        slice(None, None, 3),
        slice(None, None, -1),
        slice(-4, None),
    ],
)
def test_slices_are_lists_like_the_tuple_gives(lazy: EntryFile, cut: slice) -> None:
    page = lazy[cut]
    assert isinstance(page, list)
    assert page == list(ENTRIES[cut])


def test_sequence_helpers_work(lazy: EntryFile) -> None:
    assert ENTRIES[12] in lazy
    assert lazy.index(ENTRIES[12]) == 12
    assert list(reversed(lazy)) == list(reversed(ENTRIES))


def test_small_blocks_and_lines_longer_than_a_block(
    lazy: EntryFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every line is longer than 64 bytes, and blocks of 300 hold a few lines,
    # so both ways a block ends are taken.
    for size in (64, 300):
        monkeypatch.setattr(entries_module, "_BLOCK_BYTES", size)
        assert list(lazy) == list(ENTRIES)
        assert lazy[3:31] == list(ENTRIES[3:31])


def test_an_entry_is_parsed_once_while_it_stays_cached(
    lazy: EntryFile, parses: list[object]
) -> None:
    assert lazy[5] == ENTRIES[5]
    assert lazy[5] is lazy[-35]
    assert len(parses) == 1


def test_indexing_parses_only_that_entry(lazy: EntryFile, parses: list[object]) -> None:
    lazy[20]
    assert len(parses) == 1
    assert json.loads(parses[0])["id"] == "e20"  # type: ignore[arg-type]


def test_the_cache_is_bounded(folder: Path, parses: list[object]) -> None:
    lazy = EntryFile.open(folder, cache_size=4)
    try:
        for i in range(len(ENTRIES)):
            lazy[i]
        lazy[0]  # pushed out long ago
        assert len(parses) == len(ENTRIES) + 1
    finally:
        lazy.close()


def test_opening_parses_nothing(folder: Path, parses: list[object]) -> None:
    lazy = EntryFile.open(folder)
    assert len(lazy) == len(ENTRIES)
    assert lazy.ids[-1] == "e39"
    assert parses == []
    lazy.close()


def test_threads_read_the_right_entries(lazy: EntryFile) -> None:
    start = threading.Barrier(8)

    def read(worker: int) -> bool:
        start.wait()
        order = range(len(ENTRIES)) if worker % 2 else range(len(ENTRIES) - 1, -1, -1)
        singles = all(lazy[i] == ENTRIES[i] for i in order)
        return singles and list(lazy) == list(ENTRIES)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(read, range(8)))


def _rewrite_line(folder: Path, index: int, text: bytes) -> None:
    """Overwrite entry ``index``'s line in place with ``text``, padded to its length."""
    path = folder / ENTRIES_FILE
    data = bytearray(path.read_bytes())
    offsets = np.load(folder / OFFSETS_FILE).tolist()
    start, end = offsets[index], offsets[index + 1]
    assert len(text) < end - start
    data[start:end] = text.ljust(end - start - 1) + b"\n"
    path.write_bytes(bytes(data))


def test_a_damaged_line_names_the_folder_and_the_entry(folder: Path) -> None:
    _rewrite_line(folder, 2, b"{not json")
    lazy = EntryFile.open(folder)
    assert lazy[1] == ENTRIES[1]
    with pytest.raises(KnowledgePackError, match=r"entry 2 \(line 3 of entries.jsonl\)") as err:
        lazy[2]
    assert str(folder) in str(err.value)
    assert "rebuild" in str(err.value)
    with pytest.raises(KnowledgePackError, match="entry 2"):
        list(lazy)
    with pytest.raises(KnowledgePackError, match="entry 2"):
        lazy[0:5]
    lazy.close()


def test_a_line_that_is_json_but_no_entry_is_damaged(folder: Path) -> None:
    _rewrite_line(folder, 0, b'{"id": "e0"}')
    lazy = EntryFile.open(folder)
    with pytest.raises(KnowledgePackError, match="entry 0 .* damaged"):
        lazy[0]
    lazy.close()


def test_a_line_with_another_id_is_inconsistent(folder: Path) -> None:
    ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
    ids[3] = "someone-else"
    (folder / IDS_FILE).write_text(json.dumps(ids), encoding="utf-8")
    lazy = EntryFile.open(folder)
    with pytest.raises(KnowledgePackError, match="inconsistent"):
        lazy[3]
    lazy.close()


@pytest.mark.parametrize("name", [ENTRIES_FILE, OFFSETS_FILE, IDS_FILE])
def test_a_missing_file_is_refused(folder: Path, name: str) -> None:
    (folder / name).unlink()
    with pytest.raises(KnowledgePackError, match="damaged.*rebuild"):
        EntryFile.open(folder)


def test_counts_that_disagree_are_refused(folder: Path) -> None:
    ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
    (folder / IDS_FILE).write_text(json.dumps(ids[:-1]), encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="inconsistent"):
        EntryFile.open(folder)


def test_a_cut_off_entries_file_is_refused(folder: Path) -> None:
    path = folder / ENTRIES_FILE
    last = int(np.load(folder / OFFSETS_FILE)[-1])
    path.write_bytes(path.read_bytes()[:last])
    with pytest.raises(KnowledgePackError, match="damaged"):
        EntryFile.open(folder)


@pytest.mark.parametrize(
    "offsets",
    [
        np.zeros(len(ENTRIES), dtype=np.int64),
        np.arange(len(ENTRIES), dtype=np.int64) + 1,
        np.arange(len(ENTRIES), dtype=np.float64),
        np.zeros((len(ENTRIES), 1), dtype=np.int64),
    ],
    ids=["not-ascending", "not-from-zero", "floats", "2-d"],
)
def test_offsets_that_do_not_fit_are_refused(folder: Path, offsets: np.ndarray) -> None:
    np.save(folder / OFFSETS_FILE, offsets)
    with pytest.raises(KnowledgePackError, match="rebuild"):
        EntryFile.open(folder)


@pytest.mark.parametrize("text", ["{not json", '{"ids": []}', "[1, 2]", ""])
def test_a_bad_ids_file_is_refused(folder: Path, text: str) -> None:
    (folder / IDS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="damaged"):
        EntryFile.open(folder)


def test_a_closed_file_is_not_read(folder: Path) -> None:
    lazy = EntryFile.open(folder)
    lazy.close()
    with pytest.raises(KnowledgePackError, match="closed"):
        lazy[0]


def test_entries_stay_readable_after_the_folder_is_deleted(folder: Path) -> None:
    # A rebuild deletes old versions; a process still serving one keeps reading it.
    lazy = EntryFile.open(folder)
    for name in (ENTRIES_FILE, OFFSETS_FILE, IDS_FILE):
        (folder / name).unlink()
    assert lazy[-1] == ENTRIES[-1]
    assert list(lazy) == list(ENTRIES)
    lazy.close()
