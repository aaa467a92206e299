"""BM25 wrapper: scores, bounds and persistence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backcare.errors import KnowledgePackError
from backcare.retrieval.bm25 import BM25Index

DOCS = [["back", "spasm", "heat"], ["knee", "pain"], ["back", "sleep", "pillow"], []]


def test_scores_favour_the_matching_document() -> None:
    index = BM25Index.build(DOCS)
    scores = index.scores(["pillow", "sleep"])
    assert int(np.argmax(scores)) == 2
    assert scores.shape == (4,)


def test_unknown_terms_score_zero_but_count_in_the_bound() -> None:
    index = BM25Index.build(DOCS)
    assert not index.scores(["zebra"]).any()
    assert index.upper_bound(["zebra"]) == pytest.approx(index.upper_bound(["knee"]), rel=0.5)
    assert index.idf("zebra") >= index.idf("back")


def test_normalised_score_never_exceeds_one() -> None:
    index = BM25Index.build(DOCS)
    terms = ["back", "spasm", "heat"]
    assert index.scores(terms).max() / index.upper_bound(terms) <= 1.0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = BM25Index.build(DOCS)
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert np.allclose(loaded.scores(["back"]), index.scores(["back"]))
    assert loaded.idf("knee") == pytest.approx(index.idf("knee"))


def test_load_of_a_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgePackError, match="rebuild"):
        BM25Index.load(tmp_path / "nothing")


def test_scores_match_bm25s_own_scoring(tmp_path: Path) -> None:
    # Loading reads bm25s's files with numpy; bm25s itself must agree.
    import bm25s

    docs = [["back", "spasm", "heat", "back"], ["knee", "pain"], ["back", "sleep", "pillow"], []]
    index = BM25Index.build(docs)
    index.save(tmp_path / "bm25")
    model = bm25s.BM25.load(str(tmp_path / "bm25"), show_progress=False)
    loaded = BM25Index.load(tmp_path / "bm25")
    for query in (["back"], ["back", "pillow"], ["knee", "spasm", "sleep"], ["back", "back"]):
        expected = model.get_scores(query)
        np.testing.assert_allclose(index.scores(query), expected, rtol=1e-6)
        np.testing.assert_allclose(loaded.scores(query), expected, rtol=1e-6)


def test_loading_does_not_import_bm25s_or_scipy(tmp_path: Path) -> None:
    import subprocess
    import sys

    BM25Index.build(DOCS).save(tmp_path / "bm25")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from backcare.retrieval.bm25 import BM25Index\n"
        f"BM25Index.load(Path({str(tmp_path / 'bm25')!r})).scores(['back'])\n"
        "print(sorted(m for m in ('bm25s', 'scipy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_document_frequencies_come_from_the_posting_lists(tmp_path: Path) -> None:
    # The frequencies are read off the matrix rather than kept in a dict of
    # every term; they must equal a count over the documents themselves.
    from collections import Counter

    docs = [["back", "spasm", "back"], ["knee", "pain", "back"], [], ["pain"], ["heat"]]
    counted = Counter(term for doc in docs for term in set(doc))
    built = BM25Index.build(docs)
    built.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    for index in (built, loaded):
        assert index.doc_freq() == dict(counted)
        assert index.n_docs == len(docs)
        for term, freq in counted.items():
            assert index.knows(term)
            assert index.idf(term) == pytest.approx(
                np.log(1 + (len(docs) - freq + 0.5) / (freq + 0.5))
            )
        # "" stands in for the empty document inside bm25s; it is no term.
        assert not index.knows("")
        assert not index.knows("zebra")
        assert index.idf("") == index.idf("zebra") == pytest.approx(index.idf("heat"))
        assert (
            index.frequent_terms(0.4)
            == frozenset({"back", "pain"})
            == frozenset(t for t, f in counted.items() if f >= 0.4 * len(docs))
        )
        assert index.frequent_terms(0.5) == frozenset()
    saved = json.loads((tmp_path / "bm25" / "doc_freq.json").read_text(encoding="utf-8"))
    assert saved == {"n_docs": len(docs), "doc_freq": dict(counted)}


def test_the_document_count_is_read_from_any_layout_of_its_file(tmp_path: Path) -> None:
    BM25Index.build(DOCS).save(tmp_path / "bm25")
    path = tmp_path / "bm25" / "doc_freq.json"
    # Another writer's key order: the count comes last.
    path.write_text(json.dumps({"doc_freq": {"back": 2}, "n_docs": 4}), encoding="utf-8")
    assert BM25Index.load(tmp_path / "bm25").n_docs == 4
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(KnowledgePackError, match="rebuild"):
        BM25Index.load(tmp_path / "bm25")


def test_a_loaded_index_reads_posting_lists_without_mapping_them(tmp_path: Path) -> None:
    # Mapped, the matrix stayed resident in every process in blocks far
    # larger than the few posting lists a query reads.
    index = BM25Index.build(DOCS)
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    np.testing.assert_array_equal(
        loaded.scores(["back", "pillow"]), index.scores(["back", "pillow"])
    )
    maps = Path("/proc/self/maps")
    if maps.exists():
        assert str(tmp_path / "bm25") not in maps.read_text()


def test_a_cut_posting_file_is_refused_at_load(tmp_path: Path) -> None:
    BM25Index.build(DOCS).save(tmp_path / "bm25")
    path = tmp_path / "bm25" / "data.csc.index.npy"
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(KnowledgePackError, match="rebuild"):
        BM25Index.load(tmp_path / "bm25")


def test_a_loaded_index_saves_the_same_files(tmp_path: Path) -> None:
    BM25Index.build(DOCS).save(tmp_path / "a")
    BM25Index.load(tmp_path / "a").save(tmp_path / "b")
    for name in ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"):
        np.testing.assert_array_equal(
            np.load(tmp_path / "a" / name), np.load(tmp_path / "b" / name)
        )
