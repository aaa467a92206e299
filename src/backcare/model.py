"""The shared vocabulary: frozen pydantic types every part of backcare speaks.

``Reply`` is the JSON contract of DESIGN.md section 2; its field names and
order are the wire format of the CLI (``--json``/``--jsonl``) and the HTTP API.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Alternative",
    "Answer",
    "ErrorReply",
    "FaqEntry",
    "Hit",
    "QueryErrorInfo",
    "RedFlagRule",
    "Reply",
    "RetrievalParams",
    "Source",
    "TriageFlag",
    "TriageLevel",
    "TriageResult",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TriageLevel(str, Enum):
    """How fast a person should get help, most urgent first."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    DOCTOR = "doctor"
    SELF_CARE = "self_care"

    @property
    def rank(self) -> int:
        """Urgency as a number: ``self_care`` is 0, ``emergency`` is 3."""
        return _LEVEL_RANK[self]

    @classmethod
    def most_urgent(cls, levels: list[TriageLevel]) -> TriageLevel:
        """The most urgent of ``levels``; ``self_care`` when there are none."""
        return max(levels, key=lambda level: level.rank, default=cls.SELF_CARE)


_LEVEL_RANK = {
    TriageLevel.SELF_CARE: 0,
    TriageLevel.DOCTOR: 1,
    TriageLevel.URGENT: 2,
    TriageLevel.EMERGENCY: 3,
}


class Source(_Frozen):
    """Where an answer comes from."""

    title: str = Field(min_length=1)
    url: str = Field(min_length=1)


class FaqEntry(_Frozen):
    """One topic of a knowledge base: a question, its phrasings and its answer.

    ``origin`` says where an ingested entry came from (``file:line``); pack
    entries leave it empty.
    """

    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1)
    alternates: tuple[str, ...] = ()
    answer: str = Field(min_length=1)
    sources: tuple[Source, ...] = ()
    related: tuple[str, ...] = ()
    last_reviewed: dt.date | None = None
    origin: str | None = None

    def questions(self) -> tuple[str, ...]:
        """The main question followed by its alternate phrasings."""
        return (self.question, *self.alternates)


class RedFlagRule(_Frozen):
    """One red-flag rule of the pack: when it fires and what to tell the person."""

    id: str = Field(min_length=1)
    level: TriageLevel
    description: str = Field(min_length=1)
    message: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()


class TriageFlag(_Frozen):
    """A red-flag rule that fired, with the words that made it fire."""

    id: str
    level: TriageLevel
    evidence: str


class TriageResult(_Frozen):
    """The most urgent level found in a message, every flag, and what to do."""

    level: TriageLevel = TriageLevel.SELF_CARE
    flags: tuple[TriageFlag, ...] = ()
    message: str = ""


class Hit(_Frozen):
    """One ranked entry from retrieval, before the answer/abstain decision.

    ``score`` is the fused score used for ranking; ``bm25`` and ``dense`` are
    the per-signal scores it came from (kept for calibration and debugging).
    """

    entry_id: str
    score: float
    bm25: float = 0.0
    dense: float = 0.0


class RetrievalParams(_Frozen):
    """How retrieval signals are blended and turned into a confidence.

    The fused score of an entry is ``dense_weight * dense + answer_weight *
    dense_answer + bm25_weight * bm25`` (each signal in [0, 1]). Its confidence
    is a logistic function of the fused score, its margin over the best other
    entry and the query's vocabulary coverage. The values are
    fitted on hand-written tuning data (``tuning/fit.py``); below
    ``threshold`` the reply abstains.
    """

    dense_weight: float = 0.6
    answer_weight: float = 0.1
    bm25_weight: float = 0.3
    bm25_answer_share: float = Field(default=0.3, ge=0.0, le=1.0)
    intercept: float = -6.0
    coef_score: float = 8.0
    coef_margin: float = 4.0
    coef_coverage: float = 1.0
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)


class Answer(_Frozen):
    """The entry chosen to answer a question."""

    entry_id: str
    question: str
    text: str
    sources: tuple[Source, ...]
    confidence: float = Field(ge=0.0, le=1.0)


class Alternative(_Frozen):
    """Another entry that may answer the question."""

    entry_id: str
    question: str
    score: float = Field(ge=0.0, le=1.0)


class Reply(_Frozen):
    """The answer to one question: the JSON contract every shell shares."""

    query: str
    status: Literal["answered", "abstained"]
    triage: TriageResult
    answer: Answer | None
    alternatives: tuple[Alternative, ...] = ()
    kb: str


class QueryErrorInfo(_Frozen):
    """Why a query could not be answered at all."""

    code: str
    message: str


class ErrorReply(_Frozen):
    """What stands in for a ``Reply`` when the query itself is unusable."""

    query: str
    error: QueryErrorInfo
