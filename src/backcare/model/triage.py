"""Triage types: urgency levels, red-flag rules and topics, flags, follow-up questions, results."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from backcare.model.base import Frozen
from backcare.model.entries import Source

__all__ = [
    "TOPIC_IDS",
    "ClassifierParams",
    "FollowUp",
    "FollowUpBank",
    "FollowUpQuestion",
    "FollowUpTopic",
    "FollowUpTranslation",
    "RedFlagRule",
    "RedFlagRules",
    "SemanticExamples",
    "SemanticParams",
    "SemanticRule",
    "TriageFlag",
    "TriageLanguage",
    "TriageLayer",
    "TriageLevel",
    "TriageResult",
    "TriageTopic",
    "TriageTopics",
]


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


class RedFlagRule(Frozen):
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


class TriageLanguage(Frozen):
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


class RedFlagRules(Frozen):
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


class TriageFlag(Frozen):
    """A red flag that fired, with the words that made it fire and the layer that found it.

    ``layer`` is ``rules`` (a pattern of ``red_flags.yaml``), ``semantic``
    (the clause read like the rule's example phrasings), ``safety_net`` (the
    clause is about a red-flag topic that nothing settled; id
    ``check_<topic>``, or the topic's rule id when the clause states a
    present loss of function) or ``answer`` (a yes to a follow-up question).
    """

    id: str
    level: TriageLevel
    evidence: str
    layer: TriageLayer = "rules"


class FollowUp(Frozen):
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


class TriageTopic(Frozen):
    """One red-flag topic of the safety net (``content/triage_topics.yaml``).

    A piece of a message is about the topic when one ``about`` regex (or an
    ``about_words`` word, also with one slip) matches it and, if ``needs`` is
    given, one ``needs`` regex (or ``needs_words`` word) too; ``unless``
    regexes mark harmless look-alikes ("fell asleep"). ``covered_by`` lists
    the rule ids whose flag (urgent or above) already settles the topic.
    ``escalate`` regexes state a present loss of function ("lets go", "can't
    feel"): a clause about the topic that also matches one, undenied and not
    a question, raises the rule ``escalate_to`` (one of ``covered_by``) at
    its own level instead of ``check_<topic>``.
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
    escalate: tuple[str, ...] = ()
    escalate_to: str | None = None

    @model_validator(mode="after")
    def _check(self) -> TriageTopic:
        if self.id not in TOPIC_IDS:
            raise ValueError(f"unknown topic id {self.id!r}; topics are {', '.join(TOPIC_IDS)}")
        _check_regexes("about", self.about)
        _check_regexes("needs", self.needs)
        _check_regexes("unless", self.unless)
        _check_regexes("escalate", self.escalate)
        if bool(self.escalate) != (self.escalate_to is not None):
            raise ValueError(f"topic {self.id!r}: give 'escalate' and 'escalate_to' together")
        if self.escalate_to is not None and self.escalate_to not in self.covered_by:
            raise ValueError(f"topic {self.id!r}: 'escalate_to' must be one of 'covered_by'")
        return self


class TriageTopics(Frozen):
    """The safety net's table: every topic once, and what counts as a plain denial.

    ``reassured`` regexes mark a piece as clearly denied ("nothing wrong with
    my bladder", "all normal"); ``answered_no`` is matched just after a piece
    ("numbness? no"); ``hypothetical`` regexes mark a piece that asks about a
    topic in general ("can a spasm cause bladder problems", "if my legs went
    weak would that be serious"), which raises nothing.
    """

    topics: tuple[TriageTopic, ...]
    reassured: tuple[str, ...] = ()
    hypothetical: tuple[str, ...] = ()
    answered_no: str = r"^\s*[?:-]+\s*(?:no|nope|none|nah|never|fine|normal)\b"

    @model_validator(mode="after")
    def _check(self) -> TriageTopics:
        ids = [topic.id for topic in self.topics]
        if sorted(ids) != sorted(TOPIC_IDS):
            raise ValueError(f"topics must be exactly {', '.join(TOPIC_IDS)} once each; got {ids}")
        _check_regexes("reassured", self.reassured)
        _check_regexes("hypothetical", self.hypothetical)
        _check_regexes("answered_no", (self.answered_no,))
        return self


class SemanticRule(Frozen):
    """Fitted decision values of one rule for the semantic detector."""

    threshold: float = Field(ge=-1.0, le=1.0)
    margin: float = Field(ge=-2.0, le=2.0)


class SemanticExamples(Frozen):
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


class SemanticParams(Frozen):
    """Fitted thresholds of the semantic detector (``content/triage_semantic.yaml``)."""

    model_id: str = ""
    rules: dict[str, SemanticRule]


class ClassifierParams(Frozen):
    """The fitted clause classifier of the semantic layer (``content/triage_classifier.yaml``).

    ``classes`` is ``none`` then rule families; ``weights`` one row per class
    (the bias, then one weight per vector dimension); ``thresholds`` the
    cross-validated probability at which a family fires.
    """

    model_id: str = ""
    mode: Literal["add", "replace", "off"] = "add"
    classes: tuple[str, ...] = Field(min_length=2)
    thresholds: dict[str, float]
    weights: tuple[tuple[float, ...], ...]

    @model_validator(mode="after")
    def _check(self) -> ClassifierParams:
        if len(self.weights) != len(self.classes):
            raise ValueError(f"{len(self.weights)} weight rows for {len(self.classes)} classes")
        if len({len(row) for row in self.weights}) != 1 or len(self.weights[0]) < 2:
            raise ValueError("weight rows must all hold the bias and the same dimensions")
        unknown = sorted(set(self.thresholds) - set(self.classes[1:]))
        if unknown:
            raise ValueError(f"thresholds for unknown classes: {unknown}")
        if any(not 0.0 < t < 1.0 for t in self.thresholds.values()):
            raise ValueError("thresholds are probabilities strictly between 0 and 1")
        return self


class TriageResult(Frozen):
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


class FollowUpQuestion(Frozen):
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


class FollowUpTopic(Frozen):
    """A red-flag topic the interview settles.

    ``message`` is the reply line for an unsettled ``check_<id>`` flag;
    ``touched_by`` lists rule ids (below emergency) whose flag also opens the
    topic's questions, e.g. pain below one knee opens the leg-strength ones.
    """

    id: str = Field(pattern=_ID)
    message: str = Field(min_length=1)
    touched_by: tuple[str, ...] = ()


class FollowUpTranslation(Frozen):
    """The bank's texts in one language: question and topic texts by id."""

    questions: dict[str, str] = Field(default_factory=dict)
    topics: dict[str, str] = Field(default_factory=dict)


class FollowUpBank(Frozen):
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
