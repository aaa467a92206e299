"""ANN index: recall against exact search, save/load round trip, the size threshold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backcare.errors import KnowledgePackError, RetrievalError
from backcare.model import FaqEntry, RetrievalParams
from backcare.retrieval.ann import (
    ANN_THRESHOLD,
    AnnIndex,
    AnnParams,
    exact_top_k,
    recall_at_k,
    use_ann,
)
from backcare.retrieval.dense import HashingEncoder
from backcare.retrieval.kbase import KnowledgeBase
from backcare.retrieval.retriever import HybridRetriever


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return _unit(2000, 32, seed=1)


@pytest.fixture(scope="module")
def index(vectors: np.ndarray) -> AnnIndex:
    return AnnIndex.build(vectors, threads=1)


def test_recall_at_10_against_exact_search(index: AnnIndex, vectors: np.ndarray) -> None:
    queries = _unit(50, 32, seed=2)
    # int8 cosines swap near-ties among random vectors; rescoring a few more
    # candidates exactly, as the retriever does, recovers them.
    assert recall_at_k(index, vectors, queries, 10) >= 0.9
    assert recall_at_k(index, vectors, queries, 10, candidates=50) >= 0.99


def test_search_returns_rows_and_close_cosines(index: AnnIndex, vectors: np.ndarray) -> None:
    query = _unit(1, 32, seed=3)[0]
    rows, sims = index.search(query, 5)
    exact_rows, exact_sims = exact_top_k(vectors, query, 5)
    assert rows.tolist() == exact_rows.tolist()
    # int8 quantisation: cosines within about 0.01; callers rescore exactly.
    np.testing.assert_allclose(sims, vectors[rows] @ query, atol=0.02)
    assert list(sims) == sorted(sims, reverse=True)
    np.testing.assert_allclose(sims, exact_sims, atol=0.02)


def test_k_beyond_the_expansion_or_the_size_is_clamped(vectors: np.ndarray) -> None:
    small = AnnIndex.build(vectors[:20], AnnParams(expansion_search=8), threads=1)
    rows, _ = small.search(vectors[0], 50)
    assert sorted(rows.tolist()) == list(range(20))


def test_save_load_round_trip(tmp_path: Path, index: AnnIndex, vectors: np.ndarray) -> None:
    path = tmp_path / "q.usearch"
    index.save(path)
    params = AnnParams(expansion_search=300)
    for view in (True, False):
        loaded = AnnIndex.load(path, params, view=view)
        assert len(loaded) == len(vectors)
        assert loaded.params == params
        for query in _unit(10, 32, seed=4):
            assert loaded.search(query, 10)[0].tolist() == index.search(query, 10)[0].tolist()


def test_load_refuses_missing_or_damaged_files(tmp_path: Path) -> None:
    with pytest.raises(KnowledgePackError, match="missing"):
        AnnIndex.load(tmp_path / "nope.usearch")
    bad = tmp_path / "bad.usearch"
    bad.write_bytes(b"not an index")
    with pytest.raises(KnowledgePackError, match="rebuild"):
        AnnIndex.load(bad)


def test_build_refuses_an_empty_matrix() -> None:
    with pytest.raises(RetrievalError, match="non-empty"):
        AnnIndex.build(np.zeros((0, 8), dtype=np.float32))


@pytest.mark.parametrize(
    ("n", "ann", "expected"),
    [
        (ANN_THRESHOLD, None, False),
        (ANN_THRESHOLD + 1, None, True),
        (10, True, True),
        (ANN_THRESHOLD * 2, False, False),
    ],
)
def test_threshold_switch(n: int, ann: bool | None, expected: bool) -> None:
    assert use_ann(n, ann) is expected


def test_threshold_can_be_lowered() -> None:
    assert use_ann(11, None, threshold=10)
    assert not use_ann(10, None, threshold=10)


def test_params_round_trip_and_validation() -> None:
    params = AnnParams(connectivity=8, expansion_add=64, expansion_search=100)
    assert AnnParams.from_dict(params.as_dict()) == params
    assert AnnParams.from_dict({}) == AnnParams()
    with pytest.raises(KnowledgePackError):
        AnnParams.from_dict({"connectivity": -1})
    with pytest.raises(KnowledgePackError):
        AnnParams.from_dict([1, 2])


def test_onnxruntime_still_imports_after_an_ann_index_is_used(tmp_path: Path) -> None:
    # usearch loaded before onnxruntime made `import onnxruntime` segfault.
    code = (
        "import numpy as np\n"
        "from backcare.retrieval.ann import AnnIndex\n"
        "AnnIndex.build(np.eye(4, dtype=np.float32), threads=1)\n"
        "import onnxruntime\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_knowledge_base_builds_saves_and_loads_its_ann_index(tmp_path: Path) -> None:
    entries = [
        FaqEntry(id=f"e{i}", question=f"question number {i} about {word}", answer=f"answer {i}")
        for i, word in enumerate(["back", "spasm", "heat", "ice", "walking", "sleep"] * 5)
    ]
    encoder = HashingEncoder(dim=32)
    # An ANN knowledge base stores int8 vectors; so does its exact twin, so
    # that only the search differs.
    exact = KnowledgeBase.build("t", entries, encoder, vector_dtype="int8")
    assert exact.ann is None and "ann" not in exact.manifest
    built = KnowledgeBase.build("t", entries, encoder, ann=True)
    assert built.ann is not None and built.manifest["ann"] == AnnParams().as_dict()
    built.save(tmp_path / "kb")
    loaded = KnowledgeBase.load(tmp_path / "kb")
    assert loaded.ann is not None and len(loaded.ann) == len(entries)
    params = RetrievalParams()
    for query in ["back spasm question", "ice or heat", "sleep number 3"]:
        want = HybridRetriever(exact, encoder, params).search(query, top_k=3)
        got = HybridRetriever(loaded, encoder, params).search(query, top_k=3)
        assert [h.entry_id for h in got.hits] == [h.entry_id for h in want.hits]
        for a, b in zip(got.hits, want.hits, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-6)


def test_ann_candidates_keep_the_exact_ranking_at_the_top() -> None:
    # 300 entries, 20 ANN candidates: the top hits must still match exact search.
    words = ["back", "neck", "knee", "hip", "spasm", "ache", "heat", "ice", "rest", "walk"]
    entries = [
        FaqEntry(
            id=f"e{i}",
            question=f"{words[i % 10]} {words[(i // 10) % 10]} {words[(i // 100) % 10]} {i}?",
            answer=f"answer about {words[i % 10]} number {i}",
        )
        for i in range(300)
    ]
    encoder = HashingEncoder(dim=64)
    exact = KnowledgeBase.build("t", entries, encoder, ann=False, vector_dtype="int8")
    approx = KnowledgeBase.build("t", entries, encoder, ann=True)
    params = RetrievalParams()
    for entry in entries[::17]:
        want = HybridRetriever(exact, encoder, params).search(entry.question, top_k=3)
        got = HybridRetriever(approx, encoder, params, ann_candidates=20).search(
            entry.question, top_k=3
        )
        assert got.hits[0].entry_id == want.hits[0].entry_id == entry.id
        assert got.hits[0].score == pytest.approx(want.hits[0].score, abs=1e-6)


def test_calibration_scores_exactly_even_with_an_ann_index() -> None:
    # The abstention levels of a knowledge base must not depend on which
    # neighbours an HNSW graph (built in parallel, so not reproducible) finds.
    entries = [
        FaqEntry(id=f"e{i}", question=f"question number {i} about {word}", answer=f"answer {i}")
        for i, word in enumerate(["back", "spasm", "heat", "ice", "walking", "sleep"] * 5)
    ]
    encoder = HashingEncoder(dim=32)
    exact = KnowledgeBase.build("t", entries, encoder, vector_dtype="int8")
    approx = KnowledgeBase.build("t", entries, encoder, ann=True)
    assert approx.ann is not None

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("calibration searched the ANN index")

    searches = approx.ann.search
    approx.ann.search = refuse  # type: ignore[method-assign]
    calibrated = HybridRetriever(approx, encoder, RetrievalParams()).calibration()
    approx.ann.search = searches  # type: ignore[method-assign]
    assert calibrated == HybridRetriever(exact, encoder, RetrievalParams()).calibration()


def test_lexical_candidates_are_the_best_matching_bm25_entries() -> None:
    entries = [FaqEntry(id=f"e{i}", question=f"question {i}", answer="a") for i in range(40)]
    retriever = HybridRetriever(
        KnowledgeBase.build("t", entries, HashingEncoder(dim=16), ann=True),
        HashingEncoder(dim=16),
        RetrievalParams(),
        lexical_candidates=5,
    )
    bm25 = np.zeros(40, dtype=np.float32)
    bm25[[3, 9, 11, 20, 21, 30, 38]] = [0.9, 0.1, 0.8, 0.2, 0.7, 0.6, 0.5]
    assert sorted(retriever._lexical(bm25).tolist()) == [3, 11, 21, 30, 38]
    # Fewer matching entries than asked for: every match and nothing that scored 0.
    bm25[[3, 9, 20, 21, 30]] = 0.0
    assert sorted(retriever._lexical(bm25).tolist()) == [11, 38]
    assert retriever._lexical(np.zeros(40, dtype=np.float32)).size == 0
