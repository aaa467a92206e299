"""Diary types: episodes, check-ins, users, warnings and summaries."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from backcare.model.base import Frozen
from backcare.model.triage import TriageFlag, TriageLevel

__all__ = [
    "CheckIn",
    "DiarySummary",
    "DiaryTag",
    "DiaryText",
    "DiaryWarning",
    "Episode",
    "EpisodePatch",
    "EpisodeSummary",
    "NewCheckIn",
    "NewEpisode",
    "User",
]


def _diary_text(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and triage refuses control characters.
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r":
            raise ValueError(f"control character U+{ord(ch):04X} is not allowed in diary text")
    return value


DiaryText = Annotated[str, Field(max_length=2000), AfterValidator(_diary_text)]
"""Free text in the diary: up to 2,000 characters (triage's limit), no control characters."""

DiaryTag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^;\r\n]+$"),
    AfterValidator(_diary_text),
]
"""A short label (where it hurts, a trigger, what helped); no ';' or line breaks, for CSV."""


class NewEpisode(Frozen):
    """An episode as a person reports it: when the pain started and, once over, ended."""

    onset: AwareDatetime
    end: AwareDatetime | None = None
    note: DiaryText = ""

    @model_validator(mode="after")
    def _check(self) -> NewEpisode:
        if self.end is not None and self.end < self.onset:
            raise ValueError(f"the episode ends ({self.end}) before it starts ({self.onset})")
        return self


class Episode(NewEpisode):
    """A stored episode of back pain, with the id the diary gave it. Times are UTC."""

    id: int


class EpisodePatch(Frozen):
    """A change to an episode: only the fields given are changed (``end: null`` reopens it)."""

    onset: AwareDatetime | None = None
    end: AwareDatetime | None = None
    note: DiaryText | None = None


class NewCheckIn(Frozen):
    """One check-in as a person gives it: pain 0-10 (numeric rating scale) and context."""

    at: AwareDatetime
    pain: int = Field(ge=0, le=10)
    where: tuple[DiaryTag, ...] = Field(default=(), max_length=20)
    triggers: tuple[DiaryTag, ...] = Field(default=(), max_length=20)
    helped: tuple[DiaryTag, ...] = Field(default=(), max_length=20)
    notes: DiaryText = ""


class CheckIn(NewCheckIn):
    """A stored check-in of one episode. Times are UTC."""

    id: int
    episode_id: int


class User(Frozen):
    """Whose diary a row belongs to. ``maintainer`` users may also read the review."""

    id: int
    name: str
    maintainer: bool = False
    created_at: AwareDatetime


class DiaryWarning(Frozen):
    """Something in the diary a person (or their physiotherapist) should act on.

    ``rule`` names the rule that fired; ``evidence`` lists the data behind it in
    plain words, and the ids point at the episodes and check-ins it used.
    """

    rule: Literal["red_flag", "not_improving", "pain_rising", "recurrence"]
    level: TriageLevel
    message: str
    evidence: tuple[str, ...] = ()
    episode_ids: tuple[int, ...] = ()
    checkin_ids: tuple[int, ...] = ()
    flags: tuple[TriageFlag, ...] = ()


class EpisodeSummary(Frozen):
    """One episode in a summary: how long it lasted and how the pain went."""

    episode: Episode
    days: int
    checkins: int
    first_pain: int | None = None
    last_pain: int | None = None
    worst_pain: int | None = None


class DiarySummary(Frozen):
    """A diary at a glance: its episodes, recurrence count and warnings, as of ``as_of``."""

    as_of: AwareDatetime
    episodes: tuple[EpisodeSummary, ...] = ()
    episodes_last_12_months: int = 0
    open_episode_id: int | None = None
    warnings: tuple[DiaryWarning, ...] = ()
