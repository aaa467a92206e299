"""Dense sentence encoders: the `Encoder` protocol, `OnnxMiniLM` and `HashingEncoder`.

`OnnxMiniLM` runs the all-MiniLM-L6-v2 graph built by `backcare.retrieval.onnx_export`
with onnxruntime and the Rust ``tokenizers``; torch is never imported. This is the only
backcare module that imports onnxruntime, and it does so lazily, so importing it for the
protocol or for `HashingEncoder` costs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from backcare.errors import ConfigError, ModelUnavailableError
from backcare.retrieval.onnx_export import (
    INT8_ONNX_DATA_NAME,
    INT8_ONNX_NAME,
    MANIFEST_NAME,
    ONNX_DATA_NAME,
    ONNX_NAME,
    TOKENIZER_NAME,
    VARIANTS,
    Variant,
    compute_model_id,
    file_sha256,
    read_manifest,
)

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "Encoder",
    "HashingEncoder",
    "OnnxMiniLM",
    "Vector",
    "Vectors",
    "load_runtime",
    "widen",
]

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
"""One L2-normalised embedding, shape ``(dim,)``."""
Vectors = npt.NDArray[np.float32]
"""L2-normalised embeddings, one per row, shape ``(n, dim)``."""

_BUILD_HINT: Final = "backcare model build"
_QUERY_CACHE_SIZE: Final = 1024


@runtime_checkable
class Encoder(Protocol):
    """Turns text into L2-normalised float32 vectors whose dot product is cosine similarity."""

    @property
    def dim(self) -> int:
        """Length of every vector."""
        ...

    @property
    def model_id(self) -> str:
        """Short stable id of model and format; stored vectors are valid only for it."""
        ...

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Encode many texts.

        Args:
            texts: Texts to encode, in order.
            batch_size: Texts per model call.
            progress: Called after each batch with the number of texts just encoded.

        Returns:
            float32 array of shape ``(len(texts), dim)`` with unit-norm rows.
        """
        ...

    def encode_query(self, text: str) -> Vector:
        """Encode one query.

        Args:
            text: The query.

        Returns:
            float32 array of shape ``(dim,)`` with unit norm.
        """
        ...


