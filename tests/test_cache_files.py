"""The shared cache folder: the cross-language caches' locking and one-day sweep.

The cross-language vectors (``pack-…-xlang``) are written by every process that
finds them missing, so ``serve --workers 2`` and an int8 process beside an fp32
one write the same folder at once; the cross-language triage examples' vectors
(``triage-xlang-<digest>.npy``) get a new file at each content change. The
tests force the interleavings with events, as the knowledge-base save's do
(tests/retrieval/test_kbase.py).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import pytest

from backcare import KnowledgePack
from backcare.model import RetrievalParams
from backcare.retrieval import crosslingual
from backcare.retrieval.calibration import Calibration, fusion_key
from backcare.retrieval.crosslingual import CrossLingualRetriever
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.triage._negation import normalise
from backcare.triage.crosslingual import CrossLingualTriage

PARAMS = RetrievalParams()
DIM = 4
DAY = 24 * 3600  # a cache file unused this long is stale (model/cachefiles.py)


class _Variant:
    """The parts of ``MultilingualEncoder`` the cache reads and writes: its ids and size."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.passage_model_id = "passages@fp32"
        self.dim = DIM

    def encode_query(self, text: str) -> npt.NDArray[np.float32]:
        seed = int.from_bytes(text.encode("utf-8")[:8].ljust(8, b"\0"), "little")
        vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return vector / np.linalg.norm(vector)


def _vectors(ids: list[str], model_id: str, mean: float) -> CrossLingualRetriever:
    rows = np.eye(len(ids), DIM, dtype=np.float32)
    calibration = Calibration(
        mean=mean, spread=0.5, fusion=fusion_key(PARAMS), questions=3, relevance_mean=0.1
    )
    return CrossLingualRetriever(
        ids,
        np.arange(len(ids), dtype=np.int64),
        rows,
        rows.copy(),
        cast(MultilingualEncoder, _Variant(model_id)),
        PARAMS,
        calibration,
        digest="d",
    )


def _load(folder: Path, ids: list[str], model_id: str) -> CrossLingualRetriever | None:
    encoder = cast(MultilingualEncoder, _Variant(model_id))
    return CrossLingualRetriever._load(folder, ids, encoder, PARAMS, "d")


def test_two_variants_saving_at_once_both_keep_their_calibration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An int8 and an fp32 process build the vectors at once. The first stops
    # before writing anything; the second writes all the way through. The first
    # had read the manifest before it stopped, so its write dropped the
    # second's calibration, and the fp32 process re-encoded everything on its
    # next start.
    folder = tmp_path / "pack-x-xlang"
    reached, resume = threading.Event(), threading.Event()
    save = np.save
    paused = [False]

    def pause(*args: object, **kwargs: object) -> None:
        if not paused[0] and threading.current_thread() is not threading.main_thread():
            paused[0] = True
            reached.set()
            assert resume.wait(30)
        save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(crosslingual.np, "save", pause)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            _vectors(["a", "b"], "int8", 0.2).save(folder)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert reached.wait(30)
    _vectors(["a", "b"], "fp32", 0.3).save(folder)
    resume.set()
    thread.join(30)
    assert errors == []
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert sorted(manifest["calibrations"]) == ["fp32", "int8"]
    for model_id, mean in (("int8", 0.2), ("fp32", 0.3)):
        loaded = _load(folder, ["a", "b"], model_id)
        assert loaded is not None and loaded.calibration.mean == mean


def test_a_save_waits_for_a_reader_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader has the manifest of two entries; a save of three entries must not
    # replace the arrays under it before it has read them (it then saw a manifest
    # and arrays of two different saves).
    folder = tmp_path / "pack-x-xlang"
    _vectors(["a", "b"], "int8", 0.2).save(folder)
    reached, resume, written = threading.Event(), threading.Event(), threading.Event()
    load = np.load
    paused = [False]

    def pause(*args: object, **kwargs: object) -> object:
        if not paused[0]:
            paused[0] = True
            reached.set()
            assert resume.wait(30)
        return load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(crosslingual.np, "load", pause)
    found: list[CrossLingualRetriever | None] = []
    reader = threading.Thread(target=lambda: found.append(_load(folder, ["a", "b"], "int8")))
    reader.start()
    assert reached.wait(30)

    def write() -> None:
        _vectors(["a", "b", "c"], "int8", 0.4).save(folder)
        written.set()

    writer = threading.Thread(target=write)
    writer.start()
    # Held back while the reader reads (the wait is how long it is given to
    # overtake the reader, not a measure of speed).
    overtook = written.wait(0.5)
    resume.set()
    reader.join(30)
    writer.join(30)
    assert not overtook, "the save replaced the files while they were being read"
    [seen] = found
    assert seen is not None and seen.ids == ("a", "b") and len(seen.answers) == 2
    latest = _load(folder, ["a", "b", "c"], "int8")
    assert latest is not None and latest.calibration.mean == 0.4


# ---------------------------------------------------------------- the one-day sweep


def _aged(path: Path, seconds: float) -> Path:
    path.write_bytes(b"x")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_the_sweep_removes_only_files_of_its_kind_unused_for_a_day(tmp_path: Path) -> None:
    from backcare.model.cachefiles import STALE_CACHE_AGE_S, sweep_stale

    assert STALE_CACHE_AGE_S == DAY
    keep = _aged(tmp_path / "triage-xlang-current.npy", 3 * DAY)
    old = _aged(tmp_path / "triage-xlang-old.npy", DAY + 60)
    leftover = _aged(tmp_path / "triage-xlang-old.tmp.npy", DAY + 60)
    recent = _aged(tmp_path / "triage-xlang-other-checkout.npy", DAY - 60)
    other_kind = _aged(tmp_path / "questions.npy", 3 * DAY)
    removed = sweep_stale(keep, "triage-xlang-*.npy")
    assert sorted(removed) == [old.name, leftover.name]
    assert keep.exists() and recent.exists() and other_kind.exists()
    assert not old.exists() and not leftover.exists()
    # The file in use is marked used, so another checkout's sweep keeps it a day.
    assert time.time() - keep.stat().st_mtime < 60
    assert sweep_stale(None, "triage-xlang-*.npy") == []


def test_the_triage_layer_sweeps_the_example_vectors_of_old_content(
    tmp_path: Path, pack: KnowledgePack
) -> None:
    # Each change of the examples names a new triage-xlang-<digest>.npy; the ones
    # no process has used for a day go when the layer caches its own.
    old = _aged(tmp_path / "triage-xlang-0123456789abcdef.npy", DAY + 60)
    recent = _aged(tmp_path / "triage-xlang-fedcba9876543210.npy", 60)
    layer = CrossLingualTriage(
        {pack.red_flags.rules[0].id: ("my legs went numb",)},
        ("my back is stiff",),
        {},
        None,
        pack.red_flags,
        cache_dir=tmp_path,
    )
    message = normalise("me duelen las piernas")
    layer.score(message, [(0, len(message.text))], _Variant("test-encoder"))
    left = sorted(p.name for p in tmp_path.glob("triage-xlang-*.npy"))
    assert old.name not in left and recent.name in left
    assert len(left) == 2, "the layer's own vectors are cached beside the recent file"
