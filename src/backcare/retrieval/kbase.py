"""A searchable knowledge base: entries, two BM25 indexes and embedding vectors.

On disk it is a folder holding a ``CURRENT`` file that names the live
version, and one subfolder per version::

    CURRENT              e.g. "v-20261127T231500-3f9a..."
    v-.../manifest.json        format version, name, model id, content hash, sources, build time
    entries.jsonl        one FaqEntry a line
    entry_offsets.npy    where each entry's line starts in entries.jsonl (bytes)
    entry_ids.json       the entries' ids, in order
    bm25_questions/      BM25 over each entry's question and alternates
    bm25_answers/        BM25 over each entry's answer
    question_vectors.npy one unit vector per question or alternate, grouped by entry
                         (float32, float16 or int8 codes: see VECTOR_DTYPES)
    question_scales.npy  int8 only: each question vector's float32 scale
    question_starts.npy  where each entry's group starts in question_vectors
    answer_vectors.npy   one unit vector per entry's passage: its question, then its
                         answer (as much as the encoder reads); same dtype
    answer_scales.npy    int8 only: each answer vector's float32 scale
    words.json           the surface vocabulary with counts, for spelling repair
    question_ann.usearch HNSW index over question_vectors (only above ANN_THRESHOLD
                         questions, or when asked for; its settings are in the manifest)

``save`` writes a new version into a temporary subfolder, renames it, then
atomically replaces ``CURRENT`` (write and rename), so a build that fails or
is killed at any point leaves the previous version live and untouched.

Several processes may save into one folder at once (``serve --workers 2``
building the pack's cache on a fresh machine) and others may be reading it,
so folders are marked with ``flock`` (released by the kernel when a process
dies): a save holds an exclusive lock on its temporary folder while writing
it, ``load`` holds a shared lock on the version it opened for as long as the
knowledge base lives, and the switch (rename, ``CURRENT``, removal of old
versions) runs under an exclusive lock on the folder itself. A version or
temporary folder is removed only when its exclusive lock can be taken, so a
save never deletes another's half-written version or one a process serves,
and ``CURRENT`` always names a version that exists.
``load`` memory-maps the arrays, reads entries only when they are asked for
(see ``entries.py``: parsing them all cost ~170 MB on 47,000 entries), and
refuses a folder whose manifest is missing, from another format version or
another model, or whose files disagree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from backcare.errors import KnowledgePackError
from backcare.model import FaqEntry
from backcare.retrieval._damage import DAMAGED_FILE_ERRORS
from backcare.retrieval.ann import ANN_FILE, AnnIndex, AnnParams, use_ann
from backcare.retrieval.bm25 import BM25Index
from backcare.retrieval.dense import Encoder, widen
from backcare.retrieval.entries import EntryFile, write_entries
from backcare.retrieval.quantized import Int8Rows
from backcare.retrieval.tokenize import Analyzer, words

_LOAD_ERRORS: tuple[type[Exception], ...] = (*DAMAGED_FILE_ERRORS, KnowledgePackError)

__all__ = [
    "ANSWER_CHARS",
    "FORMAT_VERSION",
    "VECTOR_DTYPES",
    "KnowledgeBase",
    "answer_for_vector",
    "content_hash",
    "live_version",
    "read_manifest",
    "remove_if_unused",
]

logger = logging.getLogger(__name__)

# 2: answer vectors encode the first ANSWER_CHARS characters (was 1,000).
# 3: entry_offsets.npy and entry_ids.json, so entries load lazily.
# 4: answer vectors encode the question followed by the answer.
FORMAT_VERSION = 4
_MANIFEST = "manifest.json"
_CURRENT = "CURRENT"
# The passage encoded for an entry is cut here: the encoder reads at most 256
# word pieces (~1,000 characters of English) anyway, and tokenising a whole
# MedQuAD answer only to drop most of it cost time. On the seed page, the whole
# window ranked 3-4 points of top-1 better than the first 300 characters
# (tuning/fit.py, issue 15), at about three times MedQuAD's answer-encoding time.
ANSWER_CHARS = 1500


VECTOR_DTYPES = ("float32", "float16", "int8")
"""How the question and answer vectors can be stored (the ``.npy`` header says which).

