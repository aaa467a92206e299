"""Benchmark the ONNX MiniLM encoder: query latency (unpadded vs padded to 128) and throughput.

Usage::

    .venv/bin/python benchmarks/bench_encoder.py [--model-dir DIR] [--threads N] [--queries 500]

Without ``--model-dir`` the model comes from backcare's own cache (``Settings().model_dir``),
built there on first use.
All figures come from the same run, so their ratios are meaningful.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import numpy as np

from backcare.retrieval.dense import OnnxMiniLM
from backcare.retrieval.onnx_export import TOKENIZER_NAME, ensure_model
from backcare.settings import Settings

_WORDS = (
    "back lower pain spasm muscle sciatica leg numb stretch walk sit chair bed sleep "
    "morning night ice heat ibuprofen paracetamol doctor physio exercise lifting bending "
    "twist cough sneeze tingling weakness bladder fever weeks days hours worse better "
    "should could when how what why does can help relief posture desk car drive work "
    "core plank bridge yoga massage hot bath rest move gently slowly again after before"
).split()


def _queries(n: int, words: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(_WORDS, k=words)) + "?" for _ in range(n)]


def _percentiles(samples_s: list[float]) -> tuple[float, float]:
    us = sorted(s * 1e6 for s in samples_s)
    p50 = statistics.median(us)
    p95 = us[min(len(us) - 1, round(0.95 * (len(us) - 1)))]
    return p50, p95


def main() -> None:
    """Run the benchmark and print a small report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--batch-sentences", type=int, default=1000)
    args = parser.parse_args()

    model_dir = args.model_dir or ensure_model(Settings().model_dir)
    encoder = OnnxMiniLM.load(model_dir, threads=args.threads)
    queries = _queries(args.queries, words=10)

    # Padded variant: the tokenizer exactly as tokenizer.json ships it (pad to 128).
    from tokenizers import Tokenizer

    padded_tok = Tokenizer.from_file(str(model_dir / TOKENIZER_NAME))

    def padded(text: str) -> None:
        enc = padded_tok.encode(text)
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.asarray([enc.attention_mask], dtype=np.int64)
        encoder._embed_ids(ids, mask)

    def unpadded(text: str) -> None:
        encoder._encode_one(text)  # bypasses the LRU cache on purpose

    for fn in (unpadded, padded):  # warm up both paths
        for text in queries[:20]:
            fn(text)

    # Interleaved so that both variants see the same background load.
    samples: dict[str, list[float]] = {"no_padding": [], "padded_128": []}
    for text in queries:
        for name, fn in (("no_padding", unpadded), ("padded_128", padded)):
            start = time.perf_counter()
            fn(text)
            samples[name].append(time.perf_counter() - start)
    results = {name: _percentiles(values) for name, values in samples.items()}

    for text in queries[:200]:
        encoder.encode_query(text)  # fill the cache
    start = time.perf_counter()
    for text in queries[:200]:
        encoder.encode_query(text)
    cached_us = (time.perf_counter() - start) / 200 * 1e6

    rng = random.Random(11)
    sentences = [
        " ".join(rng.choices(_WORDS, k=rng.randint(5, 60))) for _ in range(args.batch_sentences)
    ]
    encoder.encode(sentences[:64])
    start = time.perf_counter()
    encoder.encode(sentences, batch_size=64)
    throughput = len(sentences) / (time.perf_counter() - start)

    tokens = statistics.median(len(encoder._tokenizer.encode(q).ids) for q in queries)
    print(f"model {encoder.model_id}  threads={args.threads or 'default'}  dir={model_dir}")
    print(f"encode_query, {len(queries)} ten-word queries (median {tokens:.0f} tokens unpadded):")
    for name, (p50, p95) in results.items():
        print(f"  {name:<11} p50 {p50:8.0f} us   p95 {p95:8.0f} us")
    ratio = results["padded_128"][0] / results["no_padding"][0]
    print(f"  padded/no_padding p50 ratio: {ratio:.1f}x")
    print(f"  cached repeat: {cached_us:.1f} us")
    print(f"encode batch_size=64, {len(sentences)} sentences of 5-60 words: {throughput:.0f}/s")


if __name__ == "__main__":
    main()
