"""Cross-language search: a question in another language finds the pack's English entry.

The pack is written in English, and its BM25 and MiniLM signals only match
English words. Here every entry's question and alternates, and its answer,
are encoded with the multilingual encoder (``passage:`` vectors,
`MultilingualEncoder`), and a question (``query:`` vector) scores each entry
as 0.7 × its best cosine to the entry's questions + 0.3 × its cosine to the
answer. The answer's share was chosen on the 48 development questions of
``eval/i18n/dev`` (0.854 top-1 with int8 queries against 0.729 with the
questions alone; 0.5 gave 0.833), never on the test sets.

Confidence and abstention reuse the hybrid retriever's model
(``abstain.py``) on this retriever's own scale: its calibration asks the
same off-topic background questions and the entries' own questions through
this encoder, so "0" and "1" mean what they mean there. An own question is
scored without its own vector (leave one out): asked verbatim it would match
itself at cosine 1, a level no translated question reaches. The lexical
features (vocabulary coverage, anchor term) do not apply across languages
and are set to 1; an off-topic question still scores near the background
level and gets a low confidence from the score and margin terms. The
relevance feature (``retriever.relevance_of``: the mean best-question cosine
of the nearest entries) is measured here like the score, on this encoder's
vectors and calibrated on the same two groups of questions.

The vectors are stored beside the pack's index, in a folder named by the
pack's content hash and the encoder's model id, and rebuilt when either changes.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from backcare.model import FaqEntry, Hit, RetrievalParams
from backcare.retrieval.abstain import confidences, should_answer
from backcare.retrieval.background import BACKGROUND
from backcare.retrieval.calibration import Calibration, from_scores, own_sample
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.retrieval.retriever import SearchResult, relevance_of

__all__ = ["ANSWER_SHARE", "CrossLingualRetriever", "crosslingual_dir"]

logger = logging.getLogger(__name__)

#: Share of an entry's score that comes from its answer (see the module docstring).
ANSWER_SHARE: Final = 0.3
_QUESTIONS: Final = "questions.npy"
_ANSWERS: Final = "answers.npy"
_MANIFEST: Final = "manifest.json"
_FORMAT: Final = 1

_F32 = npt.NDArray[np.float32]


def crosslingual_dir(cache_dir: Path, content_hash: str, model_id: str) -> Path:
    """Folder of the pack's multilingual vectors, beside its index (``pack-…`` folders)."""
    return cache_dir / f"pack-{content_hash}-{model_id}-xlang"