float16 halves the two matrices (47k MedQuAD entries: 69 MB each as float32) and
moves a cosine by about 1e-4. int8 (:class:`~backcare.retrieval.quantized.Int8Rows`:
codes plus one float32 scale per row, in ``question_scales.npy`` and
``answer_scales.npy``) halves them again and moves a cosine by at most 0.0021
on MedQuAD 47k; it changed no answer, status or triage of 300 queries there
(docs/performance.md, 2026-12-07), and took the 47k process under 300 MB RSS.
int8 is the default only with an ANN index, where a query scores a few hundred
candidate rows and converts just those; exact search multiplies the whole
matrix, which BLAS does only in float32, so converting it every query would
cost more than it saves, and small knowledge bases (the pack) stay float32.
The format version is unchanged: the ``.npy`` header says which dtype a folder
holds, so float32 and float16 folders still open as they are.
"""

Vectors = np.ndarray | Int8Rows
"""A stored vector matrix: a (memory-mapped) float array, or int8 codes with scales."""


def answer_for_vector(entry: FaqEntry) -> str:
    """The passage an entry's answer vector encodes: its question, then its answer.

    The question makes the passage say what the answer is about: on knowledge
    bases without alternate phrasings (an ingested FAQ page) cosine over the
    pair ranks better than over the answer alone (docs/retrieval.md).
    """
    return f"{entry.question} {entry.answer}"[:ANSWER_CHARS]


def content_hash(entries: Sequence[FaqEntry]) -> str:
    """A short, stable hash of the entries' content (order included)."""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(entry.model_dump_json().encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


