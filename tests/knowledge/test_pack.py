"""The pack loader: validation errors name the file, the entry and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backcare import KnowledgePack, KnowledgePackError, PackValidationError, load_pack
from backcare.knowledge.pack import shipped_pack_dir


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(shipped_pack_dir(), root)
    return root


def test_shipped_pack_loads(pack: KnowledgePack) -> None:
    assert pack.label == "backcare-pack@1"
    assert len(pack.entries) >= 26
    assert all(entry.sources for entry in pack.entries)
    assert 0 < pack.params.threshold < 1


def test_missing_field_names_file_entry_and_field(pack_copy: Path) -> None:
    path = pack_copy / "entries" / "sleep.yaml"
    path.write_text("id: sleep\nquestion: How should I lie?\nsources: [22]\n", encoding="utf-8")
    with pytest.raises(PackValidationError) as info:
        load_pack(pack_copy)
    message = str(info.value)
    assert "sleep.yaml" in message and "entry 'sleep'" in message and "field 'answer'" in message


def test_unknown_source_number_is_named(pack_copy: Path) -> None:
    path = pack_copy / "entries" / "sleep.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("sources: [", "sources: [999, "))
    with pytest.raises(
        PackValidationError, match=r"sleep.yaml: entry 'sleep': field 'sources'.*999"
    ):
        load_pack(pack_copy)


def test_unknown_related_id_is_named(pack_copy: Path) -> None:
    path = pack_copy / "entries" / "sleep.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nrelated: [no_such_topic]\n".replace("\nrelated", "\nrelated", 1))
    with pytest.raises(PackValidationError) as info:
        load_pack(pack_copy)
    assert "no_such_topic" in str(info.value)


def test_id_must_match_file_name(pack_copy: Path) -> None:
    path = pack_copy / "entries" / "sleep.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: sleep", "id: sleeping"))
    with pytest.raises(PackValidationError, match="must match the file name"):
        load_pack(pack_copy)


def test_broken_yaml_is_reported_with_the_file(pack_copy: Path) -> None:
    (pack_copy / "entries" / "sleep.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PackValidationError, match="sleep.yaml: invalid YAML"):
        load_pack(pack_copy)


def test_missing_pack_file_is_reported(pack_copy: Path) -> None:
    (pack_copy / "sources.yaml").unlink()
    with pytest.raises(KnowledgePackError, match="sources.yaml: file not found"):
        load_pack(pack_copy)


def test_bad_retrieval_params_are_reported(pack_copy: Path) -> None:
    (pack_copy / "retrieval.yaml").write_text("threshold: 7\n", encoding="utf-8")
    with pytest.raises(PackValidationError, match="retrieval.yaml.*threshold"):
        load_pack(pack_copy)
