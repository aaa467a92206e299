"""Choosing the encoder variant: the setting, and what a knowledge base of the other one does."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from backcare import Backcare, FaqEntry, HashingEncoder, KnowledgeBase, KnowledgePackError
from backcare.retrieval.onnx_export import DEFAULT_VARIANT, VARIANTS
from backcare.settings import Settings


class _Variant(HashingEncoder):
    """A model-free encoder that reports the model id of one variant."""

    def __init__(self, model_id: str) -> None:
        super().__init__(dim=32)
        self._id = model_id

    @property
    def model_id(self) -> str:
        return self._id


def test_the_setting_reads_backcare_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKCARE_ENCODER", raising=False)
    assert Settings().encoder == DEFAULT_VARIANT
    for variant in VARIANTS:
        monkeypatch.setenv("BACKCARE_ENCODER", variant)
        assert Settings().encoder == variant


def test_an_unknown_variant_is_refused_naming_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKCARE_ENCODER", "int4")
    with pytest.raises(ValidationError, match="'int8' or 'fp32'"):
        Settings()


def test_a_knowledge_base_of_one_variant_is_refused_by_the_other(tmp_path: Path) -> None:
    entries = [FaqEntry(id="heat", question="Does heat help a back spasm?", answer="Often.")]
    fp32, int8 = _Variant("fp32-id"), _Variant("int8-id")
    KnowledgeBase.build("t@1", entries, fp32).save(tmp_path / "kb")

    with pytest.raises(KnowledgePackError) as caught:
        Backcare.open(int8, kb_dir=tmp_path / "kb")

    message = str(caught.value)
    assert "built with model fp32-id, but the encoder is int8-id" in message
    assert "backcare ingest" in message and "BACKCARE_ENCODER" in message
    assert Backcare.open(fp32, kb_dir=tmp_path / "kb").ask("heat for spasm?").status
