"""Fold entries from one or more documents into one knowledge base, reporting every decision.

- Same question and same answer: an exact duplicate, skipped.
- Same meaning (dense similarity at or above ``threshold``) and same answer:
  the question becomes an alternate of the earlier entry.
- Same or same-meaning question with a different answer: a ``conflict``,
  never merged. Answers are compared as text, not by embedding, on purpose:
  "ice for the first 72 hours" and "heat for the first 72 hours" embed almost
  identically and are exactly the disagreement a maintainer must see.

The encoder is injected (``embed``), so this module does not import
``backcare.retrieval``. Similarities are computed in blocks with numpy
matrix products, keeping only each question's few nearest neighbours, so
47k questions fit in memory and finish in seconds plus embedding time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from backcare.errors import IngestError
from backcare.ingest.base import IdAllocator, renamed, text_key
from backcare.ingest.report import ReportItem
from backcare.model import FaqEntry

__all__ = ["Embed", "MergeResult", "merge_entries", "near_duplicates"]

Embed = Callable[[Sequence[str]], npt.NDArray[np.floating]]
"""Maps texts to an ``(n, d)`` array of L2-normalised rows."""

OnConflict = Literal["keep_first", "keep_both"]
_COLUMN_BLOCK = 8192


@dataclass(frozen=True)
class MergeResult:
    """The merged entries (existing ones first) and what happened to each new entry."""

    entries: tuple[FaqEntry, ...]
    items: tuple[ReportItem, ...]


def merge_entries(
    entries: Sequence[FaqEntry],
    *,
    existing: Sequence[FaqEntry] = (),
    embed: Embed | None = None,
    threshold: float = 0.9,
    on_conflict: OnConflict = "keep_first",
    neighbours: int = 8,
    block_size: int = 1024,
) -> MergeResult:
    """Merge ``entries`` (in order) into ``existing``.

    Args:
        entries: new entries, from the readers, in input order.
        existing: entries already in the knowledge base; they are never
            reported and win over new ones.
        embed: the dense encoder for near-duplicate questions; ``None``
            matches questions only on their text.
        threshold: cosine similarity at or above which two questions mean
            the same.
        on_conflict: ``keep_first`` drops a conflicting entry (reported);
            ``keep_both`` keeps it as its own entry (still reported).
        neighbours: how many nearest questions are considered per question.
        block_size: rows per similarity block; bounds peak memory.

    Returns:
        The merged entries and one report item per new entry.
    """
    pool = [*existing, *entries]
    keys = [text_key(e.question) for e in pool]
    unique = list(dict.fromkeys(keys))
    key_index = {key: i for i, key in enumerate(unique)}
    near: list[list[tuple[float, int]]] = [[] for _ in unique]
    if embed is not None and len(unique) > 1:
        first_text: dict[str, str] = {}
        for key, entry in zip(keys, pool, strict=True):
            first_text.setdefault(key, entry.question)
        vectors = _embed(embed, [first_text[k] for k in unique], block_size)
        near = near_duplicates(vectors, threshold, neighbours=neighbours, block_size=block_size)
    kept: list[FaqEntry] = []
    roots: dict[int, list[int]] = {}  # unique question -> indices into kept
    ids = IdAllocator()
    holders: dict[str, int] = {}  # id -> index into kept, for a rename's warning
    items: list[ReportItem] = []
    for position, (entry, key) in enumerate(zip(pool, keys, strict=True)):
        q = key_index[key]
        new = position >= len(existing)
        if not new:
            # The knowledge base's own entries stay as they are: it may hold two for
            # one question (built with keep_both) or near-duplicates under another
            # threshold, and an ingest of other files must not drop or merge them
            # (this loop reports new entries only, so that loss was silent).
            kept.append(entry.model_copy(update={"id": ids.unique(entry.id)}))
            holders.setdefault(kept[-1].id, len(kept) - 1)
            roots.setdefault(q, []).append(len(kept) - 1)
            continue
        candidates = [(1.0, k) for k in roots.get(q, [])]
        candidates += [
            (s, k)
            for s, other in near[q]
            if _identifiers(unique[q]) == _identifiers(unique[other])
            for k in roots.get(other, [])
        ]
        candidates.sort(key=lambda c: (-c[0], c[1]))
        verdict = _place(entry, candidates, kept) if candidates else None
        if verdict is None or (verdict[0] == "conflict" and on_conflict == "keep_both"):
            entry_id = ids.unique(entry.id)
            kept.append(entry.model_copy(update={"id": entry_id}))
            holders.setdefault(entry_id, len(kept) - 1)
            roots.setdefault(q, []).append(len(kept) - 1)
            if verdict is None:
                moved = f"; id {entry.id!r} was taken, renamed" if entry_id != entry.id else ""
                items.append(_item("added", f"new entry{moved}", kept[-1], None))
            else:
                reason = f"{verdict[1]}; kept as its own entry"
                items.append(_item("conflict", reason, kept[-1], kept[verdict[2]].id))
            if entry_id != entry.id:
                holder = kept[holders[entry.id]] if entry.id in holders else None
                where = None if holder is None else holder.origin or f"entry {holder.id!r}"
                items.append(_renamed(entry, entry_id, where))
            continue
        kind, reason, index = verdict
        if new:
            items.append(_item(kind, reason, entry, kept[index].id))
        if kind == "merged":
            kept[index] = _absorb(kept[index], entry)
            roots.setdefault(q, []).append(index)
    return MergeResult(tuple(kept), tuple(items))


_IDENTIFIER = re.compile(r"\b(?:\d+|[b-hj-z]|[ivx]{2,4})\b")


def _identifiers(question_key: str) -> frozenset[str]:
    """Numbers, lone letters and roman numerals: what tells "type 14" from "type 15".

    Template questions that differ only there ("symptoms of Spastic paraplegia 14"
    vs "... 15") embed almost identically, yet are different entries.
    """
    return frozenset(_IDENTIFIER.findall(question_key))


def _place(
    entry: FaqEntry, candidates: list[tuple[float, int]], kept: list[FaqEntry]
) -> tuple[Literal["skipped", "merged", "conflict"], str, int]:
    """Decide what ``entry`` is relative to the kept entries whose questions match it."""
    answer = text_key(entry.answer)
    for similarity, k in candidates:
        other = kept[k]
        if text_key(other.answer) != answer:
            continue
        where = other.origin or other.id
        if text_key(entry.question) in {text_key(q) for q in other.questions()}:
            return "skipped", f"exact duplicate of {where}", k
        return "merged", f"same meaning (similarity {similarity:.2f}) and answer as {where}", k
    similarity, k = candidates[0]
    other = kept[k]
    same = "same question" if similarity >= 1.0 else f"same meaning ({similarity:.2f})"
    return "conflict", f"{same} as {other.origin or other.id} but a different answer", k


def _absorb(root: FaqEntry, entry: FaqEntry) -> FaqEntry:
    known = {text_key(q) for q in root.questions()}
    alternates = list(root.alternates)
    for question in entry.questions():
        if text_key(question) not in known:
            known.add(text_key(question))
            alternates.append(question)
    sources = list(dict.fromkeys((*root.sources, *entry.sources)))
    return root.model_copy(update={"alternates": tuple(alternates), "sources": tuple(sources)})


def _renamed(entry: FaqEntry, entry_id: str, holder: str | None) -> ReportItem:
    """The warning that ``entry``'s id was taken (at ``holder``), so it is ``entry_id``."""
    file, line = _origin(entry)
    return renamed(entry.id, entry_id, file=file, line=line, question=entry.question, holder=holder)