class OnnxMiniLM:
    """all-MiniLM-L6-v2 sentence embeddings (384 dims) through onnxruntime.

    Build the model folder with `backcare.retrieval.onnx_export.ensure_model` (or
    ``backcare model build``) and open it with `OnnxMiniLM.load`. Instances are safe to
    share between threads.
    """

    def __init__(
        self,
        session: Any,
        tokenizer: Tokenizer,
        *,
        dim: int,
        max_seq_length: int,
        model_id: str,
        model_dir: Path,
        variant: Variant = "fp32",
    ) -> None:
        """Wrap an open session and tokenizer; use `OnnxMiniLM.load` instead.

        Args:
            session: onnxruntime ``InferenceSession`` of the exported graph.
            tokenizer: Tokenizer with truncation set and padding off.
            dim: Embedding size.
            max_seq_length: Token limit, special tokens included.
            model_id: Id from `compute_model_id`.
            model_dir: Folder the model came from, for error messages.
            variant: Which of the folder's graphs ``session`` runs.
        """
        self.variant: Variant = variant
        self._session = session
        self._tokenizer = tokenizer
        self._dim = dim
        self._model_id = model_id
        self.max_seq_length = max_seq_length
        self.model_dir = model_dir
        self._query_cache = functools.lru_cache(maxsize=_QUERY_CACHE_SIZE)(self._encode_one)

    @classmethod
    def load(
        cls, model_dir: Path, *, threads: int | None = None, variant: Variant = "fp32"
    ) -> OnnxMiniLM:
        """Open a model folder written by `build_onnx_model`.

        The variant's graph and its external data file are checked against the
        sha256s in the manifest before they are loaded; onnxruntime then
        memory-maps the data file.

        Args:
            model_dir: Folder with ``model.onnx``, ``model.onnx.data``,
                ``model.int8.onnx``, ``model.int8.onnx.data``, ``tokenizer.json``
                and ``manifest.json``.
            threads: onnxruntime intra-op threads; defaults to 1 on two CPUs or
                fewer, else the CPU count (at most 4, more only adds
                synchronisation for a model this small).
            variant: ``"fp32"``, the exact graph (the default, as it matches the
                reference model), or ``"int8"``, its quantised variant; each has its
                own `model_id`.

        Returns:
            The ready encoder.

        Raises:
            ModelUnavailableError: A file is missing, fails its checksum, or cannot be
                loaded by tokenizers or onnxruntime.
            ConfigError: ``threads`` is below 1, or ``variant`` is unknown.
        """
        if threads is not None and threads < 1:
            raise ConfigError(f"encoder threads must be at least 1, got {threads}")
        if variant not in VARIANTS:
            raise ConfigError(
                f"unknown encoder variant {variant!r}; choose one of {', '.join(VARIANTS)}"
            )
        manifest = read_manifest(model_dir)
        names, what, key = (
            ((INT8_ONNX_NAME, INT8_ONNX_DATA_NAME), "int8 ONNX encoder", "int8_onnx")
            if variant == "int8"
            else ((ONNX_NAME, ONNX_DATA_NAME), "ONNX encoder", "onnx")
        )
        onnx_path = model_dir / names[0]
        _check_file(onnx_path, what, manifest, f"{key}_sha256", model_dir)
        # onnxruntime reads the data file by the name the graph gives, which is only
        # trustworthy because the graph passed its own checksum just above.
        data_path = model_dir / names[1]
        _check_file(data_path, f"{what} data", manifest, f"{key}_data_sha256", model_dir)
        try:
            dim = int(manifest["dim"])
            max_seq_length = int(manifest["max_seq_length"])
            model_id = compute_model_id(
                str(manifest["safetensors_sha256"]), max_seq_length, variant
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelUnavailableError(
                f"encoder manifest {model_dir / MANIFEST_NAME} lacks or garbles {exc}. "
                f"Rebuild it with `{_BUILD_HINT}`."
            ) from exc
        tokenizer = _load_tokenizer(model_dir / TOKENIZER_NAME, max_seq_length)
        session = _load_session(onnx_path, threads)
        logger.info("loaded ONNX encoder %s (%s) from %s", model_id, variant, model_dir)
        return cls(
            session,
            tokenizer,
            dim=dim,
            max_seq_length=max_seq_length,
            model_id=model_id,
            model_dir=model_dir,
            variant=variant,
        )

    @property
    def dim(self) -> int:
        """Length of every vector (384)."""
        return self._dim

    @property
    def model_id(self) -> str:
        """Short stable id of weights, graph format, variant and token limit."""
        return self._model_id

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """The whole words of the tokenizer's vocabulary (word pieces left out).

        Triage's slip repair reads it as a dictionary of real English words.
        """
        return frozenset(token for token in self._tokenizer.get_vocab() if token.isalpha())

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Encode many texts, batching texts of similar length to keep padding small.

        The int8 variant encodes one text a call instead (see `_encode_each`).

        Args:
            texts: Texts to encode, in order.
            batch_size: Texts per model call.
            progress: Called after each batch with the number of texts just encoded.

        Returns:
            float32 array of shape ``(len(texts), dim)`` with unit-norm rows, in the
            order of ``texts``.

        Raises:
            ConfigError: ``texts`` is a single string or ``batch_size`` is below 1.
            ModelUnavailableError: onnxruntime or the tokenizer fails.
        """
        _check_batch_args(texts, batch_size)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        if self.variant == "int8":
            return self._encode_each(texts, out, batch_size, progress)
        try:
            encodings = self._tokenizer.encode_batch(list(texts))
        except Exception as exc:  # tokenizers raises bare Exception
            raise self._failure("tokenize", exc) from exc
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            out[chunk] = self._embed_ids(ids, mask)
            if progress is not None:
                progress(len(chunk))
        return out

    def _encode_each(
        self,
        texts: Sequence[str],
        out: Vectors,
        batch_size: int,
        progress: Callable[[int], None] | None,
    ) -> Vectors:
        """Encode every text on its own, as a query is.

        The int8 graph quantises each activation matrix with one scale for the
        whole call, so in a batch a text's vector depends on its neighbours and
        padding: the eight test sentences batched came out at cosine 0.982-0.998
        to the same sentences encoded alone. One text a call keeps stored vectors
        equal to query vectors and independent of batch order.
        """
        return _fill_one_by_one(texts, out, batch_size, progress, self._encode_one)

    def encode_query(self, text: str) -> Vector:
        """Encode one query without padding, with an LRU cache of recent queries.

        Args:
            text: The query.

        Returns:
            Read-only float32 array of shape ``(dim,)`` with unit norm.

        Raises:
            ModelUnavailableError: onnxruntime or the tokenizer fails.
        """
        return self._query_cache(text)

    def _encode_one(self, text: str) -> Vector:
        try:
            encoding = self._tokenizer.encode(text)
        except Exception as exc:  # tokenizers raises bare Exception
            raise self._failure("tokenize", exc) from exc
        ids = np.asarray([encoding.ids], dtype=np.int64)
        vector: Vector = self._embed_ids(ids, np.ones_like(ids))[0]
        vector.flags.writeable = False  # shared through the cache
        return vector

    def _embed_ids(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        """Run the graph on token ids and their attention mask, both ``(batch, seq)``."""
        try:
            outputs = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        except Exception as exc:  # onnxruntime's pybind errors share no base but Exception
            raise self._failure("run", exc) from exc
        result: Vectors = outputs[0]
        return result

    def _failure(self, step: str, exc: Exception) -> ModelUnavailableError:
        return ModelUnavailableError(
            f"the ONNX encoder in {self.model_dir} failed to {step}: {exc}. "
            f"Rebuild it with `{_BUILD_HINT}`."
        )


class HashingEncoder:
    """Model-free encoder from hashed character trigrams, for tests and as a fallback.

    Deterministic across processes and platforms (blake2b, not Python's salted
    ``hash``). Texts sharing many trigrams get close vectors; that is all it promises.
    """

    def __init__(self, dim: int = 64) -> None:
        """Create an encoder with vectors of length ``dim``.

        Args:
            dim: Vector length.

        Raises:
            ConfigError: ``dim`` is below 1.
        """
        if dim < 1:
            raise ConfigError(f"HashingEncoder dim must be at least 1, got {dim}")
        self._dim = dim

    @property
    def dim(self) -> int:
        """Length of every vector."""
        return self._dim

    @property
    def model_id(self) -> str:
        """Id naming the scheme and size."""
        return f"hashing-trigram-v1-{self._dim}"

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Encode many texts.

        Args:
            texts: Texts to encode, in order.
            batch_size: Texts per `progress` call.
            progress: Called after each batch with the number of texts just encoded.

        Returns:
            float32 array of shape ``(len(texts), dim)`` with unit-norm rows.

        Raises:
            ConfigError: ``texts`` is a single string or ``batch_size`` is below 1.
        """
        _check_batch_args(texts, batch_size)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        return _fill_one_by_one(texts, out, batch_size, progress, self._vector)

    def encode_query(self, text: str) -> Vector:
        """Encode one query.

        Args:
            text: The query.

        Returns:
            float32 array of shape ``(dim,)`` with unit norm.
        """
        return self._vector(text)

    def _vector(self, text: str) -> Vector:
        padded = f" {' '.join(text.lower().split())} "
        grams = [padded[i : i + 3] for i in range(len(padded) - 2)] or [padded]
        vector = np.zeros(self._dim, dtype=np.float32)
        for gram in grams:
            digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:7], "little") % self._dim
            vector[bucket] += 1.0 if digest[7] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:  # every trigram cancelled out; any fixed unit vector will do
            vector[0] = 1.0
            return vector
        vector /= norm
        return vector


