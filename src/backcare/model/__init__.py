"""The shared vocabulary: frozen pydantic types every part of backcare speaks.

One module per concern; this package re-exports them all, so every part
imports from ``backcare.model``:

- ``entries.py``: knowledge-base entries, sources, retrieval hits and parameters;
- ``triage.py``: levels, red-flag rules and topics, flags, follow-up questions, results;
- ``reply.py``: ``Reply``, the JSON contract (docs/architecture.md section 3);
- ``care.py``: the care timeline and one person's plan;
- ``diary.py``: episodes, check-ins, users, warnings, summaries;
- ``review.py``: unanswered clusters, proposals, rated answers.

``csvcells.py`` is not a type but the one rule every CSV backcare writes and
reads follows (the diary export and the ingest readers), kept here because
both sit above this layer.
"""

from backcare.model.care import (
    AgeNote,
    CarePhase,
    CarePlan,
    CarePlanDay,
    CarePlanPhase,
    CarePlanTable,
)
from backcare.model.diary import (
    CheckIn,
    DiarySummary,
    DiaryTag,
    DiaryText,
    DiaryWarning,
    Episode,
    EpisodePatch,
    EpisodeSummary,
    NewCheckIn,
    NewEpisode,
    User,
)
from backcare.model.entries import (
    FaqEntry,
    Hit,
    RetrievalParams,
    Source,
)
from backcare.model.reply import (
    Alternative,
    Answer,
    DetectedLanguage,
    ErrorReply,
    QueryErrorInfo,
    Reply,
)
from backcare.model.review import (
    Proposal,
    RatedEntry,
    ReviewReport,
    UnansweredCluster,
)
from backcare.model.triage import (
    TOPIC_IDS,
    ClassifierParams,
    FollowUp,
    FollowUpBank,
    FollowUpQuestion,
    FollowUpTopic,
    FollowUpTranslation,
    RedFlagRule,
    RedFlagRules,
    SemanticExamples,
    SemanticParams,
    SemanticRule,
    TriageFlag,
    TriageLanguage,
    TriageLayer,
    TriageLevel,
    TriageResult,
    TriageTopic,
    TriageTopics,
)

__all__ = [
    "ClassifierParams",
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
    "DiaryTag",
    "DiaryText",
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
    "Proposal",
    "QueryErrorInfo",
    "RatedEntry",
    "RedFlagRule",
    "RedFlagRules",
    "Reply",
    "RetrievalParams",
    "ReviewReport",
    "SemanticExamples",
    "SemanticParams",
    "SemanticRule",
    "Source",
    "TOPIC_IDS",
    "TriageFlag",
    "TriageLanguage",
    "TriageLayer",
    "TriageLevel",
    "TriageResult",
    "TriageTopic",
    "TriageTopics",
    "UnansweredCluster",
    "User",
]
