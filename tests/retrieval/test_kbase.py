"""Knowledge-base folders: build, atomic save, load, refusal of damaged folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backcare import FaqEntry, HashingEncoder, KnowledgeBase, KnowledgePackError
from backcare.retrieval import kbase

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
    assert loaded.entries == built.entries
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
