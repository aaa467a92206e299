"""Ingest FAQ files into a knowledge-base folder, describe one, and export it back.

``ingest_to_kb`` reads the files, merges their entries into the folder's
existing knowledge base (near-duplicate questions found with the dense
encoder), indexes the result and saves it as a new version. Nothing is written
until every file has been read and merged, and ``KnowledgeBase.save`` swaps the
new version in atomically, so a failed or killed ingest leaves the previous
knowledge base live and unchanged.

Vectors the folder already holds for the same model are reused, and questions
embedded while merging are not embedded again while indexing: adding one file
to a large knowledge base only encodes what is new.

One ingest at a time per folder: ``ingest_to_kb`` holds an exclusive lock on
``<kb>/.ingest.lock`` (``flock``, released by the kernel when the process dies,
so a killed run never leaves the folder locked) from reading the old version
to making the new one live. Without it a second run would merge into the
version the first had not yet replaced, and one run's entries would be lost;
its save would also sweep away the other's half-written version.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from backcare.errors import ConfigError, IngestError, KnowledgePackError
from backcare.ingest.files import ingest_files
from backcare.ingest.merge import OnConflict
from backcare.ingest.report import IngestReport
from backcare.knowledge.pack import load_pack
from backcare.model import FaqEntry, RetrievalParams
from backcare.model.csvcells import neutralise
from backcare.retrieval.dense import Encoder, Vector, Vectors
from backcare.retrieval.kbase import (
    KnowledgeBase,
    answer_for_vector,
    content_hash,
    live_version,
    read_manifest,
)
from backcare.retrieval.retriever import HybridRetriever

__all__ = [
    "EXPORT_FORMATS",
    "NEAR_DUPLICATE_THRESHOLD",
    "REVIEW_FILE",
    "ExportFormat",
    "LOCK_FILE",
    "IngestProgress",
    "KbInfo",
    "ReviewDecisions",
    "accept_proposal",
    "export_kb",
    "ingest_to_kb",
    "kb_info",
    "reject_proposal",
    "review_decisions",
]

logger = logging.getLogger(__name__)

# Cosine similarity (all-MiniLM-L6-v2) at or above which two questions count as the
# same question: merged as alternates when the answers agree, a conflict when not.
# Measured with benchmarks/near_duplicates.py:
# - rewordings of the seed page's questions ("What helps lower back spasms
#   immediately?" / "What helps low back spasms right away?", word order, curly
#   apostrophes, "you"/"I") score 0.95-0.996; singular/plural swaps 0.90-0.93;
# - distinct topics of our own pack reach 0.926 ("what are the symptoms of a back
#   spasm" / "signs that a back spasm is something serious"), so 0.9 would report
#   them as conflicts, and keep-first would drop the later one;
# - MedQuAD's template questions about numbered subtypes ("symptoms of Spastic
#   paraplegia 14" / "... 15") score up to 0.99 with different answers: no
#   threshold separates those, they are reported as conflicts (1,458 pairs at 0.95,
#   4,198 at 0.9; ingesting all of MedQuAD reports 2,794 conflicts at 0.95, so use
#   --on-conflict keep-both for corpora like it).
# A missed rewording costs a near-duplicate entry; a false conflict loses one. 0.95
# sits above every distinct-topic pair of the pack and below the rewordings.
NEAR_DUPLICATE_THRESHOLD = 0.95

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl")

IngestProgress = Callable[[str, int, int | None], None]
"""Called as ``progress(phase, done, total)``; phases in order: ``reading``,
``merging`` (embedding questions to find near-duplicates), ``encoding`` (the
index's vectors) and ``saving``. ``total`` is None when not known in advance."""

_CURRENT = "CURRENT"
REVIEW_FILE = "review.json"
"""A maintainer's accepted and rejected review proposals, beside the versions it outlives."""
LOCK_FILE = ".ingest.lock"
_EXPORT_COLUMNS = ("id", "question", "alternates", "answer", "url", "source")


class KbInfo(BaseModel):
    """What a knowledge-base folder holds, from its manifest."""

    model_config = ConfigDict(frozen=True)

    path: str
    version: str
    name: str
    entries: int
    model_id: str
    built_at: str
    content_hash: str
    format_version: int
    sources: tuple[dict[str, str], ...] = ()


def kb_info(kb_dir: str | os.PathLike[str]) -> KbInfo:
    """Describe the live version of the knowledge base in ``kb_dir``.

    Raises:
        KnowledgePackError: ``kb_dir`` holds no knowledge base, or its manifest
            is damaged.
    """
    folder = Path(kb_dir)
    version = live_version(folder)
    manifest = read_manifest(version)
    try:
        return KbInfo(
            path=str(folder),
            version=version.name,
            name=str(manifest["name"]),
            entries=int(str(manifest["entries"])),
            model_id=str(manifest["model_id"]),
            built_at=str(manifest["built_at"]),
            content_hash=str(manifest["content_hash"]),
            format_version=int(str(manifest["format_version"])),
            sources=tuple(_manifest_sources(manifest)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgePackError(
            f"{version}: manifest lacks or garbles {exc}; rebuild it with "
            f"'backcare ingest FILE... --kb {folder}'"
        ) from exc


def ingest_to_kb(
    paths: Iterable[str | os.PathLike[str]],
    kb_dir: str | os.PathLike[str],
    encoder: Encoder,
    *,
    name: str | None = None,
    on_conflict: OnConflict = "keep_first",
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
    progress: IngestProgress | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ann: bool | None = None,
    params: RetrievalParams | None = None,
    wait: float = 0.0,
) -> IngestReport:
    """Read FAQ files into the knowledge base in ``kb_dir``, creating or updating it.

    When ``kb_dir`` already holds a knowledge base, its entries are kept and the
    files' entries are merged into them: a question already there (same text,
    or same meaning by the encoder) with the same answer is skipped or becomes
    an alternate, so ingesting a file twice adds nothing. When the merged
    entries, name, sources and model are unchanged, no new version is written.

    Args:
        paths: the FAQ files (any format ``backcare.ingest`` reads).
        kb_dir: the knowledge-base folder; created when missing.
        encoder: the sentence encoder for near-duplicates and the index.
        name: the label replies carry in ``kb``; default: the existing
            knowledge base's name, else the folder's name.
        on_conflict: ``keep_first`` drops an entry whose question matches an
            earlier one with a different answer; ``keep_both`` keeps both.
            Either way the conflict is in the report.
        threshold: cosine similarity at or above which questions are the same.
        progress: told how far each phase has got (see ``IngestProgress``).
        clock: gives the build time recorded in the manifest.
        ann: build an approximate-nearest-neighbour index over the question
            vectors (True), never (False), or above ``ANN_THRESHOLD``
            questions (None, the default).
        params: the retrieval parameters the knowledge base is calibrated for
            (``backcare.retrieval.calibration``); default: the shipped pack's.
        wait: seconds to wait for another ingest into ``kb_dir`` to finish;
            0 fails at once when one is running.

    Returns:
        What happened to every question read: added, merged, skipped or in
        conflict, each with its reason, file and line.

    Raises:
        ConfigError: no files, or an unknown ``on_conflict``.
        UnsupportedFormatError: a file is of a kind no reader handles.
        IngestError: a file cannot be read, nothing in them has an answer, or
            another ingest into ``kb_dir`` is still running after ``wait``.
        KnowledgePackError: ``kb_dir`` is neither empty nor a knowledge base,
            or its knowledge base is damaged.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise ConfigError("ingest needs at least one FAQ file")
    if on_conflict not in ("keep_first", "keep_both"):
        raise ConfigError(f"on_conflict must be 'keep_first' or 'keep_both', not {on_conflict!r}")
    folder = Path(kb_dir)
    with _ingest_lock(folder, wait):
        return _ingest_locked(
            files, folder, encoder, name, on_conflict, threshold, progress, clock, ann, params
        )


def _ingest_locked(
    files: list[Path],
    folder: Path,
    encoder: Encoder,
    name: str | None,
    on_conflict: OnConflict,
    threshold: float,
    progress: IngestProgress | None,
    clock: Callable[[], dt.datetime],
    ann: bool | None,
    params: RetrievalParams | None,
) -> IngestReport:
    old = _existing(folder)
    label = name or (old.name if old is not None else folder.resolve().name)
    if not label.strip():
        raise ConfigError("the knowledge base needs a non-empty name")
    sources: dict[str, dict[str, str]] = {}
    if old is not None:
        try:
            sources = {source["path"]: source for source in _manifest_sources(old.manifest)}
        except (KeyError, TypeError) as exc:
            raise KnowledgePackError(
                f"{folder}: manifest lists its sources wrongly ({exc}); rebuild it"
            ) from exc
    for file in files:
        path = str(file.resolve())
        sources[path] = {"path": path, "sha256": _sha256(file)}

    def emit(phase: str, done: int, total: int | None) -> None:
        if progress is not None:
            progress(phase, done, total)

    same_model = old is not None and old.manifest.get("model_id") == encoder.model_id
    reuse = _ReusingEncoder(encoder, _known_vectors(old) if same_model and old else {})
    embedded = 0

    def embed(texts: Sequence[str]) -> Vectors:
        nonlocal embedded
        if embedded == 0:
            emit("reading", len(files), len(files))

        def step(count: int) -> None:
            nonlocal embedded
            embedded += count
            emit("merging", embedded, None)

        return reuse.encode(texts, progress=step)

    emit("reading", 0, len(files))
    result = ingest_files(
        files,
        existing=old.entries if old else (),
        embed=embed,
        threshold=threshold,
        on_conflict=on_conflict,
    )
    emit("reading", len(files), len(files))
    entries = result.entries
    if not entries:
        shown = ", ".join(str(f) for f in files)
        raise IngestError(
            f"{shown}: no question with an answer found ({result.report.skipped} skipped); "
            "nothing to build"
        )
    source_list = sorted(sources.values(), key=lambda s: s["path"])
    if (
        old is not None
        and same_model
        and old.name == label
        and old.manifest.get("content_hash") == content_hash(entries)
        and old.manifest.get("sources") == source_list
        and (ann is None or ("ann" in old.manifest) == ann)
    ):
        logger.info("knowledge base %s in %s is unchanged; nothing written", label, folder)
        return result.report
    total = sum(len(entry.questions()) + 1 for entry in entries)
    emit("encoding", 0, total)
    built = KnowledgeBase.build(
        label,
        entries,
        reuse,
        sources=source_list,
        progress=lambda n: emit("encoding", n, total),
        clock=clock,
        ann=ann,
    )
    emit("saving", 0, None)
    if old is not None:
        old.release()  # or its version would stay on disk until the next ingest
    _calibrate_and_save(built, reuse, params, folder)
    emit("saving", 1, 1)
    return result.report


def _calibrate_and_save(
    built: KnowledgeBase, encoder: Encoder, params: RetrievalParams | None, folder: Path
) -> None:
    # Calibrated before the switch, so the new version goes live with its own
    # abstention scale (docs/retrieval.md).
    retriever = HybridRetriever(
        built, encoder, params if params is not None else load_pack().params
    )
    built.manifest = retriever.calibrated()
    built.save(folder)


class ReviewDecisions(BaseModel):
    """What a maintainer decided about review proposals for one knowledge base.

    ``accepted`` maps a cluster id to the entry its questions joined;
    ``rejected`` lists ``[cluster id, entry id]`` pairs never to propose again.
    """

    model_config = ConfigDict(frozen=True)

    accepted: dict[str, str] = {}
    rejected: tuple[tuple[str, str], ...] = ()


def review_decisions(kb_dir: str | os.PathLike[str]) -> ReviewDecisions:
    """The decisions recorded for the knowledge base in ``kb_dir`` (none yet: empty).

    Raises:
        KnowledgePackError: the decisions file is unreadable or malformed.
    """
    path = Path(kb_dir) / REVIEW_FILE
    try:
        return ReviewDecisions.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return ReviewDecisions()
    except (OSError, ValueError) as exc:
        raise KnowledgePackError(
            f"{path}: unreadable review decisions ({exc}); fix or delete the file"
        ) from exc


def reject_proposal(kb_dir: str | os.PathLike[str], cluster: str, entry_id: str) -> None:
    """Record that the questions of ``cluster`` do not belong to ``entry_id``.

    Raises:
        KnowledgePackError: ``kb_dir`` holds no knowledge base, or no such entry.
    """
    folder = Path(kb_dir)
    kb = KnowledgeBase.load(folder)
    if kb.index_of(entry_id) is None:
        raise KnowledgePackError(f"no entry '{entry_id}' in {kb.name} ({folder})")
    old = review_decisions(folder)
    pair = (cluster, entry_id)
    if pair not in old.rejected:
        _save_decisions(folder, old.model_copy(update={"rejected": (*old.rejected, pair)}))


def accept_proposal(
    kb_dir: str | os.PathLike[str],
    cluster: str,
    entry_id: str,
    questions: Sequence[str],
    encoder: Encoder,
    *,
    params: RetrievalParams | None = None,
) -> int:
    """Add ``questions`` (a review cluster's) as alternates of ``entry_id`` and switch to it.

    The new version is indexed, calibrated and made live by the same atomic
    switch as ingest, so a failure leaves the previous version live. Questions
    the knowledge base already has (any entry's, case and spacing ignored) are
    not added again, so accepting twice changes nothing.

    Returns:
        How many questions were added.

    Raises:
        ConfigError: no questions.
        KnowledgePackError: ``kb_dir`` holds no knowledge base, or no such entry.
        IngestError: an ingest into ``kb_dir`` is running.
    """
    texts = [" ".join(q.split()) for q in questions if q.strip()]
    if not texts:
        raise ConfigError("accepting a proposal needs at least one question")
    folder = Path(kb_dir)
    # The ingest lock: an ingest running now would otherwise switch to a version
    # without these alternates, or this switch would drop its entries.
    with _ingest_lock(folder, 0.0):
        old = _existing(folder)
        if old is None:
            raise KnowledgePackError(f"{folder}: no knowledge base here to add alternates to")
        index = old.index_of(entry_id)
        if index is None:
            raise KnowledgePackError(f"no entry '{entry_id}' in {old.name} ({folder})")
        entries = list(old.entries)
        known = {" ".join(q.casefold().split()) for entry in entries for q in entry.questions()}
        added: list[str] = []
        for text in texts:
            key = " ".join(text.casefold().split())
            if key not in known:
                known.add(key)
                added.append(text)
        if added:
            target = entries[index]
            entries[index] = target.model_copy(update={"alternates": (*target.alternates, *added)})
            same_model = old.manifest.get("model_id") == encoder.model_id
            reuse = _ReusingEncoder(encoder, _known_vectors(old) if same_model else {})
            built = KnowledgeBase.build(
                old.name,
                entries,
                reuse,
                sources=_manifest_sources(old.manifest),
                ann=old.ann is not None,
            )
            old.release()
            _calibrate_and_save(built, reuse, params, folder)
            logger.info("added %d alternates to %s in %s", len(added), entry_id, folder)
        decisions = review_decisions(folder)
        _save_decisions(
            folder,
            decisions.model_copy(update={"accepted": {**decisions.accepted, cluster: entry_id}}),
        )
        return len(added)


def _save_decisions(folder: Path, decisions: ReviewDecisions) -> None:
    tmp = folder / f".{REVIEW_FILE}.tmp-{os.getpid()}"
    tmp.write_text(decisions.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, folder / REVIEW_FILE)


def export_kb(kb_dir: str | os.PathLike[str], format: ExportFormat = "jsonl") -> str:
    """The entries of the knowledge base in ``kb_dir`` as CSV or JSONL text.

    The columns (``id``, ``question``, ``alternates``, ``answer``, ``url``,
    ``source``) are the ones ``backcare ingest`` reads, so ingesting the export
    gives the same entries back (ids, questions, alternates, answers and the
    first source; CSV joins alternates with `` | ``). Only the first source of
    an entry fits the columns; ``origin`` is not exported. CSV cells that a
    spreadsheet would run as formulas get a leading ``'``, which ``ingest``
    takes off (``backcare.model.csvcells``).

    Raises:
        ConfigError: ``format`` is not ``csv`` or ``jsonl``.
        KnowledgePackError: ``kb_dir`` holds no loadable knowledge base.
    """
    if format not in EXPORT_FORMATS:
        raise ConfigError(
            f"unknown export format {format!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    rows = [_export_row(entry) for entry in KnowledgeBase.load(Path(kb_dir)).entries]
    if format == "jsonl":
        return "".join(
            json.dumps({k: v for k, v in row.items() if v}, ensure_ascii=False) + "\n"
            for row in rows
        )
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=_EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        alternates = list(row["alternates"])
        # A "|" inside a question would split it on the way back; such alternates (and
        # those after them, to keep the order) go on rows of their own under the same
        # id, which the reader folds back in as alternates (the QnA Maker layout).
        cut = next((n for n, q in enumerate(alternates) if "|" in q), len(alternates))
        writer.writerow(_safe({**row, "alternates": " | ".join(alternates[:cut])}))
        for question in alternates[cut:]:
            writer.writerow(_safe({**row, "question": question, "alternates": ""}))
    return out.getvalue()


def _safe(row: dict[str, str | list[str]]) -> dict[str, str]:
    return {name: neutralise(str(value)) for name, value in row.items()}


def _export_row(entry: FaqEntry) -> dict[str, str | list[str]]:
    source = entry.sources[0] if entry.sources else None
    if len(entry.sources) > 1:
        logger.info(
            "entry %s: only the first of %d sources is exported", entry.id, len(entry.sources)
        )
    return {
        "id": entry.id,
        "question": entry.question,
        "alternates": list(entry.alternates),
        "answer": entry.answer,
        "url": source.url if source else "",
        "source": source.title if source else "",
    }


@contextlib.contextmanager
def _ingest_lock(folder: Path, wait: float) -> Iterator[None]:
    """Hold ``folder``'s ingest lock, waiting up to ``wait`` seconds for it.

    A folder this call created is removed again when the ingest fails, so a
    failed first ingest leaves nothing behind, as before there was a lock.

    Raises:
        KnowledgePackError: ``folder`` is a file, or the lock cannot be created.
        IngestError: another process holds the lock after ``wait`` seconds.
    """
    if folder.exists() and not folder.is_dir():
        raise KnowledgePackError(f"{folder}: is a file; --kb needs a folder")
    created = not folder.exists()
    deadline = time.monotonic() + max(0.0, wait)
    lock = folder / LOCK_FILE
    while True:
        handle = _open_lock(folder)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            if time.monotonic() >= deadline:
                raise IngestError(
                    f"{folder}: another ingest is running on this knowledge base "
                    f"({holder}); wait for it to finish, or pass --wait SECONDS"
                ) from None
            time.sleep(0.05)
            continue
        # A failed first ingest removes the file it locked: a lock on that old
        # file guards nothing, so take the one now at the path.
        try:
            same = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()
    with handle:
        # Who holds it, for the message above; the lock itself is the flock.
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}")
        handle.flush()
        succeeded = False
        try:
            yield
            succeeded = True
        finally:
            handle.truncate(0)
            if created and not succeeded:
                lock.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty: leftovers of a killed build stay
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open_lock(folder: Path) -> io.TextIOWrapper:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return (folder / LOCK_FILE).open("a+", encoding="utf-8")
    except OSError as exc:
        raise KnowledgePackError(
            f"{folder}: cannot create {LOCK_FILE} ({exc.strerror or exc}); ingest needs a "
            "writable folder (replicas serve it read-only; ingest where it is written)"
        ) from exc


def _existing(folder: Path) -> KnowledgeBase | None:
    """The knowledge base already in ``folder``; None for a new or empty folder."""
    if (folder / _CURRENT).exists():
        return KnowledgeBase.load(folder)
    if folder.exists() and not folder.is_dir():
        raise KnowledgePackError(f"{folder}: is a file; --kb needs a folder")
    # Leftovers of a killed first build are not content: ".tmp-*", and a "v-*" version
    # renamed into place before CURRENT named it. (The ingest lock is held, so no
    # other build is writing them; the next save removes them.)
    if folder.is_dir() and any(
        not (child.name.startswith(".") or (child.name.startswith("v-") and child.is_dir()))
        for child in folder.iterdir()
    ):
        raise KnowledgePackError(
            f"{folder}: not empty and not a knowledge base (no {_CURRENT} file); "
            "choose a new or empty folder"
        )
    return None


def _manifest_sources(manifest: dict[str, object]) -> list[dict[str, str]]:
    """The manifest's ``sources`` as ``{"path", "sha256"}`` dicts.

    Raises:
        KeyError, TypeError: the list or one of its items is malformed.
    """
    sources = manifest.get("sources", [])
    if not isinstance(sources, list):
        raise TypeError(f"'sources' is a {type(sources).__name__}, not a list")
    return [{"path": str(s["path"]), "sha256": str(s["sha256"])} for s in sources]


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    try:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise IngestError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _known_vectors(kb: KnowledgeBase) -> dict[str, Vector]:
    """The vectors a saved knowledge base holds, by the exact text that was encoded."""
    known: dict[str, Vector] = {}
    questions = np.asarray(kb.question_vectors, dtype=np.float32)
    answers = np.asarray(kb.answer_vectors, dtype=np.float32)
    row = 0
    for index, entry in enumerate(kb.entries):
        for question in entry.questions():
            known.setdefault(question, questions[row])
            row += 1
        # The same truncation as KnowledgeBase.build, so the answers it encodes hit.
        known.setdefault(answer_for_vector(entry), answers[index])
    return known


class _ReusingEncoder:
    """An encoder that encodes each distinct text once and reuses known vectors.

    Only for one model: the caller seeds it with vectors made by ``encoder``.
    """

    def __init__(self, encoder: Encoder, known: dict[str, Vector]) -> None:
        self._encoder = encoder
        self._known = known

    @property
    def dim(self) -> int:
        """Length of every vector."""
        return self._encoder.dim

    @property
    def model_id(self) -> str:
        """The wrapped encoder's model id."""
        return self._encoder.model_id

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Encode ``texts``, calling the model only for texts not seen before."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            vector = self._known.get(text)
            if vector is None:
                missing.setdefault(text, []).append(index)
            else:
                out[index] = vector
        hits = len(texts) - sum(len(positions) for positions in missing.values())
        if progress is not None and hits:
            progress(hits)
        if missing:
            todo = list(missing)
            vectors = self._encoder.encode(todo, batch_size=batch_size, progress=progress)
            for text, vector in zip(todo, vectors, strict=True):
                self._known[text] = vector
                out[missing[text]] = vector
            repeats = sum(len(positions) - 1 for positions in missing.values())
            if progress is not None and repeats:
                progress(repeats)
        return out

    def encode_query(self, text: str) -> Vector:
        """Encode one query with the wrapped encoder."""
        return self._encoder.encode_query(text)
