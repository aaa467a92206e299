"""Per-knowledge-base calibration: arithmetic, manifest form, and use by the retriever."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcare import FaqEntry, HashingEncoder, KnowledgeBase, RetrievalParams
from backcare.retrieval.abstain import confidences
from backcare.retrieval.background import BACKGROUND
from backcare.retrieval.calibration import (
    MANIFEST_KEY,
    MIN_SPREAD,
    Calibration,
    calibrate,
    from_scores,
    fusion_key,
    own_sample,
)
from backcare.retrieval.retriever import HybridRetriever

PARAMS = RetrievalParams(intercept=-2.0, coef_score=1.5, coef_margin=0.7, threshold=0.5)
ENTRIES = (
    FaqEntry(id="heat", question="Should I use heat on a back spasm?", answer="Heat relaxes."),
    FaqEntry(id="walk", question="Can I walk with a back spasm?", answer="Gentle walking helps."),
    FaqEntry(id="sleep", question="How do I sleep with back pain?", answer="Pillow under knees."),
)


def test_off_topic_level_and_the_distance_to_the_own_question_level() -> None:
    cal = from_scores([0.1, 0.3], PARAMS, [0.7, 0.9, 0.8])
    assert (cal.mean, cal.spread, cal.questions) == (pytest.approx(0.2), pytest.approx(0.6), 5)
    assert cal.fusion == fusion_key(PARAMS)


def test_own_questions_no_better_than_off_topic_get_the_minimum_spread() -> None:
    assert from_scores([0.4, 0.4], PARAMS, [0.3]).spread == MIN_SPREAD


def test_no_background_or_no_own_question_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        from_scores([], PARAMS, [0.5])
    with pytest.raises(ValueError, match="at least one"):
        from_scores([0.1], PARAMS, [])
    with pytest.raises(ValueError, match="at least one"):
        calibrate(lambda _: 0.0, PARAMS, ["q"], questions=())


@pytest.mark.parametrize(("entries", "expected"), [(0, 0), (3, 3), (100, 100), (47_441, 100)])
def test_own_questions_are_a_bounded_even_sample(entries: int, expected: int) -> None:
    sample = own_sample(entries)
    assert len(sample) == expected == len(set(sample))
    assert all(0 <= i < entries for i in sample)


@pytest.mark.parametrize("spread", [0.0, -1.0, float("nan")])
def test_a_calibration_needs_a_positive_finite_spread(spread: float) -> None:
    with pytest.raises(ValueError, match="positive spread"):
        Calibration(mean=0.1, spread=spread)


def test_the_manifest_form_reads_back_only_for_the_same_fusion() -> None:
    cal = from_scores([0.1, 0.2, 0.4], PARAMS, [0.9])
    manifest = {MANIFEST_KEY: cal.as_dict()}
    back = Calibration.from_manifest(manifest, PARAMS)
    assert back is not None and back.mean == pytest.approx(cal.mean, abs=1e-6)
    other = PARAMS.model_copy(update={"bm25_weight": PARAMS.bm25_weight + 0.1})
    assert Calibration.from_manifest(manifest, other) is None


@pytest.mark.parametrize(
    "raw",
    [None, "x", {"fusion": fusion_key(PARAMS)}, {"fusion": fusion_key(PARAMS), "mean": "a"}],
)
def test_a_malformed_manifest_entry_counts_as_absent(raw: object) -> None:
    assert Calibration.from_manifest({MANIFEST_KEY: raw}, PARAMS) is None


@given(
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30),
    st.floats(0.5, 4.0),
    st.floats(-0.5, 0.5),
)
def test_confidence_depends_only_on_scores_relative_to_the_calibration(
    scores: list[float], scale: float, shift: float
) -> None:
    # The point of calibrating: a knowledge base whose scores are all stretched
    # and shifted, with its background stretched alike, gets the same confidences.
    fused = np.array(scores)
    cal = Calibration(mean=0.2, spread=0.05)
    moved = Calibration(mean=0.2 * scale + shift, spread=0.05 * scale)
    np.testing.assert_allclose(
        confidences(PARAMS, fused, 0.8, 1.0, cal),
        confidences(PARAMS, fused * scale + shift, 0.8, 1.0, moved),
        rtol=1e-9,
        atol=1e-12,
    )


def test_the_background_is_sizeable_and_distinct() -> None:
    assert len(BACKGROUND) >= 50
    assert len({q.casefold() for q in BACKGROUND}) == len(BACKGROUND)


def test_the_background_shares_no_question_with_tuning_or_evaluation_sets() -> None:
    # Off-topic abstention is measured on these files; a question calibrated on
    # would flatter it.
    root = Path(__file__).resolve().parents[2]
    files = [*(root / "tuning").glob("*.jsonl"), *(root.parent / "shared" / "eval").glob("*.jsonl")]
    assert files
    seen = {
        " ".join(str(json.loads(line)["q"]).casefold().split())
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert not {" ".join(q.casefold().split()) for q in BACKGROUND} & seen


def _kb() -> KnowledgeBase:
    return KnowledgeBase.build("t", ENTRIES, HashingEncoder(dim=32))


def test_a_retriever_calibrates_a_knowledge_base_that_was_not() -> None:
    kb = _kb()
    retriever = HybridRetriever(kb, HashingEncoder(dim=32), PARAMS)
    cal = retriever.calibration()
    tops = [float(retriever.fused(q)[1].max()) for q in BACKGROUND]
    own = [float(retriever.fused(e.question)[1].max()) for e in ENTRIES]
    assert cal.mean == pytest.approx(np.mean(tops))
    assert cal.spread == pytest.approx(max(np.mean(own) - np.mean(tops), MIN_SPREAD))
    assert retriever.calibrated()[MANIFEST_KEY] == cal.as_dict()


def test_a_stored_calibration_is_used_and_a_stale_one_replaced() -> None:
    kb = _kb()
    stored = Calibration(mean=0.123, spread=0.045, fusion=fusion_key(PARAMS), questions=1)
    kb.manifest[MANIFEST_KEY] = stored.as_dict()
    retriever = HybridRetriever(kb, HashingEncoder(dim=32), PARAMS)
    assert retriever.calibration() == stored
    retriever.params = PARAMS.model_copy(update={"dense_weight": 0.9})
    assert retriever.calibration().fusion == fusion_key(retriever.params)
    assert retriever.calibration() != stored


def test_search_confidences_use_the_calibration() -> None:
    kb = _kb()
    encoder = HashingEncoder(dim=32)
    low = Calibration(mean=0.0, spread=1.0, fusion=fusion_key(PARAMS))
    high = Calibration(mean=0.9, spread=1.0, fusion=fusion_key(PARAMS))
    scores = []
    for cal in (low, high):
        kb.manifest[MANIFEST_KEY] = cal.as_dict()
        scores.append(HybridRetriever(kb, encoder, PARAMS).search("heat on a back spasm").hits[0])
    # The same entry ranks first; a knowledge base whose off-topic questions
    # score high trusts the same score less.
    assert scores[0].entry_id == scores[1].entry_id == "heat"
    assert scores[0].score > scores[1].score
