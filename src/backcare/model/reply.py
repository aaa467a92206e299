"""The reply to one question: the JSON contract every shell shares.

``Reply``'s field names and order are the wire format of the CLI
(``--json``/``--jsonl``) and the HTTP API (docs/architecture.md section 3).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from backcare.model.base import Frozen
from backcare.model.entries import Source
from backcare.model.triage import TriageResult

__all__ = [
    "Alternative",
    "Answer",
    "DetectedLanguage",
    "ErrorReply",
    "QueryErrorInfo",
    "Reply",
]


class DetectedLanguage(Frozen):
    """What language identification found in a message (``backcare.language``).

    ``code`` is ISO 639-1; when ``reliable`` is False the text was too short
    or ambiguous to tell and ``code`` is the English fallback.
    """

    code: str = Field(pattern=r"^[a-z]{2}$")
    supported: bool
    confidence: float = Field(ge=0.0, le=1.0)
    reliable: bool


class Answer(Frozen):
    """The entry chosen to answer a question."""

    entry_id: str
    question: str
    text: str
    sources: tuple[Source, ...]
    confidence: float = Field(ge=0.0, le=1.0)


class Alternative(Frozen):
    """Another entry that may answer the question."""

    entry_id: str
    question: str
    score: float = Field(ge=0.0, le=1.0)


class Reply(Frozen):
    """The answer to one question: the JSON contract every shell shares."""

    query: str
    status: Literal["answered", "abstained"]
    triage: TriageResult
    answer: Answer | None
    alternatives: tuple[Alternative, ...] = ()
    kb: str
    # The language the reply speaks (ISO 639-1), and what detection found in
    # the question (None when the reply was not built from a detection).
    lang: str = "en"
    language: DetectedLanguage | None = None


class QueryErrorInfo(Frozen):
    """Why a query could not be answered at all."""

    code: str
    message: str


class ErrorReply(Frozen):
    """What stands in for a ``Reply`` when the query itself is unusable."""

    query: str
    error: QueryErrorInfo
