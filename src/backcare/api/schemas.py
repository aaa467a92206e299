"""The API's wire types: what each route reads and writes, beside ``backcare.model``.

Requests are closed (``extra="forbid"``), so a misspelt field is a 422 rather
than silently ignored. Replies are the library's own types (``Reply``,
``TriageResult``, ``CarePlan``, ...) wherever one exists; the types here are
the few the HTTP shell adds (listings, receipts, health).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from backcare import FollowUp

__all__ = [
    "REPLY_EXAMPLE",
    "TRIAGE_EXAMPLE",
    "Answers",
    "AskRequest",
    "CarePlanRequest",
    "CheckInRequest",
    "EntryList",
    "EntrySummary",
    "EpisodeRequest",
    "FeedbackReceipt",
    "FeedbackRequest",
    "Health",
    "ImportReceipt",
    "LangCode",
    "Readiness",
    "StrictRequest",
    "TriageRequest",
    "WarningSigns",
]


# The languages the shipped pack has red-flag rules for (backcare.SUPPORTED_LANGUAGES;
# tests/test_i18n_shells.py keeps the two equal), so the schema names them.
LangCode = Literal["en", "es", "fr", "de", "pl", "pt", "ar"]


class StrictRequest(BaseModel):
    """The base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


_MAX_ANSWERS = 100

Answers = Annotated[
    dict[str, StrictBool] | None,
    Field(
        max_length=_MAX_ANSWERS,
        description="Answers to follow-up questions: question id (from `follow_up` or "
        "GET /v1/triage/questions) to true (yes) or false (no). The result is then the "
        "final one; questions left unanswered stay in `follow_up`.",
    ),
]


class AskRequest(StrictRequest):
    """A question to answer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"q": "my back locked up this morning, what now?"}]},
    )

    q: str = Field(description="The question, in the person's own words (up to 2,000 characters).")
    top_k: int = Field(
        default=3, ge=1, le=50, description="How many entries come back in all (answer first)."
    )
    lang: LangCode | None = Field(
        default=None,
        description="Reply in this language (ISO 639-1: en, es, fr, de, pl, pt, ar) instead "
        "of the one detected; warning signs are still checked in the detected language too.",
    )
    answers: Answers = None


class TriageRequest(StrictRequest):
    """A message to check for red flags, answers to follow-up questions, or both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"q": "my back hurts and I can't pee since last night"},
                {
                    "q": "shooting pain down to my calf",
                    "answers": {"both_legs": False, "leg_weakness": True},
                },
                {"answers": {"chest_pain": False, "saddle_numbness": True}, "lang": "en"},
            ]
        },
    )

    q: str | None = Field(
        default=None,
        description="What is happening, in the person's own words. May be left out when "
        "`answers` holds the warning-sign checklist answered before any message.",
    )
    lang: LangCode | None = Field(
        default=None,
        description="Reply in this language (ISO 639-1: en, es, fr, de, pl, pt, ar) instead "
        "of the one detected; warning signs are still checked in the detected language too.",
    )
    answers: Answers = None


class WarningSigns(BaseModel):
    """The warning-sign checklist: every follow-up question, most urgent first."""

    lang: str
    questions: list[FollowUp]


class CarePlanRequest(StrictRequest):
    """When the spasm started, and optionally who and what, for a day-by-day plan."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"onset": "2026-11-25", "age": 42}]},
    )

    onset: dt.date = Field(description="The day the spasm started (YYYY-MM-DD).")
    age: int | None = Field(default=None, ge=0, le=130, description="The person's age in years.")
    q: str | None = Field(
        default=None, description="What is happening; red flags in it change the plan."
    )


class FeedbackRequest(StrictRequest):
    """A rating of one reply."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"q": "ice or heat for a back spasm?", "entry_id": "immediate", "rating": "helpful"}
            ]
        },
    )

    q: str = Field(description="The question that was answered.")
    entry_id: str | None = Field(
        default=None, max_length=200, description="The entry shown; null when the reply abstained."
    )
    rating: Literal["helpful", "not_helpful", "wrong"]


class FeedbackReceipt(BaseModel):
    """What ``POST /v1/feedback`` returns."""

    id: int
    status: Literal["recorded"] = "recorded"


class EntrySummary(BaseModel):
    """One entry in a listing."""

    id: str
    question: str


class EntryList(BaseModel):
    """A page of the knowledge base's entries."""

    kb: str
    total: int
    offset: int
    limit: int
    entries: list[EntrySummary]


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    """Readiness: the knowledge base is loaded and the feedback store answers."""

    status: Literal["ready"] = "ready"
    kb: str
    entries: int


REPLY_EXAMPLE: dict[str, Any] = {
    "query": "my back locked up this morning, what now?",
    "status": "answered",
    "triage": {
        "level": "self_care",
        "flags": [],
        "message": "This sounds like something you can look after at home.",
        "lang": "en",
        "languages": ["en"],
        "checked": True,
        "follow_up": [],
    },
    "answer": {
        "entry_id": "immediate",
        "question": "What can I do right now to ease a lower back spasm?",
        "text": "Most back spasms ease with simple steps at home...",
        "sources": [{"title": "NHS: Back pain", "url": "https://www.nhs.uk/conditions/back-pain/"}],
        "confidence": 0.91,
    },
    "alternatives": [
        {"entry_id": "stop", "question": "How do I stop a back spasm?", "score": 0.55}
    ],
    "kb": "backcare-pack@1",
}

TRIAGE_EXAMPLE: dict[str, Any] = {
    "level": "doctor",
    "flags": [
        {
            "id": "below_knee",
            "level": "doctor",
            "evidence": "shooting pain down to my calf",
            "layer": "rules",
        }
    ],
    "message": "Book a routine appointment with your GP or a physiotherapist; ...",
    "lang": "en",
    "languages": ["en"],
    "checked": True,
    "follow_up": [
        {
            "id": "both_legs",
            "question": "Are both of your legs painful, tingling, numb or weak?",
            "level_if_yes": "emergency",
        },
        {
            "id": "leg_weakness",
            "question": "Is a leg getting weaker or giving way, or does a foot drag, catch "
            "or slap the floor when you walk?",
            "level_if_yes": "emergency",
        },
    ],
}


# ---------------------------------------------------------------- the diary


class EpisodeRequest(StrictRequest):
    """A new episode; ``onset`` defaults to now."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"onset": "2026-11-25T08:00:00+00:00"}]}
    )

    onset: AwareDatetime | None = Field(default=None, description="When it started (with offset).")
    end: AwareDatetime | None = Field(default=None, description="When it ended, if it has.")
    note: str = Field(default="", max_length=2000)


# The schema of the model's DiaryTag, so the OpenAPI document says what is refused
# (schemathesis found empty tags refused though the schema allowed them).
_Tag = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^;\r\n]*\S[^;\r\n]*$")]


class CheckInRequest(StrictRequest):
    """A check-in: pain 0-10 and, optionally, where, triggers, what helped and notes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"pain": 6, "where": ["lower back"], "helped": ["walking"]}]
        },
    )

    at: AwareDatetime | None = Field(default=None, description="When (default: now).")
    pain: int = Field(ge=0, le=10, description="0 no pain, 10 the worst imaginable.")
    where: list[_Tag] = Field(default_factory=list, max_length=20)
    triggers: list[_Tag] = Field(default_factory=list, max_length=20)
    helped: list[_Tag] = Field(default_factory=list, max_length=20)
    notes: str = Field(default="", max_length=2000)


class ImportReceipt(BaseModel):
    """What ``POST /v1/diary/import`` added."""

    episodes: int
    checkins: int
