"""Copy a saved knowledge base with its vectors stored in another dtype, without re-encoding.

For measuring a storage change on the 47k knowledge base, whose encoding
takes a quarter of an hour on the shared machine: the stored vectors are
read, converted (``int8`` codes each row against its own largest magnitude:
``backcare.retrieval.quantized``), and saved with the same entries, BM25
indexes and ANN index into a new folder. The calibration is computed afresh
on the converted vectors, as ``backcare ingest`` would compute it::

    python benchmarks/requantize.py benchmarks/results/kb/medquad-47k \\
        benchmarks/results/kb/medquad-47k-int8 --dtype int8

A folder converted from float16 can differ from one encoded straight to int8
where a value sits on a rounding boundary: at most one code step, in few rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from backcare import load_pack
from backcare.retrieval.calibration import MANIFEST_KEY
from backcare.retrieval.kbase import VECTOR_DTYPES, KnowledgeBase
from backcare.retrieval.quantized import Int8Rows


def convert(source: Path, target: Path, dtype: str) -> dict[str, object]:
    """Write ``source``'s knowledge base to ``target`` with vectors in ``dtype``."""
    from backcare import default_encoder
    from backcare.retrieval.retriever import HybridRetriever
    from backcare.settings import Settings

    kb = KnowledgeBase.load(source)
    before = str(kb.question_vectors.dtype)

    def stored(vectors: object) -> object:
        matrix = np.asarray(vectors, dtype=np.float32)
        if dtype == "int8":
            return Int8Rows.quantize(matrix)
        return matrix.astype(dtype)

    manifest = {k: v for k, v in kb.manifest.items() if k != MANIFEST_KEY}
    manifest["vector_dtype"] = dtype
    converted = dataclasses.replace(
        kb,
        entries=tuple(kb.entries),
        question_vectors=stored(kb.question_vectors),
        answer_vectors=stored(kb.answer_vectors),
        manifest=manifest,
    )
    settings = Settings()  # the encoder the benchmark's worker uses
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    t = time.perf_counter()
    converted.manifest = HybridRetriever(converted, encoder, load_pack().params).calibrated()
    calibrate_s = time.perf_counter() - t
    converted.save(target)
    return {"from": before, "to": dtype, "entries": len(kb), "calibrate_s": round(calibrate_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--dtype", choices=VECTOR_DTYPES, default="int8")
    args = parser.parse_args()
    print(json.dumps(convert(args.source, args.target, args.dtype)))


if __name__ == "__main__":
    main()
