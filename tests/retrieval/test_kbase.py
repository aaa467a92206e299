"""Knowledge-base folders: build, atomic save, load, refusal of damaged folders."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from backcare import FaqEntry, HashingEncoder, KnowledgeBase, KnowledgePackError
from backcare.retrieval import kbase
from backcare.retrieval.entries import EntryFile

ENTRIES = [
    FaqEntry(id="heat", question="Does heat help a back spasm?", answer="A warm pack can ease it."),
    FaqEntry(
        id="sleep",
        question="How should I lie in bed?",
        alternates=("best sleeping position for back pain",),
        answer="On your side with a pillow between the knees.",
    ),
]


@pytest.fixture
def built() -> KnowledgeBase:
    return KnowledgeBase.build("test@1", ENTRIES, HashingEncoder())


def test_round_trip_keeps_entries_vectors_and_manifest(
    tmp_path: Path, built: KnowledgeBase
) -> None:
    built.save(tmp_path / "kb")
    loaded = KnowledgeBase.load(tmp_path / "kb", model_id=HashingEncoder().model_id)
    assert isinstance(built.entries, tuple)
    assert isinstance(loaded.entries, EntryFile)
    assert tuple(loaded.entries) == built.entries
    assert np.allclose(loaded.question_vectors, built.question_vectors)
    assert loaded.question_starts.tolist() == [0, 1]
    assert loaded.manifest["entries"] == 2
    assert loaded.name == "test@1"


def test_a_folder_without_current_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    with pytest.raises(KnowledgePackError, match="not a knowledge base"):
        KnowledgeBase.load(tmp_path / "kb")


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgePackError, match="not a folder"):
        KnowledgeBase.load(tmp_path / "nope")


def test_another_model_is_refused(tmp_path: Path, built: KnowledgeBase) -> None:
    built.save(tmp_path / "kb")
    with pytest.raises(KnowledgePackError, match="rebuild"):
        KnowledgeBase.load(tmp_path / "kb", model_id="other-model")


def test_damaged_entries_are_refused(tmp_path: Path, built: KnowledgeBase) -> None:
    built.save(tmp_path / "kb")
    live = kbase.live_version(tmp_path / "kb")
    (live / "entries.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="damaged"):
        KnowledgeBase.load(tmp_path / "kb")


def _many(count: int) -> list[FaqEntry]:
    return [
        FaqEntry(
            id=f"topic-{n}",
            question=f"What about back problem number {n}?",
            alternates=(f"problem {n}",) if n % 2 else (),
            answer=f"Advice for problem {n}: " + "keep moving. " * (n % 5 + 1),
        )
        for n in range(count)
    ]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A saved knowledge base of 30 entries; returns its live version folder."""
    KnowledgeBase.build("many@1", _many(30), HashingEncoder()).save(tmp_path / "kb")
    return kbase.live_version(tmp_path / "kb")


def test_a_loaded_knowledge_base_reads_like_the_built_one(saved: Path) -> None:
    built = _many(30)
    loaded = KnowledgeBase.load(saved.parent)
    assert len(loaded) == len(loaded.entries) == 30
    assert list(loaded.entries) == built
    assert [e.id for e in loaded.entries] == [e.id for e in built]
    assert loaded.entries[-1] == built[-1]
    assert loaded.entries[10:15] == built[10:15]
    assert loaded.entries[25:100] == built[25:]
    for index, entry in enumerate(built):
        assert loaded.index_of(entry.id) == index
        assert loaded.entries[index] == entry
    assert loaded.index_of("no-such-entry") is None


def test_loading_and_looking_up_ids_parse_no_entry(saved: Path, parses: list[object]) -> None:
    parsed = parses
    loaded = KnowledgeBase.load(saved.parent)
    assert loaded.index_of("topic-29") == 29
    assert parsed == []
    # A query's hits: only those entries are parsed, and a repeated hit is cached.
    assert loaded.entries[29].id == "topic-29"
    assert loaded.entries[29].id == "topic-29"
    assert loaded.entries[3].id == "topic-3"
    assert len(parsed) == 2