def _fill_one_by_one(
    texts: Sequence[str],
    out: Vectors,
    batch_size: int,
    progress: Callable[[int], None] | None,
    one: Callable[[str], Vector],
) -> Vectors:
    """Fill ``out`` with ``one(text)`` row by row, calling ``progress`` once a batch."""
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        for offset, text in enumerate(chunk):
            out[start + offset] = one(text)
        if progress is not None:
            progress(len(chunk))
    return out


def _check_batch_args(texts: Sequence[str], batch_size: int) -> None:
    if isinstance(texts, str):
        raise ConfigError("encode() takes a sequence of texts, not one string; use encode_query()")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")


def _load_tokenizer(path: Path, max_seq_length: int) -> Tokenizer:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises bare Exception
        raise ModelUnavailableError(
            f"cannot load the tokenizer {path}: {exc}. Rebuild the encoder with `{_BUILD_HINT}`."
        ) from exc
    # tokenizer.json pads every input to 128 tokens and truncates at 128; queries are
    # ~10x faster unpadded, batches are padded by hand, and sentence-transformers
    # truncates at max_seq_length (256), not 128.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_seq_length)
    return tokenizer


def _check_file(path: Path, what: str, manifest: dict[str, Any], key: str, model_dir: Path) -> None:
    """Raise unless ``path`` has the sha256 that ``manifest[key]`` records."""
    expected = manifest.get(key)
    if not isinstance(expected, str):
        raise ModelUnavailableError(
            f"encoder manifest {model_dir / MANIFEST_NAME} lacks {key!r}. "
            f"Rebuild it with `{_BUILD_HINT}`."
        )
    try:
        found = _verified_sha256(path, expected)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot read the {what} {path}: {exc}. Rebuild it with `{_BUILD_HINT}`."
        ) from exc
    if found != expected:
        raise ModelUnavailableError(
            f"{what} {path} fails its checksum: sha256 is {found}, "
            f"{model_dir / MANIFEST_NAME} expects {expected}. "
            f"Rebuild it with `{_BUILD_HINT}`."
        )


