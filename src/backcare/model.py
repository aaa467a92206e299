"""The shared vocabulary: frozen pydantic types every part of backcare speaks.

``Reply`` is the JSON contract (docs/architecture.md section 3); its field names and
order are the wire format of the CLI (``--json``/``--jsonl``) and the HTTP API.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

__all__ = [
    "AgeNote",
    "Alternative",
    "Answer",
    "CarePhase",
    "CarePlan",
    "CarePlanDay",
    "CarePlanPhase",
    "CarePlanTable",
    "CheckIn",
    "DetectedLanguage",
    "DiarySummary",
    "DiaryWarning",
    "Episode",
    "EpisodePatch",
    "EpisodeSummary",
    "ErrorReply",
    "FaqEntry",
    "FollowUp",
    "FollowUpBank",
    "FollowUpQuestion",
    "FollowUpTopic",
    "FollowUpTranslation",
    "Hit",
    "NewCheckIn",
    "NewEpisode",
    "QueryErrorInfo",
    "RatedEntry",
    "RedFlagRule",
    "RedFlagRules",
    "Reply",
    "RetrievalParams",
    "ReviewReport",
    "Source",
    "TriageFlag",
    "SemanticExamples",
    "SemanticParams",
    "SemanticRule",
    "TOPIC_IDS",
    "TriageLanguage",
    "TriageLayer",
    "TriageTopic",
    "TriageTopics",
    "TriageLevel",
    "TriageResult",
    "UnansweredCluster",
    "User",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TriageLevel(StrEnum):
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
    """One red-flag rule of the pack: when it fires and what to tell the person.

    The rule fires when any item of ``patterns`` matches (an item with several
    regexes needs all of them), or the writer's age is above ``age_over`` or
    below ``age_under``, or a duration of at least ``min_days`` is given; and
    every group of ``requires`` has a match; and no ``unless`` regex matches.
    Regexes run over the triage-normalised text (lower case, no apostrophes,
    hyphens as spaces). ``personal`` rules (histories, risk factors) ignore
    mentions of other people. ``action`` is a line shown with the level's
    action whenever the rule fires (e.g. "call an ambulance, don't drive").
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    level: TriageLevel
    description: str = Field(min_length=1)
    message: str = Field(min_length=1)
    action: str | None = None
    patterns: tuple[tuple[str, ...], ...] = ()
    requires: tuple[tuple[str, ...], ...] = ()
    unless: tuple[str, ...] = ()
    age_over: int | None = Field(default=None, ge=0, le=130)
    age_under: int | None = Field(default=None, ge=0, le=130)
    min_days: int | None = Field(default=None, ge=1)
    personal: bool = False
    sources: tuple[Source, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> RedFlagRule:
        if self.level is TriageLevel.SELF_CARE:
            raise ValueError("a red-flag rule needs a level above self_care")
        if not (self.patterns or self.age_over is not None or self.age_under is not None) and (
            self.min_days is None
        ):
            raise ValueError("a rule needs patterns, age_over/age_under or min_days to fire")
        if self.level is TriageLevel.EMERGENCY and self.unless:
            # Nothing said elsewhere in a message may silence an emergency.
            raise ValueError("emergency rules may not have 'unless' vetoes")
        for field, groups in (("patterns", self.patterns), ("requires", self.requires)):
            for group in groups:
                if not group:
                    raise ValueError(f"'{field}' has an empty item")
                _check_regexes(field, group)
        _check_regexes("unless", self.unless)
        return self


def _check_regexes(field: str, patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"'{field}': bad regex {pattern!r}: {exc}") from exc


class TriageLanguage(_Frozen):
    """How triage reads negation, clause scope, other people and durations (all regexes).

    A cue in ``negation_cues`` negates a match that starts at most
    ``negation_window`` words after it in the same clause; clauses end at
    ``scope_breaks``; ``cue_exceptions`` (matched against the clause text
    before a cue) turn a cue off ("can't walk without my foot dragging").
    """

    negation_window: int = Field(ge=0, le=20)
    negation_cues: tuple[str, ...] = Field(min_length=1)
    cue_exceptions: str | None = None
    scope_breaks: tuple[str, ...] = Field(min_length=1)
    post_negation: str
    other_people: str
    first_person: str
    duration_context: str
    # Words that close a list, so a comma before them does not end a negation's
    # reach ("no numbness, tingling or weakness"); English unless a pack says otherwise.
    list_joiners: str = r"\b(?:or|nor)\b"

    @model_validator(mode="after")
    def _check(self) -> TriageLanguage:
        _check_regexes("negation_cues", self.negation_cues)
        _check_regexes("scope_breaks", self.scope_breaks)
        single = (
            self.post_negation,
            self.other_people,
            self.first_person,
            self.duration_context,
            self.list_joiners,
        )
        _check_regexes("language", single + ((self.cue_exceptions,) if self.cue_exceptions else ()))
        return self


class RedFlagRules(_Frozen):
    """The triage table of a pack: level actions, language cues and the rules."""

    levels: dict[TriageLevel, str]
    language: TriageLanguage
    rules: tuple[RedFlagRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RedFlagRules:
        missing = [level.value for level in TriageLevel if not self.levels.get(level, "").strip()]
        if missing:
            raise ValueError(f"'levels' needs a non-empty action for: {', '.join(missing)}")
        ids = [rule.id for rule in self.rules]
        repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(repeated)}")
        return self


TriageLayer = Literal["rules", "semantic", "safety_net", "answer"]
"""Which detector raised a flag (see docs/triage.md)."""


class TriageFlag(_Frozen):
    """A red flag that fired, with the words that made it fire and the layer that found it.

    ``layer`` is ``rules`` (a pattern of ``red_flags.yaml``), ``semantic``
    (the clause read like the rule's example phrasings), ``safety_net`` (the
    clause is about a red-flag topic that nothing settled; id
    ``check_<topic>``) or ``answer`` (a yes to a follow-up question).
    """

    id: str
    level: TriageLevel
    evidence: str
    layer: TriageLayer = "rules"


class FollowUp(_Frozen):
    """One yes/no question the reply asks to settle a red-flag topic (wire form).

    ``id`` is stable across languages and versions: answers are sent back by it.
    """

    id: str
    question: str
    level_if_yes: TriageLevel


TOPIC_IDS: tuple[str, ...] = (
    "bladder",
    "bowel",
    "saddle",
    "leg_strength",
    "chest",
    "fever",
    "trauma",
)
"""The safety net's topics; follow-up questions are keyed on these ids."""


class TriageTopic(_Frozen):
    """One red-flag topic of the safety net (``content/triage_topics.yaml``).

    A piece of a message is about the topic when one ``about`` regex (or an
    ``about_words`` word, also with one slip) matches it and, if ``needs`` is
    given, one ``needs`` regex (or ``needs_words`` word) too; ``unless``
    regexes mark harmless look-alikes ("fell asleep"). ``covered_by`` lists
    the rule ids whose flag (urgent or above) already settles the topic.
    """

    id: str
    question: str = Field(min_length=1)
    message: str = Field(min_length=1)
    about: tuple[str, ...] = Field(min_length=1)
    about_words: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    needs_words: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    covered_by: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> TriageTopic:
        if self.id not in TOPIC_IDS:
            raise ValueError(f"unknown topic id {self.id!r}; topics are {', '.join(TOPIC_IDS)}")
        _check_regexes("about", self.about)
        _check_regexes("needs", self.needs)
        _check_regexes("unless", self.unless)
        return self


class TriageTopics(_Frozen):
    """The safety net's table: every topic once, and what counts as a plain denial.

    ``reassured`` regexes mark a piece as clearly denied ("nothing wrong with
    my bladder", "all normal"); ``answered_no`` is matched just after a piece
    ("numbness? no").
    """

    topics: tuple[TriageTopic, ...]
    reassured: tuple[str, ...] = ()
    answered_no: str = r"^\s*[?:-]+\s*(?:no|nope|none|nah|never|fine|normal)\b"

    @model_validator(mode="after")
    def _check(self) -> TriageTopics:
        ids = [topic.id for topic in self.topics]
        if sorted(ids) != sorted(TOPIC_IDS):
            raise ValueError(f"topics must be exactly {', '.join(TOPIC_IDS)} once each; got {ids}")
        _check_regexes("reassured", self.reassured)
        _check_regexes("answered_no", (self.answered_no,))
        return self


class SemanticRule(_Frozen):
    """Fitted decision values of one rule for the semantic detector."""

    threshold: float = Field(ge=-1.0, le=1.0)
    margin: float = Field(ge=-2.0, le=2.0)


class SemanticExamples(_Frozen):
    """Example phrasings per English rule id (``content/red_flag_examples.yaml``).

    ``positive`` clauses should raise the rule; ``negative`` ones (denials
    and harmless look-alikes) should not, and a clause closer to a negative
    than to any positive by less than the rule's margin does not fire.
    ``gate`` regexes and ``gate_words`` (single words, also with one slip)
    pick the clauses worth embedding at all; a clause matching ``reassured``
    ("all normal", "I can feel everything") is not embedded.
    """

    gate: tuple[str, ...] = Field(min_length=1)
    gate_words: tuple[str, ...] = ()
    reassured: tuple[str, ...] = ()
    positive: dict[str, tuple[str, ...]]
    negative: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> SemanticExamples:
        empty = [rule_id for rule_id, texts in self.positive.items() if not texts]
        if empty or not self.positive:
            raise ValueError(f"every rule needs at least one positive example; empty: {empty}")
        _check_regexes("gate", self.gate)
        _check_regexes("reassured", self.reassured)
        return self


class SemanticParams(_Frozen):
    """Fitted thresholds of the semantic detector (``content/triage_semantic.yaml``)."""

    model_id: str = ""
    rules: dict[str, SemanticRule]


class TriageResult(_Frozen):
    """The most urgent level found in a message, every flag, and what to do.

    ``lang`` is the language ``message`` is written in; ``languages`` the
    red-flag rule sets the message was checked against. ``checked`` is False
    when the message is in a language backcare has no rules for: ``message``
    then says plainly that warning signs could not be checked and gives the
    emergency numbers, whatever ``level`` says. ``follow_up`` holds yes/no
    questions when the message touches a red-flag topic without settling it;
    answering them (``backcare.triage.interview.apply_answers``) gives the
    final level.
    """

    level: TriageLevel = TriageLevel.SELF_CARE
    flags: tuple[TriageFlag, ...] = ()
    message: str = ""
    lang: str = "en"
    languages: tuple[str, ...] = ("en",)
    checked: bool = True
    # Questions that would settle what the message left unclear, most urgent
    # first (backcare.triage.interview); empty for a clear emergency.
    follow_up: tuple[FollowUp, ...] = ()


_ID = r"^[a-z][a-z0-9_]*$"


class FollowUpQuestion(_Frozen):
    """One question of the red-flag interview bank (``content/follow_up.yaml``).

    A yes raises ``rule`` (an English red-flag rule id) at ``level_if_yes``;
    ``topics`` are the safety-net topics (``check_<topic>`` flags) it helps settle.
    """

    id: str = Field(pattern=_ID)
    question: str = Field(min_length=1)
    level_if_yes: TriageLevel
    rule: str = Field(pattern=_ID)
    topics: tuple[str, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> FollowUpQuestion:
        if self.level_if_yes is TriageLevel.SELF_CARE:
            raise ValueError("a follow-up question needs a level above self_care if answered yes")
        for topic in self.topics:
            if not re.match(_ID, topic):
                raise ValueError(f"topic {topic!r} must be lower_snake_case")
        return self


class FollowUpTopic(_Frozen):
    """A red-flag topic the interview settles.

    ``message`` is the reply line for an unsettled ``check_<id>`` flag;
    ``touched_by`` lists rule ids (below emergency) whose flag also opens the
    topic's questions, e.g. pain below one knee opens the leg-strength ones.
    """

    id: str = Field(pattern=_ID)
    message: str = Field(min_length=1)
    touched_by: tuple[str, ...] = ()


class FollowUpTranslation(_Frozen):
    """The bank's texts in one language: question and topic texts by id."""

    questions: dict[str, str] = Field(default_factory=dict)
    topics: dict[str, str] = Field(default_factory=dict)


class FollowUpBank(_Frozen):
    """The red-flag interview: questions in the order they are asked, most urgent first.

    ``translations`` maps ISO 639-1 codes to the texts in that language; a
    question or topic without one is given in English.
    """

    questions: tuple[FollowUpQuestion, ...] = ()
    topics: tuple[FollowUpTopic, ...] = ()
    translations: dict[str, FollowUpTranslation] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> FollowUpBank:
        ids = [question.id for question in self.questions]
        repeated = sorted({qid for qid in ids if ids.count(qid) > 1})
        if repeated:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(repeated)}")
        topics = {topic.id for topic in self.topics}
        for question in self.questions:
            unknown = sorted(set(question.topics) - topics)
            if unknown:
                raise ValueError(
                    f"question '{question.id}': unknown topic(s) {', '.join(unknown)}; "
                    "list them under 'topics'"
                )
        for topic in self.topics:
            if not any(topic.id in question.topics for question in self.questions):
                raise ValueError(f"topic '{topic.id}' has no question to settle it")
        return self

    def question_text(self, question: FollowUpQuestion, lang: str) -> str:
        """The question in ``lang``, or in English when it has no translation."""
        translation = self.translations.get(lang)
        return (translation.questions.get(question.id) if translation else None) or (
            question.question
        )

    def topic_message(self, topic: FollowUpTopic, lang: str) -> str:
        """The topic's line in ``lang``, or in English when it has no translation."""
        translation = self.translations.get(lang)
        return (translation.topics.get(topic.id) if translation else None) or topic.message


class DetectedLanguage(_Frozen):
    """What language identification found in a message (``backcare.language``).

    ``code`` is ISO 639-1; when ``reliable`` is False the text was too short
    or ambiguous to tell and ``code`` is the English fallback.
    """

    code: str = Field(pattern=r"^[a-z]{2}$")
    supported: bool
    confidence: float = Field(ge=0.0, le=1.0)
    reliable: bool


class CarePhase(_Frozen):
    """One phase of the care timeline (``content/careplan.yaml``), counted in days since onset.

    ``end_day`` is the last day of the phase (inclusive); ``None`` means open-ended.
    ``focus`` is the one line shown on each day of the phase.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    start_day: int = Field(ge=0)
    end_day: int | None = Field(default=None, ge=0)
    focus: str = Field(min_length=1)
    do: tuple[str, ...] = Field(min_length=1)
    expect: tuple[str, ...] = Field(min_length=1)
    escalate: tuple[str, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()


class AgeNote(_Frozen):
    """Advice added to a care plan for ages in ``[min_age, max_age]``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min_age: int = Field(default=0, ge=0)
    max_age: int = Field(default=130, le=130)
    text: str = Field(min_length=1)
    see_doctor_within_days: int | None = Field(default=None, ge=0)


class CarePlanTable(_Frozen):
    """The care-timeline table of a pack: phases, check-in days and texts."""

    phases: tuple[CarePhase, ...] = Field(min_length=1)
    checkin_days: tuple[int, ...] = Field(min_length=1)
    see_doctor_after_days: int = Field(ge=1)
    doctor_within_days: int = Field(ge=0)
    horizon_days: int = Field(ge=1)
    headline: str = Field(min_length=1)
    emergency_note: str = Field(min_length=1)
    checkin_text: str = Field(min_length=1)
    see_doctor_text: str = Field(min_length=1)
    age_notes: tuple[AgeNote, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> CarePlanTable:
        expected = 0
        for index, phase in enumerate(self.phases):
            if phase.start_day != expected:
                raise ValueError(
                    f"phase '{phase.id}' starts on day {phase.start_day}; expected {expected} "
                    "(phases must follow each other without gaps)"
                )
            last = index == len(self.phases) - 1
            if phase.end_day is None:
                if not last:
                    raise ValueError(f"only the last phase may be open-ended, not '{phase.id}'")
                break
            if phase.end_day < phase.start_day:
                raise ValueError(f"phase '{phase.id}' ends before it starts")
            expected = phase.end_day + 1
        else:
            raise ValueError("the last phase must be open-ended (end_day: null)")
        if any(day < 0 for day in self.checkin_days):
            raise ValueError("checkin_days must be 0 or more")
        return self


class CarePlanPhase(CarePhase):
    """A phase of one person's plan, with its dates (``end_date`` None: open-ended)."""

    start_date: dt.date
    end_date: dt.date | None


class CarePlanDay(_Frozen):
    """One day of a care plan: its date, day number since onset and focus."""

    date: dt.date
    day: int
    phase_id: str
    focus: str
    checkin: bool = False
    see_doctor: bool = False


class CarePlan(_Frozen):
    """A day-by-day self-care plan from an onset date, led by triage.

    When triage found an emergency, ``suppressed`` is true and the plan holds
    no phases, days or check-ins: the headline says to get help now.
    """

    onset: dt.date
    today: dt.date
    day: int
    current_phase: str | None
    headline: str
    triage: TriageResult | None = None
    suppressed: bool = False
    phases: tuple[CarePlanPhase, ...] = ()
    days: tuple[CarePlanDay, ...] = ()
    see_doctor_by: dt.date
    checkins: tuple[dt.date, ...] = ()
    notes: tuple[str, ...] = ()
    checkin_text: str = ""
    see_doctor_text: str = ""


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
    is a logistic function of the fused score and its margin over the best
    other entry (both scaled by the knowledge base's calibration, see
    ``backcare.retrieval.calibration``), the query's vocabulary coverage, and
    whether the query names one of the knowledge base's anchor terms (words
    most of its questions share, such as "back" and "spasm" in the pack), and
    the query's relevance to the knowledge base as a whole (how close its
    nearest entries are, on the calibration's scale). The
    values are fitted on three kinds of knowledge base (``tuning/fit.py``);
    below ``threshold`` the reply abstains.
    """

    dense_weight: float = 0.6
    answer_weight: float = 0.1
    bm25_weight: float = 0.3
    bm25_answer_share: float = Field(default=0.3, ge=0.0, le=1.0)
    intercept: float = -6.0
    coef_score: float = 8.0
    coef_margin: float = 4.0
    coef_coverage: float = 1.0
    coef_anchor: float = 0.0
    coef_relevance: float = 0.0
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
    # The language the reply speaks (ISO 639-1), and what detection found in
    # the question (None when the reply was not built from a detection).
    lang: str = "en"
    language: DetectedLanguage | None = None


class QueryErrorInfo(_Frozen):
    """Why a query could not be answered at all."""

    code: str
    message: str


class ErrorReply(_Frozen):
    """What stands in for a ``Reply`` when the query itself is unusable."""

    query: str
    error: QueryErrorInfo


# ---------------------------------------------------------------- diary, users, review


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


class NewEpisode(_Frozen):
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


class EpisodePatch(_Frozen):
    """A change to an episode: only the fields given are changed (``end: null`` reopens it)."""

    onset: AwareDatetime | None = None
    end: AwareDatetime | None = None
    note: DiaryText | None = None


class NewCheckIn(_Frozen):
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


class User(_Frozen):
    """Whose diary a row belongs to. ``maintainer`` users may also read the review."""

    id: int
    name: str
    maintainer: bool = False
    created_at: AwareDatetime


class DiaryWarning(_Frozen):
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


class EpisodeSummary(_Frozen):
    """One episode in a summary: how long it lasted and how the pain went."""

    episode: Episode
    days: int
    checkins: int
    first_pain: int | None = None
    last_pain: int | None = None
    worst_pain: int | None = None


class DiarySummary(_Frozen):
    """A diary at a glance: its episodes, recurrence count and warnings, as of ``as_of``."""

    as_of: AwareDatetime
    episodes: tuple[EpisodeSummary, ...] = ()
    episodes_last_12_months: int = 0
    open_episode_id: int | None = None
    warnings: tuple[DiaryWarning, ...] = ()


class Proposal(_Frozen):
    """The entry a cluster of unanswered questions most likely belongs to.

    ``score`` is the retriever's mean confidence for that entry over the
    cluster's examples; a maintainer accepts the proposal (the examples become
    alternates of the entry) or rejects it (``backcare review accept|reject``).
    """

    entry_id: str
    question: str
    score: float = Field(ge=0.0, le=1.0)


class UnansweredCluster(_Frozen):
    """Questions that went unanswered and mean about the same, most frequent first.

    ``id`` names the cluster for ``backcare review accept CLUSTER ENTRY``: a
    hash of its leading question, so it stays the same while that question
    leads it.
    """

    question: str
    count: int
    examples: tuple[str, ...] = ()
    kbs: tuple[str, ...] = ()
    last_asked: AwareDatetime
    id: str = ""
    proposal: Proposal | None = None


class RatedEntry(_Frozen):
    """How the answers from one entry were rated, with some questions rated badly."""

    entry_id: str
    kb: str
    helpful: int = 0
    not_helpful: int = 0
    wrong: int = 0
    examples: tuple[str, ...] = ()

    @property
    def bad(self) -> int:
        """Ratings that were not helpful or wrong."""
        return self.not_helpful + self.wrong


class ReviewReport(_Frozen):
    """What a maintainer reviews: frequent unanswered questions and the worst-rated answers."""

    unanswered: tuple[UnansweredCluster, ...] = ()
    worst_rated: tuple[RatedEntry, ...] = ()
    abstained_total: int = 0
    ratings_total: int = 0