def test_a_damaged_line_is_refused_when_read(saved: Path) -> None:
    path = saved / "entries.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[4] = b"{" + b"x" * (len(lines[4]) - 2) + b"\n"
    path.write_bytes(b"".join(lines))
    loaded = KnowledgeBase.load(saved.parent)
    assert loaded.entries[3].id == "topic-3"
    with pytest.raises(KnowledgePackError, match=r"entry 4 .*damaged.*rebuild") as err:
        loaded.entries[4]
    assert str(saved) in str(err.value)


@pytest.mark.parametrize("name", ["entry_offsets.npy", "entry_ids.json", "entries.jsonl"])
def test_a_missing_entries_file_is_refused(saved: Path, name: str) -> None:
    (saved / name).unlink()
    with pytest.raises(KnowledgePackError, match="damaged.*rebuild"):
        KnowledgeBase.load(saved.parent)


def _drop_last_entry_from(saved: Path, names: set[str]) -> None:
    if "ids" in names:
        ids = json.loads((saved / "entry_ids.json").read_text(encoding="utf-8"))
        (saved / "entry_ids.json").write_text(json.dumps(ids[:-1]), encoding="utf-8")
    if "offsets" in names:
        np.save(saved / "entry_offsets.npy", np.load(saved / "entry_offsets.npy")[:-1])
    if "answers" in names:
        np.save(saved / "answer_vectors.npy", np.load(saved / "answer_vectors.npy")[:-1])
    if "starts" in names:
        np.save(saved / "question_starts.npy", np.load(saved / "question_starts.npy")[:-1])
    if "manifest" in names:
        manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
        manifest["entries"] -= 1
        (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    "names",
    [
        {"ids"},
        {"offsets"},
        {"answers"},
        {"starts"},
        {"manifest"},
        # The entry files agree with each other, but not with the vectors and manifest.
        {"ids", "offsets"},
    ],
    ids=lambda names: "+".join(sorted(names)),
)
def test_counts_that_disagree_are_refused(saved: Path, names: set[str]) -> None:
    _drop_last_entry_from(saved, names)
    with pytest.raises(KnowledgePackError, match="inconsistent.*rebuild"):
        KnowledgeBase.load(saved.parent)


def _cut_question_vectors(saved: Path) -> None:
    np.save(saved / "question_vectors.npy", np.load(saved / "question_vectors.npy")[:5])


def _narrow_answer_vectors(saved: Path) -> None:
    np.save(saved / "answer_vectors.npy", np.load(saved / "answer_vectors.npy")[:, :10])


def _shuffle_question_starts(saved: Path) -> None:
    np.save(saved / "question_starts.npy", np.load(saved / "question_starts.npy")[::-1].copy())


def _narrow_both(saved: Path) -> None:
    for kind in ("question", "answer"):
        path = saved / f"{kind}_vectors.npy"
        np.save(path, np.load(path)[:, :10])


@pytest.mark.parametrize(
    "damage",
    [_cut_question_vectors, _narrow_answer_vectors, _shuffle_question_starts, _narrow_both],
)
def test_vectors_that_do_not_fit_the_entries_are_refused(saved: Path, damage: object) -> None:
    # The counts agree, so these loaded before and failed on every query (IndexError,
    # a shape error) instead of being refused once, at start.
    assert callable(damage)
    damage(saved)
    with pytest.raises(KnowledgePackError, match="inconsistent.*rebuild"):
        KnowledgeBase.load(saved.parent)


def test_a_bm25_index_of_another_size_is_refused(saved: Path, tmp_path: Path) -> None:
    import shutil

    KnowledgeBase.build("few@1", _many(7), HashingEncoder()).save(tmp_path / "few")
    shutil.rmtree(saved / "bm25_answers")
    shutil.copytree(kbase.live_version(tmp_path / "few") / "bm25_answers", saved / "bm25_answers")
    with pytest.raises(KnowledgePackError, match="inconsistent.*BM25.*7 documents for 30"):
        KnowledgeBase.load(saved.parent)


def test_a_format_2_folder_is_refused(saved: Path) -> None:
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 2
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # A format-2 folder had no offsets or ids; it must be refused for its
    # version, with the way out, not for the missing files.
    (saved / "entry_offsets.npy").unlink()
    (saved / "entry_ids.json").unlink()
    with pytest.raises(
        KnowledgePackError, match=f"format 2 is not {kbase.FORMAT_VERSION}; rebuild it"
    ):
        KnowledgeBase.load(saved.parent)


def test_a_format_3_folder_is_refused(saved: Path) -> None:
    # Format 3's answer vectors encoded the answer alone; read as passages they
    # would silently rank worse, so the folder must be rebuilt.
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 3
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="format 3 is not 4; rebuild it"):
        KnowledgeBase.load(saved.parent)


def test_a_served_version_stays_readable_after_a_rebuild(
    tmp_path: Path, built: KnowledgeBase
) -> None:
    built.save(tmp_path / "kb")
    serving = KnowledgeBase.load(tmp_path / "kb")
    KnowledgeBase.build("test@2", _many(3), HashingEncoder()).save(tmp_path / "kb")
    assert KnowledgeBase.load(tmp_path / "kb").name == "test@2"
    assert tuple(serving.entries) == built.entries