def _verified_sha256(path: Path, expected: str) -> str:
    """The file's sha256, skipping the read when it was verified unchanged before.

    Hashing the 90 MB of weights took a sixth of the cold start. After a successful
    check a stamp beside it records the hash with the file's size, mtime and
    inode; while all match, the file is the one that was hashed. Any rewrite
    changes the mtime, so a replaced or corrupted file is hashed again.
    """
    stat = path.stat()
    key = {
        "sha256": expected,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ino": stat.st_ino,
    }
    stamp = path.with_name(f".{path.name}.verified")
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == key:
            return expected
    except (OSError, ValueError):
        pass
    found = file_sha256(path)
    if found == expected:
        try:
            stamp.write_text(json.dumps(key), encoding="utf-8")
        except OSError:  # a read-only model folder just hashes every time
            pass
    return found


def _default_threads() -> int:
    """Encoder threads when none are asked for: 1 on two CPUs or fewer, else the CPUs, at most 4.

    CPUs are those this process may run on (not the host's count, which
    containers inflate). On two CPUs a second, spinning thread gains little
    when the machine is idle (a 10-token int8 encode 1.02 ms against 1.07 ms
    with one thread, 2026-12-04) and loses badly when anything else runs: it
    competes with the rest of the ask for the other CPU. At 47k entries on
    the shared 2-core machine (load average 10), two alternated runs each of
    ``benchmarks/profile_ask.py`` gave an ask p50 of 24 ms with one thread
    against 52-60 ms with two (docs/performance.md). The vectors are the same
    bits either way.
    """
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        available = os.cpu_count() or 1
    return 1 if available <= 2 else min(available, 4)


