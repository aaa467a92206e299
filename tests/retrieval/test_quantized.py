"""int8 vector storage with a scale per row: accuracy, round trips and refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backcare import KnowledgePackError
from backcare.retrieval.quantized import Int8Rows


def _unit_rows(n: int = 300, dim: int = 384, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def test_each_value_is_within_half_a_step_of_its_row_and_the_peak_is_exact() -> None:
    rows = _unit_rows()
    coded = Int8Rows.quantize(rows)
    back = np.asarray(coded, dtype=np.float32)
    step = np.abs(rows).max(axis=1) / 127
    assert np.all(np.abs(back - rows) <= step[:, None] / 2 + 1e-7)
    assert np.abs(coded.codes).max(axis=1).tolist() == [127] * len(rows)
    assert coded.dtype == np.int8 and coded.shape == rows.shape and len(coded) == len(rows)


def test_cosines_move_by_far_less_than_what_separates_answers() -> None:
    rows = _unit_rows()
    queries = _unit_rows(50, seed=1)
    coded = Int8Rows.quantize(rows)
    for query in queries:
        assert np.abs(coded @ query - rows @ query).max() < 5e-3


def test_product_rows_and_whole_matrix_agree() -> None:
    coded = Int8Rows.quantize(_unit_rows(5000))  # more than one block of the product
    query = _unit_rows(1, seed=2)[0]
    whole = np.asarray(coded, dtype=np.float32)
    np.testing.assert_allclose(coded @ query, whole @ query, rtol=0, atol=1e-6)
    picked = np.array([4999, 0, 7, 7])
    np.testing.assert_array_equal(coded[picked], whole[picked])
    np.testing.assert_array_equal(coded[3], whole[3])
    assert coded[picked].dtype == np.float32


def test_row_products_scaled_after_the_sum_match_the_dequantised_rows() -> None:
    rows = _unit_rows(2000)
    coded = Int8Rows.quantize(rows)
    whole = np.asarray(coded, dtype=np.float32)
    picked = np.array([1999, 0, 7, 7, 1500])
    for query in _unit_rows(20, seed=3):
        got = coded.dot_rows(picked, query)
        assert got.dtype == np.float32 and got.shape == (5,)
        np.testing.assert_allclose(got, whole[picked] @ query, rtol=0, atol=1e-6)
    assert coded.dot_rows(np.array([], dtype=np.int64), rows[0]).shape == (0,)


def test_quantising_the_dequantised_matrix_gives_the_same_codes() -> None:
    """A rebuild that reuses stored vectors must store them unchanged."""
    coded = Int8Rows.quantize(_unit_rows())
    again = Int8Rows.quantize(np.asarray(coded, dtype=np.float32))
    np.testing.assert_array_equal(again.codes, coded.codes)
    np.testing.assert_array_equal(again.scales, coded.scales)


def test_a_zero_row_stays_zero() -> None:
    rows = _unit_rows(3)
    rows[1] = 0.0
    coded = Int8Rows.quantize(rows)
    assert coded.scales[1] == 0.0
    assert not np.asarray(coded, dtype=np.float32)[1].any()


def test_save_and_map_back(tmp_path: Path) -> None:
    coded = Int8Rows.quantize(_unit_rows())
    coded.save(tmp_path / "v.npy", tmp_path / "s.npy")
    back = Int8Rows(
        np.load(tmp_path / "v.npy", mmap_mode="r"), np.load(tmp_path / "s.npy", mmap_mode="r")
    )
    np.testing.assert_array_equal(np.asarray(back), np.asarray(coded))


@pytest.mark.parametrize(
    ("codes", "scales", "message"),
    [
        (np.zeros((3, 4), dtype=np.int16), np.ones(3, dtype=np.float32), "2-D int8 matrix"),
        (np.zeros(4, dtype=np.int8), np.ones(4, dtype=np.float32), "2-D int8 matrix"),
        (np.zeros((3, 4), dtype=np.int8), np.ones(2, dtype=np.float32), "one float32 scale"),
        (np.zeros((3, 4), dtype=np.int8), np.ones(3, dtype=np.float64), "one float32 scale"),
    ],
)
def test_codes_and_scales_that_do_not_fit_are_refused(
    codes: np.ndarray, scales: np.ndarray, message: str
) -> None:
    with pytest.raises(KnowledgePackError, match=message):
        Int8Rows(codes, scales)