def test_half_written_version_is_refused(tmp_path: Path, built: KnowledgeBase) -> None:
    built.save(tmp_path / "kb")
    (kbase.live_version(tmp_path / "kb") / "manifest.json").unlink()
    with pytest.raises(KnowledgePackError, match="half-written"):
        KnowledgeBase.load(tmp_path / "kb")


def test_failed_save_leaves_the_old_version_live(
    tmp_path: Path, built: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    built.save(tmp_path / "kb")
    bigger = KnowledgeBase.build(
        "test@2", [*ENTRIES, FaqEntry(id="x", question="q?", answer="a")], HashingEncoder()
    )

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(kbase.np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        bigger.save(tmp_path / "kb")
    monkeypatch.undo()
    loaded = KnowledgeBase.load(tmp_path / "kb")
    assert loaded.name == "test@1"
    assert [p.name for p in (tmp_path / "kb").iterdir() if p.name.startswith(".tmp-")] == []


def test_saving_again_replaces_and_cleans_old_versions(
    tmp_path: Path, built: KnowledgeBase
) -> None:
    built.save(tmp_path / "kb")
    built.save(tmp_path / "kb")
    versions = [p for p in (tmp_path / "kb").iterdir() if p.name.startswith("v-")]
    assert len(versions) == 1


def test_empty_knowledge_base_cannot_be_built() -> None:
    with pytest.raises(KnowledgePackError, match="no entries"):
        KnowledgeBase.build("empty", [], HashingEncoder())


# ---------------------------------------------------------------- stored vector dtype


@pytest.mark.parametrize(
    ("ann", "dtype", "expected"),
    [
        (False, None, "float32"),
        (True, None, "int8"),
        (False, "float16", "float16"),
        (True, "float16", "float16"),
        (False, "int8", "int8"),
    ],
)
def test_vectors_are_int8_with_an_ann_index_and_survive_a_round_trip(
    tmp_path: Path, ann: bool, dtype: str | None, expected: str
) -> None:
    encoder = HashingEncoder()
    exact = encoder.encode([q for entry in ENTRIES for q in entry.questions()])
    built = KnowledgeBase.build("test@1", ENTRIES, encoder, ann=ann, vector_dtype=dtype)
    built.save(tmp_path / "kb")
    loaded = KnowledgeBase.load(tmp_path / "kb")

    for kb in (built, loaded):
        assert kb.question_vectors.dtype == kb.answer_vectors.dtype == np.dtype(expected)
        assert kb.manifest["vector_dtype"] == expected
        # float16 keeps a unit vector's cosines to about 1e-3 of float32's,
        # int8 with a scale per row to a few thousandths.
        cosines = np.sum(np.asarray(kb.question_vectors, dtype=np.float32) * exact, axis=1)
        assert np.abs(cosines - 1.0).max() < (1e-2 if expected == "int8" else 1e-3)
    assert (loaded.ann is not None) == ann


def test_an_unknown_vector_dtype_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgePackError, match="'int4' is not one of float32, float16, int8"):
        KnowledgeBase.build("test@1", ENTRIES, HashingEncoder(), vector_dtype="int4")


def test_mismatched_stored_vector_dtypes_are_damage(tmp_path: Path, built: KnowledgeBase) -> None:
    built.save(tmp_path / "kb")
    saved = kbase.live_version(tmp_path / "kb")
    answers = saved / "answer_vectors.npy"
    np.save(answers, np.load(answers).astype(np.float64))

    with pytest.raises(KnowledgePackError, match="damaged .*float64.*rebuild it"):
        KnowledgeBase.load(tmp_path / "kb")


@pytest.mark.parametrize("dtype", ["float16", "float32", "int8"])
def test_vector_rows_come_out_as_float32_equal_to_the_stored_ones(dtype: str) -> None:
    entries = [
        FaqEntry(id=f"e{i}", question=f"question number {i} about back pain", answer=f"answer {i}")
        for i in range(12)
    ]
    kb = KnowledgeBase.build("t", entries, HashingEncoder(dim=512), vector_dtype=dtype)
    rows = np.array([0, 3, 3, 11])
    for got, stored in (
        (kb.question_rows(rows), kb.question_vectors),
        (kb.answer_rows(rows), kb.answer_vectors),
    ):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, np.asarray(stored[rows], dtype=np.float32))


