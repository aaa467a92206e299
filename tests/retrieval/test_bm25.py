"""BM25 wrapper: scores, bounds and persistence."""

from __future__ import annotations

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
