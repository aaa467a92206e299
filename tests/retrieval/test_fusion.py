"""Fusion: linear blend and reciprocal rank fusion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcare.retrieval.fusion import linear_blend, reciprocal_rank_fusion

ids = st.lists(st.sampled_from("abcdefgh"), max_size=8, unique=True)


def test_linear_blend_weights_each_signal() -> None:
    fused = linear_blend(
        {"dense": np.array([1.0, 0.0]), "bm25": np.array([0.0, 1.0])},
        {"dense": 0.7, "bm25": 0.3},
    )
    assert fused.tolist() == pytest.approx([0.7, 0.3])


def test_linear_blend_refuses_unweighted_signal() -> None:
    with pytest.raises(ValueError, match="no weight for signal"):
        linear_blend({"dense": np.zeros(2), "typo": np.zeros(2)}, {"dense": 1.0})


def test_linear_blend_refuses_ragged_signals() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        linear_blend({"a": np.zeros(2), "b": np.zeros(3)}, {"a": 1.0, "b": 1.0})


@given(st.lists(ids, max_size=4))
def test_rrf_does_not_depend_on_list_order(rankings: list[list[str]]) -> None:
    forward = reciprocal_rank_fusion(rankings)
    backward = reciprocal_rank_fusion(list(reversed(rankings)))
    assert forward.keys() == backward.keys()
    for key, value in forward.items():
        assert value == pytest.approx(backward[key])


@given(st.lists(ids, max_size=4))
def test_rrf_scores_stay_in_range(rankings: list[list[str]]) -> None:
    for score in reciprocal_rank_fusion(rankings).values():
        assert 0 < score <= len(rankings) / 61 + 1e-12


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["a", "c"]])
    assert max(fused, key=fused.__getitem__) == "a"


def test_rrf_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be positive"):
        reciprocal_rank_fusion([["a"]], k=0)