def _origin(entry: FaqEntry) -> tuple[str, int | None]:
    """The file and line ``entry`` was read from (``origin`` is ``file:line``)."""
    file, _, line = (entry.origin or "").rpartition(":")
    return file or entry.origin or "", int(line) if line.isdigit() else None


def _item(kind: str, reason: str, entry: FaqEntry, other: str | None) -> ReportItem:
    file, line = _origin(entry)
    return ReportItem.model_validate(
        {
            "kind": kind,
            "reason": reason,
            "file": file,
            "line": line,
            "entry_id": entry.id,
            "other_id": other,
            "question": entry.question,
        }
    )


def _embed(embed: Embed, texts: list[str], block_size: int) -> npt.NDArray[np.float32]:
    parts = []
    for start in range(0, len(texts), block_size * 4):
        chunk = texts[start : start + block_size * 4]
        part = np.asarray(embed(chunk), dtype=np.float32)
        if part.ndim != 2 or part.shape[0] != len(chunk) or not np.all(np.isfinite(part)):
            raise IngestError(
                f"embed returned an array of shape {part.shape} for {len(chunk)} texts; "
                "expected one finite row per text"
            )
        parts.append(part)
    vectors = np.vstack(parts)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def near_duplicates(
    vectors: npt.NDArray[np.float32],
    threshold: float,
    *,
    neighbours: int = 8,
    block_size: int = 1024,
) -> list[list[tuple[float, int]]]:
    """For each row, the other rows with cosine similarity >= ``threshold``, most similar first.

    Only the lower triangle is computed, in ``block_size`` x 8192 tiles; each
    tile is thresholded before anything else, so the cost is the matrix
    products plus the (few) hits. Each row keeps its ``neighbours`` best
    earlier rows, and pairs are then made symmetric.
    """
    n = vectors.shape[0]
    k = max(1, neighbours)
    earlier: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for r0 in range(0, n, block_size):
        r1 = min(n, r0 + block_size)
        for c0 in range(0, r1, _COLUMN_BLOCK):
            c1 = min(r1, c0 + _COLUMN_BLOCK)
            sims = np.asarray(vectors[r0:r1] @ vectors[c0:c1].T, dtype=np.float32)
            if c1 > r0:  # earlier rows only: mask the diagonal and above
                sims[np.arange(c0, c1)[None, :] >= np.arange(r0, r1)[:, None]] = -np.inf
            hit = sims >= threshold
            if np.count_nonzero(hit) > k * sims.shape[0]:
                # a very low threshold: keep each row's k best of this tile only
                top = np.argpartition(-sims, min(k, sims.shape[1]) - 1, axis=1)[:, :k]
                keep = np.full_like(sims, -np.inf)
                np.put_along_axis(keep, top, np.take_along_axis(sims, top, axis=1), axis=1)
                sims, hit = keep, keep >= threshold
            rows, cols = np.nonzero(hit)
            values = sims[rows, cols].tolist()
            for i, j, s in zip(rows.tolist(), cols.tolist(), values, strict=True):
                earlier[r0 + i].append((s, c0 + j))
    pairs: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for i, row in enumerate(earlier):
        row.sort(key=lambda p: (-p[0], p[1]))
        for s, j in row[:k]:
            pairs[i].append((s, j))
            pairs[j].append((s, i))
    for row in pairs:
        row.sort(key=lambda p: (-p[0], p[1]))
    return pairs
