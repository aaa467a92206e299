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
from backcare.retrieval.retriever import HybridRetriever, relevance_of

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
    stored = Calibration(
        mean=0.123,
        spread=0.045,
        fusion=fusion_key(PARAMS),
        questions=1,
        relevance_mean=0.2,
        relevance_spread=0.3,
    )
    kb.manifest[MANIFEST_KEY] = stored.as_dict()
    retriever = HybridRetriever(kb, HashingEncoder(dim=32), PARAMS)
    assert retriever.calibration() == stored
    retriever.params = PARAMS.model_copy(update={"dense_weight": 0.9})
    assert retriever.calibration().fusion == fusion_key(retriever.params)
    assert retriever.calibration() != stored


def test_a_stored_calibration_without_relevance_is_redone() -> None:
    kb = _kb()
    old = Calibration(mean=0.123, spread=0.045, fusion=fusion_key(PARAMS), questions=1)
    kb.manifest[MANIFEST_KEY] = old.as_dict()
    cal = HybridRetriever(kb, HashingEncoder(dim=32), PARAMS).calibration()
    assert cal.relevance_mean is not None
    assert cal.mean != pytest.approx(0.123)


def test_relevance_is_calibrated_between_background_and_own_questions() -> None:
    kb = _kb()
    retriever = HybridRetriever(kb, HashingEncoder(dim=32), PARAMS)
    cal = retriever.calibration()
    background = [retriever.fused(q)[0].relevance for q in BACKGROUND]
    own = [retriever.fused(e.question)[0].relevance for e in ENTRIES]
    assert cal.relevance_mean == pytest.approx(np.mean(background))
    assert cal.relevance_spread == pytest.approx(
        max(np.mean(own) - np.mean(background), MIN_SPREAD)
    )
    assert cal.scaled_relevance(float(np.mean(background))) == pytest.approx(0.0)
    assert cal.scaled_relevance(float(np.mean(own))) == pytest.approx(
        (np.mean(own) - np.mean(background)) / cal.relevance_spread
    )


def test_relevance_reads_as_neutral_when_either_side_is_unmeasured() -> None:
    assert Calibration().scaled_relevance(0.05) == 1.0
    measured = Calibration(relevance_mean=0.3, relevance_spread=0.5)
    assert measured.scaled_relevance(None) == 1.0
    assert measured.scaled_relevance(0.55) == pytest.approx(0.5)


def test_relevance_round_trips_through_the_manifest() -> None:
    cal = from_scores(
        [0.1, 0.2], PARAMS, [0.9], background_relevance=[0.2, 0.4], own_relevance=[0.8]
    )
    assert (cal.relevance_mean, cal.relevance_spread) == (
        pytest.approx(0.3),
        pytest.approx(0.5),
    )
    back = Calibration.from_manifest({MANIFEST_KEY: cal.as_dict()}, PARAMS)
    assert back is not None
    assert back.relevance_mean == pytest.approx(0.3)
    assert back.relevance_spread == pytest.approx(0.5)
    without = from_scores([0.1], PARAMS, [0.9])
    assert "relevance_mean" not in without.as_dict()
    assert Calibration.from_manifest({MANIFEST_KEY: without.as_dict()}, PARAMS) == without


def test_a_higher_relevance_never_lowers_the_confidence() -> None:
    params = PARAMS.model_copy(update={"coef_relevance": 2.0})
    cal = Calibration(relevance_mean=0.2, relevance_spread=0.4)
    fused = np.array([0.6, 0.3])
    low = confidences(params, fused, 0.8, 1.0, cal, relevance=0.1)
    high = confidences(params, fused, 0.8, 1.0, cal, relevance=0.7)
    assert np.all(high > low)
    # Without a coefficient the feature changes nothing.
    assert np.allclose(
        confidences(PARAMS, fused, 0.8, 1.0, cal, relevance=0.1),
        confidences(PARAMS, fused, 0.8, 1.0, cal, relevance=0.7),
    )


def test_search_confidences_use_the_calibration() -> None:
    kb = _kb()
    encoder = HashingEncoder(dim=32)
    low = Calibration(
        mean=0.0, spread=1.0, fusion=fusion_key(PARAMS), relevance_mean=0.0, relevance_spread=1.0
    )
    high = Calibration(
        mean=0.9, spread=1.0, fusion=fusion_key(PARAMS), relevance_mean=0.0, relevance_spread=1.0
    )
    scores = []
    for cal in (low, high):
        kb.manifest[MANIFEST_KEY] = cal.as_dict()
        scores.append(HybridRetriever(kb, encoder, PARAMS).search("heat on a back spasm").hits[0])
    # The same entry ranks first; a knowledge base whose off-topic questions
    # score high trusts the same score less.
    assert scores[0].entry_id == scores[1].entry_id == "heat"
    assert scores[0].score > scores[1].score


def test_relevance_is_the_mean_of_the_nearest_entries() -> None:
    dense = np.array([0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8])
    assert relevance_of(dense, 3) == pytest.approx((0.9 + 0.8 + 0.7) / 3)
    assert relevance_of(dense[:2], 5) == pytest.approx(0.5)
    assert relevance_of(np.zeros(0)) == 0.0