@dataclass
class KnowledgeBase:
    """Entries plus the indexes that make them searchable.

    ``entries`` is a tuple when built in memory and an :class:`EntryFile`,
    which parses an entry only when it is indexed, when loaded.
    """

    name: str
    entries: Sequence[FaqEntry]
    bm25_questions: BM25Index
    bm25_answers: BM25Index
    question_vectors: Vectors
    question_starts: np.ndarray
    answer_vectors: Vectors
    vocabulary: Counter[str]
    manifest: dict[str, object] = field(default_factory=dict)
    ann: AnnIndex | None = None

    def __post_init__(self) -> None:
        # A loaded knowledge base knows its ids without parsing any entry.
        self.ids: Sequence[str] = (
            self.entries.ids
            if isinstance(self.entries, EntryFile)
            else tuple(entry.id for entry in self.entries)
        )
        self._by_id = {entry_id: index for index, entry_id in enumerate(self.ids)}
        # The shared lock on the version folder this was loaded from (see the module doc).
        self._in_use: weakref.finalize[[int], KnowledgeBase] | None = None

    def release(self) -> None:
        """Stop marking the version this was loaded from as in use.

        Its files stay readable here (they are open or mapped already), but the
        next save into the folder may remove the version: ingest calls this on
        the version it replaces, just before saving the new one.
        """
        if self._in_use is not None:
            self._in_use()

    def __len__(self) -> int:
        return len(self.entries)

    def index_of(self, entry_id: str) -> int | None:
        """Position of the entry with ``entry_id``, or None."""
        return self._by_id.get(entry_id)

    def question_rows(self, rows: np.ndarray) -> np.ndarray:
        """The question vectors in ``rows`` as float32 (exactly widened when stored as float16)."""
        return _rows(self.question_vectors, rows)

    def answer_rows(self, rows: np.ndarray) -> np.ndarray:
        """The answer vectors in ``rows`` as float32 (exactly widened when stored as float16)."""
        return _rows(self.answer_vectors, rows)

    @classmethod
    def build(
        cls,
        name: str,
        entries: Sequence[FaqEntry],
        encoder: Encoder,
        *,
        sources: Sequence[dict[str, str]] = (),
        progress: Callable[[int], None] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        ann: bool | None = None,
        ann_params: AnnParams | None = None,
        vector_dtype: str | None = None,
    ) -> KnowledgeBase:
        """Index ``entries``: BM25 over questions and answers, vectors for both.

        Args:
            name: the label replies carry in ``kb`` (e.g. ``backcare-pack@1``).
            entries: the entries, ids unique.
            encoder: the sentence encoder (its ``model_id`` goes in the manifest).
            sources: the files the entries came from, as ``{"path", "sha256"}``.
            progress: called with the number of texts encoded so far.
            clock: gives the build time recorded in the manifest.
            ann: build an ANN index over the question vectors; None (the
                default) builds one above ``ANN_THRESHOLD`` questions.
            ann_params: HNSW settings for that index.
            vector_dtype: one of `VECTOR_DTYPES`; None (the default) stores
                int8 when there is an ANN index, else float32.

        Raises:
            KnowledgePackError: no entries, or an unknown ``vector_dtype``.
        """
        if not entries:
            raise KnowledgePackError(f"knowledge base '{name}' has no entries to index")
        if vector_dtype is not None and vector_dtype not in VECTOR_DTYPES:
            raise KnowledgePackError(
                f"vector dtype {vector_dtype!r} is not one of {', '.join(VECTOR_DTYPES)}"
            )
        analyzer = Analyzer()
        questions = [entry.questions() for entry in entries]
        vocabulary: Counter[str] = Counter()
        question_terms = []
        answer_terms = []
        for entry, texts in zip(entries, questions, strict=True):
            q_words = [w for text in texts for w in words(text)]
            a_words = words(entry.answer)
            vocabulary.update(q_words)
            vocabulary.update(a_words)
            question_terms.append(analyzer.terms_of_words(q_words))
            answer_terms.append(analyzer.terms_of_words(a_words))
        flat_questions = [text for texts in questions for text in texts]
        starts = np.cumsum([0] + [len(texts) for texts in questions[:-1]]).astype(np.int64)
        answers = [answer_for_vector(entry) for entry in entries]
        done = 0

        def step(count: int) -> None:
            # Encoders report each batch's size; callers want the running total.
            nonlocal done
            done += count
            if progress is not None:
                progress(done)

        question_vectors = encoder.encode(flat_questions, progress=step)
        answer_vectors = encoder.encode(answers, progress=step)
        manifest: dict[str, object] = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "model_id": encoder.model_id,
            "dim": encoder.dim,
            "entries": len(entries),
            "content_hash": content_hash(entries),
            "sources": list(sources),
            "built_at": clock().isoformat(timespec="seconds"),
        }
        question_vectors = np.ascontiguousarray(question_vectors, dtype=np.float32)
        index = None
        if use_ann(len(question_vectors), ann):
            # From the float32 vectors, before any rounding to float16.
            index = AnnIndex.build(question_vectors, ann_params)
            manifest["ann"] = index.params.as_dict()
        dtype = np.dtype(vector_dtype or ("int8" if index is not None else "float32"))
        manifest["vector_dtype"] = dtype.name
        return cls(
            name=name,
            entries=tuple(entries),
            bm25_questions=BM25Index.build(question_terms),
            bm25_answers=BM25Index.build(answer_terms),
            question_vectors=_stored(question_vectors, dtype),
            question_starts=starts,
            answer_vectors=_stored(answer_vectors, dtype),
            vocabulary=vocabulary,
            manifest=manifest,
            ann=index,
        )

    def save(self, folder: Path) -> None:
        """Write a new version into ``folder`` and make it live atomically."""
        folder = folder.resolve()
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            # Made and locked under the folder's lock, which every sweep takes too,
            # so no sweep finds it between the two; held until the switch is done.
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
            try:
                writing = _open_dir(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            try:
                fcntl.flock(writing, fcntl.LOCK_EX)
            except BaseException:
                os.close(writing)
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        try:
            write_entries(tmp, self.entries)
            self.bm25_questions.save(tmp / "bm25_questions")
            self.bm25_answers.save(tmp / "bm25_answers")
            _save_vectors(tmp, "question", self.question_vectors)
            np.save(tmp / "question_starts.npy", self.question_starts)
            _save_vectors(tmp, "answer", self.answer_vectors)
            if self.ann is not None:
                self.ann.save(tmp / ANN_FILE)
            (tmp / "words.json").write_text(json.dumps(dict(self.vocabulary)), encoding="utf-8")
            (tmp / _MANIFEST).write_text(json.dumps(self.manifest, indent=2), encoding="utf-8")
            _fsync_tree(tmp)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
            version = f"v-{stamp}-{self.manifest.get('content_hash', 'x')}"
            with _locked(folder):
                os.replace(tmp, folder / version)
                _write_atomically(folder / _CURRENT, version)
                # Under the same lock as the switch: a sweep running beside another
                # save's switch could remove the version that save is naming live.
                _remove_stale_versions(folder, keep=version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            os.close(writing)
        logger.info("saved knowledge base %s (%d entries) to %s", self.name, len(self), folder)

    @classmethod
    def load(cls, folder: Path, *, model_id: str | None = None) -> KnowledgeBase:
        """Load a folder written by :meth:`save`, memory-mapping its arrays.

        No entry is parsed here: ``entries`` reads each one from disk when it
        is indexed, and ids are looked up from ``entry_ids.json``.

        Args:
            folder: the knowledge-base folder.
            model_id: when given, the encoder the caller will query with; a
                knowledge base built with another model is refused.

        Raises:
            KnowledgePackError: missing, damaged, other format or other model.
        """
        version, in_use = _use_live_version(folder)
        try:
            kb = cls._load_version(version, model_id)
        except BaseException:
            if in_use is not None:
                os.close(in_use)
            raise
        if in_use is not None:
            kb._in_use = weakref.finalize(kb, os.close, in_use)
        return kb

    @classmethod
    def _load_version(cls, folder: Path, model_id: str | None) -> KnowledgeBase:
        """Load one version folder (see :meth:`load`)."""
        manifest = read_manifest(folder)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise KnowledgePackError(
                f"{folder}: knowledge-base format {manifest.get('format_version')} is not "
                f"{FORMAT_VERSION}; rebuild it with 'backcare ingest ... --kb {folder}'"
            )
        if model_id is not None and manifest.get("model_id") != model_id:
            raise KnowledgePackError(
                f"{folder}: built with model {manifest.get('model_id')}, but the encoder is "
                f"{model_id}; rebuild it with 'backcare ingest ... --kb {folder}', or "
                "query it with the encoder it was built with (BACKCARE_ENCODER=int8 or "
                "fp32 name the two variants of the shipped model)"
            )
        entries = EntryFile.open(folder)
        try:
            vectors = _load_vectors(folder, "question")
            starts = np.load(folder / "question_starts.npy")
            answers = _load_vectors(folder, "answer")
            vocabulary = _read_vocabulary(folder / "words.json")
            ann = None
            if "ann" in manifest:
                ann = AnnIndex.load(folder / ANN_FILE, AnnParams.from_dict(manifest["ann"]))
        except _LOAD_ERRORS as exc:
            entries.close()
            raise KnowledgePackError(
                f"{folder}: knowledge base is damaged ({exc}); rebuild it"
            ) from exc
        if vectors.dtype.name not in VECTOR_DTYPES or answers.dtype != vectors.dtype:
            entries.close()
            raise KnowledgePackError(
                f"{folder}: knowledge base is damaged (vectors stored as {vectors.dtype} and "
                f"{answers.dtype}, expected one of {', '.join(VECTOR_DTYPES)}); rebuild it"
            )
        if not (len(entries) == len(starts) == len(answers) == manifest.get("entries")):
            entries.close()
            raise KnowledgePackError(
                f"{folder}: knowledge base is inconsistent (entries, vectors and manifest "
                "disagree); rebuild it"
            )
        if not _vectors_fit(vectors, answers, starts) or vectors.shape[1] != manifest.get("dim"):
            entries.close()
            raise KnowledgePackError(
                f"{folder}: knowledge base is inconsistent (the question vectors, their "
                "starts, the answer vectors and the manifest's dim do not fit together); "
                "rebuild it"
            )
        try:
            bm25_questions = BM25Index.load(folder / "bm25_questions")
            bm25_answers = BM25Index.load(folder / "bm25_answers")
        except KnowledgePackError:
            entries.close()
            raise
        if not bm25_questions.n_docs == bm25_answers.n_docs == len(entries):
            # Their score arrays are added to the vectors' per entry: every query would fail.
            entries.close()
            raise KnowledgePackError(
                f"{folder}: knowledge base is inconsistent (the BM25 indexes count "
                f"{bm25_questions.n_docs} and {bm25_answers.n_docs} documents for "
                f"{len(entries)} entries); rebuild it"
            )
        return cls(
            name=str(manifest.get("name", folder.name)),
            entries=entries,
            bm25_questions=bm25_questions,
            bm25_answers=bm25_answers,
            question_vectors=vectors,
            question_starts=starts,
            answer_vectors=answers,
            vocabulary=vocabulary,
            manifest=manifest,
            ann=ann,
        )


def _vectors_fit(questions: Vectors, answers: Vectors, starts: np.ndarray) -> bool:
    """Whether loaded matrices can be searched together (their counts are checked apart).

    Each entry's question group starts after the one before, inside the question
    matrix, and both matrices have the same width: otherwise every query fails
    (an index out of bounds, a shape error) instead of the load.
    """
    if questions.ndim != 2 or answers.ndim != 2 or questions.shape[1] != answers.shape[1]:
        return False
    if starts.ndim != 1 or starts.dtype.kind not in "iu":
        return False
    if not len(starts):
        return True
    return bool(starts[0] == 0 and np.all(np.diff(starts) > 0) and starts[-1] < len(questions))


def _stored(vectors: np.ndarray, dtype: np.dtype[np.generic]) -> Vectors:
    """``vectors`` (float32) as they will be stored in ``dtype``."""
    if dtype == np.int8:
        return Int8Rows.quantize(vectors)
    return np.ascontiguousarray(vectors, dtype=dtype)


def _rows(vectors: Vectors, rows: np.ndarray) -> np.ndarray:
    """Rows of a stored matrix as float32."""
    if isinstance(vectors, Int8Rows):
        return vectors[rows]
    return widen(vectors[rows])


def _save_vectors(folder: Path, kind: str, vectors: Vectors) -> None:
    """Write ``{kind}_vectors.npy`` (and ``{kind}_scales.npy`` for int8)."""
    if isinstance(vectors, Int8Rows):
        vectors.save(folder / f"{kind}_vectors.npy", folder / f"{kind}_scales.npy")
    else:
        np.save(folder / f"{kind}_vectors.npy", vectors)


def _load_vectors(folder: Path, kind: str) -> Vectors:
    """Map ``{kind}_vectors.npy``, with its scales when it holds int8 codes.

    Raises:
        OSError: a file is missing or unreadable.
        KnowledgePackError: int8 codes whose scales do not fit them.
    """
    codes = _mapped(folder / f"{kind}_vectors.npy")
    if codes.dtype != np.int8:
        return codes
    return Int8Rows(codes, _mapped(folder / f"{kind}_scales.npy"))


def _mapped(path: Path) -> np.ndarray:
    """A memory-mapped ``.npy`` array as a plain read-only ndarray over the same pages.

    ``np.memmap`` wraps every slice and fancy index in a new memmap object;
    at 47k entries that bookkeeping was about 1 ms a query.
    """
    array: np.ndarray = np.load(path, mmap_mode="r").view(np.ndarray)
    return array


def live_version(folder: Path) -> Path:
    """The subfolder that ``folder``'s ``CURRENT`` file names, or a clear error."""
    if not folder.is_dir():
        raise KnowledgePackError(f"{folder}: no knowledge base here (not a folder)")
    try:
        version = (folder / _CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise KnowledgePackError(
            f"{folder}: not a knowledge base (no {_CURRENT} file); build one with "
            f"'backcare ingest FILE --kb {folder}'"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgePackError(f"{folder / _CURRENT}: unreadable ({exc})") from exc
    if not version or "/" in version or version.startswith("."):
        raise KnowledgePackError(f"{folder / _CURRENT}: names no valid version ({version!r})")
    return folder / version


def read_manifest(version_folder: Path) -> dict[str, object]:
    """The manifest of one knowledge-base version, or a clear error."""
    path = version_folder / _MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KnowledgePackError(
            f"{version_folder}: half-written or damaged (no {_MANIFEST}); rebuild it with "
            f"'backcare ingest FILE... --kb {version_folder.parent}'"
        ) from exc
    except (OSError, ValueError) as exc:
        raise KnowledgePackError(
            f"{path}: unreadable manifest ({exc}); rebuild it with "
            f"'backcare ingest FILE... --kb {version_folder.parent}'"
        ) from exc
    if not isinstance(manifest, dict):
        raise KnowledgePackError(
            f"{path}: manifest is not a JSON object; rebuild it with "
            f"'backcare ingest FILE... --kb {version_folder.parent}'"
        )
    return manifest


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _remove_stale_versions(folder: Path, *, keep: str) -> None:
    """Delete older versions and leftovers of killed builds that nobody uses.

    Never the live one, one a process has loaded, nor another save's
    temporary folder: those hold a lock this cannot take, and the next save
    after they are let go removes them.
    """
    for child in folder.iterdir():
        if child.name == keep or not child.name.startswith(("v-", ".tmp-")):
            continue
        if child.is_dir() and not child.is_symlink():
            with _unused(child) as free:
                if free:
                    shutil.rmtree(child, ignore_errors=True)


def remove_if_unused(folder: Path) -> bool:
    """Delete a whole knowledge-base folder unless a process uses it.

    In use: a process has one of its versions loaded, is saving into it, or is
    switching versions. A process that read ``CURRENT`` just before the removal
    finds no version and gets the usual "not a knowledge base" error (the pack
    cache then builds again).

    Returns:
        Whether the folder was removed.
    """
    with contextlib.ExitStack() as stack:
        if not stack.enter_context(_unused(folder)):
            return False
        try:
            children = [c for c in folder.iterdir() if c.is_dir() and not c.is_symlink()]
        except OSError:
            return False
        for child in children:
            if not stack.enter_context(_unused(child)):
                return False
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()


_USE_TRIES = 5


def _use_live_version(folder: Path) -> tuple[Path, int | None]:
    """The live version of ``folder`` and a descriptor holding a shared lock on it.

    A save may switch versions and remove the old one between reading ``CURRENT``
    and taking the lock; then ``CURRENT`` is read again. None instead of a
    descriptor when the version cannot be opened or locked (missing, or a file
    system without ``flock``): loading it then fails or goes on unmarked.
    """
    version = live_version(folder)
    for _ in range(_USE_TRIES):
        try:
            fd = _open_dir(version)
        except OSError:
            again = live_version(folder)
            if again == version:
                return version, None
            version = again
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            same = os.stat(version).st_ino == os.fstat(fd).st_ino
        except OSError:
            same = False
        if same:
            return version, fd
        os.close(fd)
        version = live_version(folder)
    return version, None


def _open_dir(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``folder`` itself (the switch between versions)."""
    fd = _open_dir(folder)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _unused(path: Path) -> Iterator[bool]:
    """Whether nobody holds a lock on ``path``; if so it stays locked for this block."""
    try:
        fd = _open_dir(path)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)


def _read_vocabulary(path: Path) -> Counter[str]:
    """``words.json``: word -> count, or ValueError for anything else (a damaged folder)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(word, str) and isinstance(count, int) and not isinstance(count, bool)
        for word, count in data.items()
    ):
        raise ValueError(f"{path.name} does not map words to counts")
    return Counter(data)