def load_runtime() -> None:
    """Import onnxruntime now, if installed.

    ``backcare.retrieval.ann`` calls this before importing usearch: when
    usearch's compiled module is loaded first, importing onnxruntime 1.32 later
    crashes the process (SIGSEGV in libstdc++'s ``std::codecvt`` during
    onnxruntime's static initialisation; usearch 2.26.6, Linux x86-64).
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:  # model-free use (HashingEncoder) needs no runtime
        pass


def _load_session(path: Path, threads: int | None) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelUnavailableError(
            "the dense encoder needs onnxruntime: pip install onnxruntime==1.32.0"
        ) from exc
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads if threads is not None else _default_threads()
    options.inter_op_num_threads = 1
    # With two or more threads, letting the helpers spin between the graph's
    # ~60 small kernels instead of sleeping on a futex took a 10-token encode
    # from 3.66 to 3.14 ms (make bench, 2 cores, docs/performance.md). With one thread
    # there is no pool to spin; servers that run several workers set threads=1.
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime's pybind errors share no base but Exception
        raise ModelUnavailableError(
            f"onnxruntime cannot load the encoder {path}: {exc}. Rebuild it with `{_BUILD_HINT}`."
        ) from exc


# Below this many numbers numpy's own cast is quicker than a call into onnxruntime.
_WIDEN_MIN = 4096


def widen(array: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    """``array`` as float32: float16 converted exactly, float32 returned as it is.

    numpy converts float16 one number at a time (about 1 ns each here): the
    1,200 candidate rows a query rescores at 47k entries, question and answer
    vectors, took about 0.9 ms of a 5 ms ``ask``. onnxruntime's Cast kernel
    uses the CPU's conversion instructions and takes a fifth of that. Every
    float16 value, subnormals included, has one exact float32 value, so both
    ways give the same numbers (a test checks all 65,536 of them), and so the
    same cosines after the product that follows.
    """
    if array.dtype == np.float32:
        return array
    if array.dtype != np.float16 or array.size < _WIDEN_MIN:
        return array.astype(np.float32)
    session = _cast_session()
    if session is None:
        return array.astype(np.float32)
    try:
        result: npt.NDArray[np.float32] = session.run(
            None, {"x": np.ascontiguousarray(array).reshape(-1)}
        )[0].reshape(array.shape)
    except Exception:  # onnxruntime's pybind errors share no base but Exception
        logger.warning("onnxruntime's float16 cast failed; converting with numpy", exc_info=True)
        return array.astype(np.float32)
    return result


@functools.cache
def _cast_session() -> Any:
    """A session whose graph is one float16 -> float32 Cast; None without onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    options = ort.SessionOptions()
    # Memory-bound and called from a request's thread: no pool to wake or spin.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(
            _cast_model(), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception:  # onnxruntime's pybind errors share no base but Exception
        logger.warning("onnxruntime cannot load the float16 cast graph", exc_info=True)
        return None


def _cast_model() -> bytes:
    """The serialised ONNX model ``y = Cast(x, to=float)``, x a float16 vector of any length.

    Written out by hand (the ``onnx`` package takes seconds to import): each
    call below is one protobuf field of onnx.proto3, numbered as there.
    """

    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            low, value = value & 0x7F, value >> 7
            out.append(low | (0x80 if value else 0))
            if not value:
                return bytes(out)

    def number(field: int, value: int) -> bytes:
        return varint(field << 3) + varint(value)

    def nested(field: int, payload: bytes) -> bytes:
        return varint(field << 3 | 2) + varint(len(payload)) + payload

    def text(field: int, value: str) -> bytes:
        return nested(field, value.encode("ascii"))

    def vector(name: str, elem_type: int) -> bytes:
        # ValueInfoProto{name, type: TypeProto{tensor_type{elem_type, shape{dim{dim_param}}}}}
        shape = nested(1, text(2, "n"))
        return text(1, name) + nested(2, nested(1, number(1, elem_type) + nested(2, shape)))

    float32, float16, attribute_int = 1, 10, 2
    to = text(1, "to") + number(3, float32) + number(20, attribute_int)  # AttributeProto
    node = text(1, "x") + text(2, "y") + text(4, "Cast") + nested(5, to)  # NodeProto
    graph = (
        nested(1, node)
        + text(2, "widen")
        + nested(11, vector("x", float16))
        + nested(12, vector("y", float32))
    )
    opset = text(1, "") + number(2, 17)  # OperatorSetIdProto: default domain, opset 17
    return number(1, 8) + nested(7, graph) + nested(8, opset)  # ir_version 8
