"""The linear query adapter: arithmetic, file checks, calibration key, use by the retriever."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from backcare import FaqEntry, HashingEncoder, KnowledgeBase, RetrievalParams
from backcare.errors import KnowledgePackError
from backcare.retrieval.adapter import QueryAdapter, load_adapter
from backcare.retrieval.calibration import fusion_key
from backcare.retrieval.retriever import HybridRetriever

DIM = 32
ENTRIES = (
    FaqEntry(id="heat", question="Should I use heat on a back spasm?", answer="Heat relaxes."),
    FaqEntry(id="walk", question="Can I walk with a back spasm?", answer="Gentle walking helps."),
    FaqEntry(id="sleep", question="How do I sleep with back pain?", answer="Pillow under knees."),
)
PARAMS = RetrievalParams(dense_weight=1.0, answer_weight=0.0, bm25_weight=0.0, threshold=0.0)


def _save(tmp_path: Path, matrix: np.ndarray) -> tuple[str, str]:
    path = tmp_path / "adapter.npy"
    np.save(path, matrix.astype(np.float32))
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_zero_adapter_is_the_identity_and_results_are_unit_vectors() -> None:
    rng = np.random.default_rng(0)
    q = rng.normal(size=DIM).astype(np.float32)
    q /= np.linalg.norm(q)
    assert np.allclose(QueryAdapter(np.zeros((DIM, DIM)), "x")(q), q)
    moved = QueryAdapter(rng.normal(size=(DIM, DIM)), "x")(q)
    assert np.linalg.norm(moved) == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(moved, q)


def test_the_adapter_adds_a_q_before_normalising() -> None:
    a = np.zeros((2, 2), dtype=np.float32)
    a[1, 0] = 1.0  # A e1 = e2
    assert np.allclose(
        QueryAdapter(a, "x")(np.array([1.0, 0.0], dtype=np.float32)), [0.7071, 0.7071], atol=1e-4
    )


def test_bad_matrices_and_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="square"):
        QueryAdapter(np.zeros((3, 4)), "x")
    with pytest.raises(ValueError, match="finite"):
        QueryAdapter(np.full((2, 2), np.nan), "x")
    path, sha = _save(tmp_path, np.zeros((DIM, DIM)))
    assert load_adapter(path, sha).dim == DIM
    with pytest.raises(KnowledgePackError, match="does not match"):
        load_adapter(path, "0" * 64)
    with pytest.raises(KnowledgePackError, match="not readable"):
        load_adapter(str(tmp_path / "missing.npy"), sha)


def test_the_calibration_key_names_the_adapter() -> None:
    with_adapter = PARAMS.model_copy(
        update={"query_adapter": "a.npy", "query_adapter_sha256": "ab" * 32}
    )
    other = with_adapter.model_copy(update={"query_adapter_sha256": "cd" * 32})
    assert len({fusion_key(PARAMS), fusion_key(with_adapter), fusion_key(other)}) == 3


def test_the_retriever_ranks_with_the_adapted_query(tmp_path: Path) -> None:
    encoder = HashingEncoder(dim=DIM)
    kb = KnowledgeBase.build("t", ENTRIES, encoder)
    text = "heat on a back spasm"
    plain = HybridRetriever(kb, encoder, PARAMS).search(text, top_k=3)
    assert plain.hits[0].entry_id == "heat"
    # An adapter that sends this query's direction to the "walk" question's.
    q = encoder.encode_query(text)
    walk = encoder.encode_query(ENTRIES[1].question)
    path, sha = _save(tmp_path, 5.0 * np.outer(walk, q))
    params = PARAMS.model_copy(update={"query_adapter": path, "query_adapter_sha256": sha})
    adapted = HybridRetriever(kb, encoder, params)
    assert adapted.search(text, top_k=3).hits[0].entry_id == "walk"
    assert adapted.calibration().fusion == fusion_key(params) != fusion_key(PARAMS)