class CrossLingualRetriever:
    """Ranks a knowledge base's entries for a question in any language the encoder knows."""

    def __init__(
        self,
        ids: Sequence[str],
        starts: npt.NDArray[np.int64],
        questions: _F32,
        answers: _F32,
        encoder: MultilingualEncoder,
        params: RetrievalParams,
        calibration: Calibration,
    ) -> None:
        """Wrap stored vectors; use `build` or `open` instead.

        Args:
            ids: entry ids, in order.
            starts: index of each entry's first row in ``questions``.
            questions: one ``passage:`` vector per question or alternate.
            answers: one ``passage:`` vector per entry's answer.
            encoder: the encoder that made the vectors (its fp32 graph).
            params: the pack's retrieval parameters (confidence model, threshold).
            calibration: this retriever's calibration (see `build`).
        """
        self.ids = tuple(ids)
        self.starts = starts
        self.questions = questions
        self.answers = answers
        self.encoder = encoder
        self.params = params
        self.calibration = calibration

    @classmethod
    def build(
        cls,
        entries: Sequence[FaqEntry],
        encoder: MultilingualEncoder,
        params: RetrievalParams,
    ) -> CrossLingualRetriever:
        """Encode every entry's questions and answer, then calibrate."""
        texts: list[str] = []
        starts: list[int] = []
        for entry in entries:
            starts.append(len(texts))
            texts.extend(entry.questions())
        vectors = encoder.encode_passages([*texts, *(entry.answer for entry in entries)])
        built = cls(
            [entry.id for entry in entries],
            np.asarray(starts, dtype=np.int64),
            np.ascontiguousarray(vectors[: len(texts)], dtype=np.float32),
            np.ascontiguousarray(vectors[len(texts) :], dtype=np.float32),
            encoder,
            params,
            Calibration(),
        )
        own = [(i, entries[i].question) for i in own_sample(len(entries))]
        background = [built._measure(q) for q in BACKGROUND]
        mine = [built._left_out(i, int(built.starts[i]), q) for i, q in own]
        built.calibration = from_scores(
            [score for score, _ in background],
            params,
            [score for score, _ in mine],
            background_relevance=[relevance for _, relevance in background],
            own_relevance=[relevance for _, relevance in mine],
        )
        return built

    def _measure(self, text: str) -> tuple[float, float]:
        """Best score of ``text`` and its relevance (what calibration asks)."""
        best, scores = self._scores(text)
        return float(scores.max()), relevance_of(best)

    def _left_out(self, entry: int, row: int, text: str) -> tuple[float, float]:
        """Best score and relevance of ``text`` (row ``row`` of entry ``entry``) with that
        row left out."""
        query = self.encoder.encode_query(text)
        sims = self.questions @ query
        sims[row] = -1.0
        best = np.maximum.reduceat(sims, self.starts)
        if best[entry] < 0:  # the entry has no other phrasing: its answer alone speaks for it
            best[entry] = 0.0
        scores = (1.0 - ANSWER_SHARE) * best + ANSWER_SHARE * (self.answers @ query)
        return float(scores.max()), relevance_of(best)

    @classmethod
    def open(
        cls,
        entries: Sequence[FaqEntry],
        encoder: MultilingualEncoder,
        params: RetrievalParams,
        folder: Path | None,
    ) -> CrossLingualRetriever:
        """Load the vectors from ``folder`` when they match, else build (and save) them."""
        ids = [entry.id for entry in entries]
        if folder is not None:
            loaded = cls._load(folder, ids, encoder, params)
            if loaded is not None:
                return loaded
            logger.info("building the cross-language vectors in %s", folder)
        built = cls.build(entries, encoder, params)
        if folder is not None:
            try:
                built.save(folder)
            except OSError as exc:  # a read-only cache only costs a rebuild next time
                logger.warning("cannot save the cross-language vectors to %s: %s", folder, exc)
        return built

    @classmethod
    def _load(
        cls,
        folder: Path,
        ids: list[str],
        encoder: MultilingualEncoder,
        params: RetrievalParams,
    ) -> CrossLingualRetriever | None:
        try:
            manifest: dict[str, Any] = json.loads((folder / _MANIFEST).read_text("utf-8"))
            questions = np.load(folder / _QUESTIONS)
            answers = np.load(folder / _ANSWERS)
        except (OSError, ValueError):
            return None
        shapes_ok = all(
            array.dtype == np.float32 and array.ndim == 2 and array.shape[1] == encoder.dim
            for array in (questions, answers)
        )
        if (
            manifest.get("format") != _FORMAT
            or manifest.get("model_id") != encoder.passage_model_id
            or manifest.get("ids") != ids
            or not shapes_ok
            or len(answers) != len(ids)
        ):
            return None
        starts = np.asarray(manifest.get("starts", []), dtype=np.int64)
        if len(starts) != len(ids) or (len(starts) and starts[-1] >= len(questions)):
            return None
        # The calibration depends on the query variant too, so it is kept per variant.
        calibration = Calibration.from_manifest(
            manifest.get("calibrations", {}).get(encoder.model_id, {}), params
        )
        if calibration is None or calibration.relevance_mean is None:
            return None
        return cls(ids, starts, questions, answers, encoder, params, calibration)

    def save(self, folder: Path) -> None:
        """Write the vectors and a manifest (ids, rows, model id, calibration) to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        try:
            old = json.loads((folder / _MANIFEST).read_text("utf-8"))
            calibrations = dict(old.get("calibrations", {}))
        except (OSError, ValueError, AttributeError):
            calibrations = {}
        calibrations[self.encoder.model_id] = {"calibration": self.calibration.as_dict()}
        manifest = {
            "format": _FORMAT,
            "model_id": self.encoder.passage_model_id,
            "ids": list(self.ids),
            "starts": [int(s) for s in self.starts],
            "calibrations": calibrations,
        }
        payloads: list[tuple[str, bytes]] = []
        for name, array in ((_QUESTIONS, self.questions), (_ANSWERS, self.answers)):
            buffer = io.BytesIO()
            np.save(buffer, array)
            payloads.append((name, buffer.getvalue()))
        payloads.append((_MANIFEST, json.dumps(manifest).encode("utf-8")))
        for name, payload in payloads:
            # Written aside and renamed, so a reader never sees half a file.
            handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(payload)
                os.replace(temp, folder / name)
            finally:
                if os.path.exists(temp):
                    os.unlink(temp)

    def scores(self, text: str) -> _F32:
        """Each entry's score for ``text``: its best question cosine and its answer's, blended."""
        return self._scores(text)[1]

    def _scores(self, text: str) -> tuple[_F32, _F32]:
        """Each entry's best question cosine, and its score (see `scores`)."""
        query = self.encoder.encode_query(text)
        best = np.maximum.reduceat(self.questions @ query, self.starts)
        result: _F32 = (1.0 - ANSWER_SHARE) * best + ANSWER_SHARE * (self.answers @ query)
        return best, result

    def search(self, text: str, *, top_k: int = 3) -> SearchResult:
        """Rank the entries for ``text`` and decide whether to answer (as `HybridRetriever`)."""
        best, scores = self._scores(text)
        fused = scores.astype(np.float64)
        conf = confidences(
            self.params, fused, 1.0, 1.0, self.calibration, relevance=relevance_of(best)
        )
        k = max(1, min(top_k, len(fused)))
        top = np.argsort(-fused, kind="stable")[:k]
        hits = tuple(
            Hit(entry_id=self.ids[i], score=float(conf[i]), bm25=0.0, dense=float(fused[i]))
            for i in top
        )
        answered = bool(hits) and should_answer(self.params, hits[0].score)
        return SearchResult(hits=hits, answered=answered, corrected_query=text)
