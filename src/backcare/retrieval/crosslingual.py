"""Cross-language search: a question in another language finds the pack's English entry.

The pack is written in English, and its BM25 and MiniLM signals only match
English words: a Spanish question about ibuprofen scored 0.15 top-1 with
MiniLM (MODELS.md). Here every entry's question and alternates are encoded
with the multilingual encoder (``passage:`` vectors, `MultilingualEncoder`)
and a question is ranked by its best cosine to them (``query:`` vector).

Confidence and abstention reuse the hybrid retriever's model
(``abstain.py``) on this retriever's own scale: its calibration asks the
same off-topic background questions and the entries' own questions through
this encoder, so "0" and "1" mean what they mean there. The lexical
features (vocabulary coverage, anchor term) do not apply across languages
and are set to 1; an off-topic question still scores near the background
level and gets a low confidence from the score and margin terms.

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

from backcare.model import Hit, FaqEntry, RetrievalParams
from backcare.retrieval.abstain import confidences, should_answer
from backcare.retrieval.background import BACKGROUND
from backcare.retrieval.calibration import Calibration, from_scores, own_sample
from backcare.retrieval.multilingual import MultilingualEncoder
from backcare.retrieval.retriever import SearchResult

__all__ = ["CrossLingualRetriever", "crosslingual_dir"]

logger = logging.getLogger(__name__)

_VECTORS: Final = "vectors.npy"
_MANIFEST: Final = "manifest.json"
_FORMAT: Final = 1


def crosslingual_dir(cache_dir: Path, content_hash: str, model_id: str) -> Path:
    """Folder of the pack's multilingual vectors, beside its index (``pack-…`` folders)."""
    return cache_dir / f"pack-{content_hash}-{model_id}-xlang"


class CrossLingualRetriever:
    """Ranks a knowledge base's entries for a question in any language the encoder knows."""

    def __init__(
        self,
        ids: Sequence[str],
        starts: npt.NDArray[np.int64],
        vectors: npt.NDArray[np.float32],
        encoder: MultilingualEncoder,
        params: RetrievalParams,
        calibration: Calibration,
    ) -> None:
        """Wrap stored vectors; use `build` or `open` instead.

        Args:
            ids: entry ids, in order.
            starts: index of each entry's first row in ``vectors``.
            vectors: one ``passage:`` vector per question or alternate.
            encoder: the encoder that made ``vectors``.
            params: the pack's retrieval parameters (confidence model, threshold).
            calibration: this retriever's calibration (see `build`).
        """
        self.ids = tuple(ids)
        self.starts = starts
        self.vectors = vectors
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
        """Encode every entry's question and alternates and calibrate."""
        texts: list[str] = []
        starts: list[int] = []
        for entry in entries:
            starts.append(len(texts))
            texts.extend(entry.questions())
        vectors = np.ascontiguousarray(encoder.encode_passages(texts), dtype=np.float32)
        built = cls(
            [entry.id for entry in entries],
            np.asarray(starts, dtype=np.int64),
            vectors,
            encoder,
            params,
            Calibration(),
        )
        # The off-topic background and each sampled entry's own question, asked
        # as queries: the two levels the confidence model's scale is built on.
        own = [entries[i].question for i in own_sample(len(entries))]
        built.calibration = from_scores(
            [float(built.scores(q).max()) for q in BACKGROUND],
            params,
            [float(built.scores(q).max()) for q in own],
        )
        return built

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
            vectors = np.load(folder / _VECTORS)
        except (OSError, ValueError):
            return None
        if (
            manifest.get("format") != _FORMAT
            or manifest.get("model_id") != encoder.model_id
            or manifest.get("ids") != ids
            or vectors.dtype != np.float32
            or vectors.ndim != 2
            or vectors.shape[1] != encoder.dim
        ):
            return None
        starts = np.asarray(manifest.get("starts", []), dtype=np.int64)
        if len(starts) != len(ids) or (len(starts) and starts[-1] >= len(vectors)):
            return None
        calibration = Calibration.from_manifest(manifest, params)
        if calibration is None:
            return None
        return cls(ids, starts, vectors, encoder, params, calibration)

    def save(self, folder: Path) -> None:
        """Write the vectors and a manifest (ids, rows, model id, calibration) to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": _FORMAT,
            "model_id": self.encoder.model_id,
            "ids": list(self.ids),
            "starts": [int(s) for s in self.starts],
            "calibration": self.calibration.as_dict(),
        }
        buffer = io.BytesIO()
        np.save(buffer, self.vectors)
        for name, payload in (
            (_VECTORS, buffer.getvalue()),
            (_MANIFEST, json.dumps(manifest).encode("utf-8")),
        ):
            # Written aside and renamed, so a reader never sees half a file.
            handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(payload)
                os.replace(temp, folder / name)
            finally:
                if os.path.exists(temp):
                    os.unlink(temp)

    def scores(self, text: str) -> npt.NDArray[np.float32]:
        """Best cosine of ``text`` to each entry's questions."""
        query = self.encoder.encode_query(text)
        sims = self.vectors @ query
        result: npt.NDArray[np.float32] = np.maximum.reduceat(sims, self.starts)
        return result

    def search(self, text: str, *, top_k: int = 3) -> SearchResult:
        """Rank the entries for ``text`` and decide whether to answer (as `HybridRetriever`)."""
        fused = self.scores(text).astype(np.float64)
        conf = confidences(self.params, fused, 1.0, 1.0, self.calibration)
        k = max(1, min(top_k, len(fused)))
        top = np.argsort(-fused, kind="stable")[:k]
        hits = tuple(
            Hit(entry_id=self.ids[i], score=float(conf[i]), bm25=0.0, dense=float(fused[i]))
            for i in top
        )
        answered = bool(hits) and should_answer(self.params, hits[0].score)
        return SearchResult(hits=hits, answered=answered, corrected_query=text)