@pytest.mark.parametrize("kind", ["question", "answer"])
def test_int8_vectors_without_their_scales_are_damage(tmp_path: Path, kind: str) -> None:
    KnowledgeBase.build("test@1", ENTRIES, HashingEncoder(), vector_dtype="int8").save(
        tmp_path / "kb"
    )
    saved = kbase.live_version(tmp_path / "kb")
    (saved / f"{kind}_scales.npy").unlink()

    with pytest.raises(KnowledgePackError, match=f"damaged .*{kind}_scales.npy.*rebuild it"):
        KnowledgeBase.load(tmp_path / "kb")


def test_int8_scales_that_do_not_fit_the_rows_are_damage(tmp_path: Path) -> None:
    KnowledgeBase.build("test@1", ENTRIES, HashingEncoder(), vector_dtype="int8").save(
        tmp_path / "kb"
    )
    scales = kbase.live_version(tmp_path / "kb") / "answer_scales.npy"
    np.save(scales, np.load(scales)[:-1])

    with pytest.raises(KnowledgePackError, match="damaged .*one float32 scale per row"):
        KnowledgeBase.load(tmp_path / "kb")


def test_float16_folders_still_open_beside_int8_ones(tmp_path: Path) -> None:
    """No format change: the stored dtype is read from each .npy header."""
    for dtype in ("float16", "int8"):
        KnowledgeBase.build("test@1", ENTRIES, HashingEncoder(), vector_dtype=dtype).save(
            tmp_path / dtype
        )
    half = KnowledgeBase.load(tmp_path / "float16")
    coded = KnowledgeBase.load(tmp_path / "int8")
    assert not (kbase.live_version(tmp_path / "float16") / "question_scales.npy").exists()
    assert half.question_vectors.dtype == np.float16
    assert coded.question_vectors.dtype == np.int8
    np.testing.assert_allclose(
        np.asarray(coded.answer_vectors, dtype=np.float32),
        np.asarray(half.answer_vectors, dtype=np.float32),
        atol=5e-3,
    )


def _pause_before_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[threading.Event, threading.Event]:
    """Make the next save stop after writing its files, before the switch.

    Returns (reached, resume): the save sets ``reached`` and waits for ``resume``.
    """
    reached, resume = threading.Event(), threading.Event()
    fsync = kbase._fsync_tree
    paused = [False]

    def pause(folder: Path) -> None:
        fsync(folder)
        if not paused[0]:  # only the first save to get here waits
            paused[0] = True
            reached.set()
            assert resume.wait(30)

    monkeypatch.setattr(kbase, "_fsync_tree", pause)
    return reached, resume


def test_two_saves_at_once_both_succeed_and_leave_a_loadable_folder(
    tmp_path: Path, built: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # serve --workers 2 on a fresh machine: both workers build the pack's cache.
    # The first stops with its version written but not switched; the second saves
    # all the way through (its sweep used to delete the first's temporary folder,
    # whose rename then failed).
    reached, resume = _pause_before_switch(monkeypatch)
    other = KnowledgeBase.build("test@2", _many(3), HashingEncoder())
    errors: list[BaseException] = []

    def first() -> None:
        try:
            built.save(tmp_path / "kb")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert reached.wait(30)
    other.save(tmp_path / "kb")
    assert KnowledgeBase.load(tmp_path / "kb").name == "test@2"
    resume.set()
    thread.join(30)
    assert errors == []
    assert KnowledgeBase.load(tmp_path / "kb").name == "test@1"
    leftovers = [p.name for p in (tmp_path / "kb").iterdir() if p.name.startswith((".tmp-", "v-"))]
    assert leftovers == [kbase.live_version(tmp_path / "kb").name]


def test_a_loaded_version_is_kept_until_let_go(tmp_path: Path, built: KnowledgeBase) -> None:
    folder = tmp_path / "kb"
    built.save(folder)
    serving = KnowledgeBase.load(folder)
    served = kbase.live_version(folder)
    built.save(folder)
    built.save(folder)
    assert served.is_dir()  # another process may still open its files lazily
    serving.release()
    built.save(folder)
    assert not served.exists()
    assert len([p for p in folder.iterdir() if p.name.startswith("v-")]) == 1


def test_a_whole_folder_is_removed_only_when_unused(tmp_path: Path, built: KnowledgeBase) -> None:
    folder = tmp_path / "kb"
    built.save(folder)
    serving = KnowledgeBase.load(folder)
    assert not kbase.remove_if_unused(folder)
    assert KnowledgeBase.load(folder).name == "test@1"
    del serving
    gc.collect()
    assert kbase.remove_if_unused(folder)
    assert not folder.exists()
