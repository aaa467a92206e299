"""backcare: fast, sourced, safety-first answers for people with lower back spasms.

The public API. Everything not listed in ``__all__`` is internal.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from backcare.careplan import care_plan_to_ics, make_care_plan
    from backcare.diary import DiaryStore, SqlDiaryStore, diary_warnings
    from backcare.diary_service import Diary
    from backcare.errors import (
        BackcareError,
        CarePlanError,
        ConfigError,
        DiaryConflictError,
        DiaryError,
        DiaryFormatError,
        EntryNotFoundError,
        FeedbackError,
        IngestError,
        KnowledgePackError,
        ModelUnavailableError,
        PackValidationError,
        QueryError,
        RetrievalError,
        StorageUnavailableError,
        UnsupportedFormatError,
    )
    from backcare.evaluate import EvalCase, EvalReport, evaluate, read_cases
    from backcare.feedback import (
        Abstained,
        Feedback,
        FeedbackStore,
        SqlFeedbackStore,
        StoredAbstained,
        StoredFeedback,
    )
    from backcare.feedback.review import cluster_id, review_feedback
    from backcare.ingest import IngestReport
    from backcare.kbuild import (
        KbInfo,
        ReviewDecisions,
        accept_proposal,
        export_kb,
        ingest_to_kb,
        kb_info,
        reject_proposal,
        review_decisions,
    )
    from backcare.knowledge.pack import KnowledgePack, load_pack
    from backcare.language import SUPPORTED_LANGUAGES, detect_language
    from backcare.model import (
        Alternative,
        Answer,
        CarePlan,
        CarePlanTable,
        CheckIn,
        DetectedLanguage,
        DiarySummary,
        DiaryWarning,
        Episode,
        EpisodePatch,
        EpisodeSummary,
        ErrorReply,
        FaqEntry,
        Hit,
        NewCheckIn,
        NewEpisode,
        Proposal,
        QueryErrorInfo,
        RatedEntry,
        RedFlagRule,
        RedFlagRules,
        Reply,
        RetrievalParams,
        ReviewReport,
        Source,
        TriageFlag,
        TriageLevel,
        TriageResult,
        UnansweredCluster,
        User,
    )
    from backcare.retrieval.dense import Encoder, HashingEncoder
    from backcare.retrieval.kbase import KnowledgeBase
    from backcare.service import (
        Backcare,
        build_model,
        default_encoder,
        pack_index_dir,
        plan_care,
        prepare_query,
        triage_text,
    )

# Public names are imported on first use (PEP 562), so `import backcare` and the
# ask path do not pay for SQLAlchemy, the ingest readers or the evaluator
# (benchmarks/run.py measures the cold start this protects).
_LAZY = {
    "Abstained": "backcare.feedback",
    "Alternative": "backcare.model",
    "Answer": "backcare.model",
    "Backcare": "backcare.service",
    "BackcareError": "backcare.errors",
    "CarePlan": "backcare.model",
    "CarePlanError": "backcare.errors",
    "CarePlanTable": "backcare.model",
    "CheckIn": "backcare.model",
    "ConfigError": "backcare.errors",
    "Diary": "backcare.diary_service",
    "DiaryConflictError": "backcare.errors",
    "DiaryError": "backcare.errors",
    "DetectedLanguage": "backcare.model",
    "DiaryFormatError": "backcare.errors",
    "DiaryStore": "backcare.diary",
    "DiarySummary": "backcare.model",
    "DiaryWarning": "backcare.model",
    "Encoder": "backcare.retrieval.dense",
    "EntryNotFoundError": "backcare.errors",
    "Episode": "backcare.model",
    "EpisodePatch": "backcare.model",
    "EpisodeSummary": "backcare.model",
    "ErrorReply": "backcare.model",
    "EvalCase": "backcare.evaluate",
    "EvalReport": "backcare.evaluate",
    "FaqEntry": "backcare.model",
    "Feedback": "backcare.feedback",
    "FeedbackError": "backcare.errors",
    "FeedbackStore": "backcare.feedback",
    "HashingEncoder": "backcare.retrieval.dense",
    "Hit": "backcare.model",
    "IngestError": "backcare.errors",
    "IngestReport": "backcare.ingest",
    "KbInfo": "backcare.kbuild",
    "KnowledgeBase": "backcare.retrieval.kbase",
    "KnowledgePack": "backcare.knowledge.pack",
    "KnowledgePackError": "backcare.errors",
    "ModelUnavailableError": "backcare.errors",
    "NewCheckIn": "backcare.model",
    "NewEpisode": "backcare.model",
    "PackValidationError": "backcare.errors",
    "QueryError": "backcare.errors",
    "QueryErrorInfo": "backcare.model",
    "RatedEntry": "backcare.model",
    "RedFlagRule": "backcare.model",
    "RedFlagRules": "backcare.model",
    "Reply": "backcare.model",
    "RetrievalError": "backcare.errors",
    "RetrievalParams": "backcare.model",
    "ReviewReport": "backcare.model",
    "Source": "backcare.model",
    "SqlDiaryStore": "backcare.diary",
    "SqlFeedbackStore": "backcare.feedback",
    "StorageUnavailableError": "backcare.errors",
    "StoredAbstained": "backcare.feedback",
    "StoredFeedback": "backcare.feedback",
    "TriageFlag": "backcare.model",
    "TriageLevel": "backcare.model",
    "TriageResult": "backcare.model",
    "UnansweredCluster": "backcare.model",
    "Proposal": "backcare.model",
    "UnsupportedFormatError": "backcare.errors",
    "User": "backcare.model",
    "SUPPORTED_LANGUAGES": "backcare.language",
    "build_model": "backcare.service",
    "care_plan_to_ics": "backcare.careplan",
    "default_encoder": "backcare.service",
    "detect_language": "backcare.language",
    "diary_warnings": "backcare.diary",
    "export_kb": "backcare.kbuild",
    "ingest_to_kb": "backcare.kbuild",
    "kb_info": "backcare.kbuild",
    "ReviewDecisions": "backcare.kbuild",
    "accept_proposal": "backcare.kbuild",
    "reject_proposal": "backcare.kbuild",
    "review_decisions": "backcare.kbuild",
    "load_pack": "backcare.knowledge.pack",
    "make_care_plan": "backcare.careplan",
    "pack_index_dir": "backcare.service",
    "plan_care": "backcare.service",
    "prepare_query": "backcare.service",
    "read_cases": "backcare.evaluate",
    "review_feedback": "backcare.feedback.review",
    "cluster_id": "backcare.feedback.review",
    "triage_text": "backcare.service",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'backcare' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# `evaluate` names both a function and its module: importing the module
# (`import backcare.evaluate`) would bind the module here, so bind the function now.
from backcare.evaluate import evaluate  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Abstained",
    "Alternative",
    "Answer",
    "Backcare",
    "BackcareError",
    "CarePlan",
    "CarePlanError",
    "CarePlanTable",
    "CheckIn",
    "ConfigError",
    "DetectedLanguage",
    "Diary",
    "DiaryConflictError",
    "DiaryError",
    "DiaryFormatError",
    "DiaryStore",
    "DiarySummary",
    "DiaryWarning",
    "Encoder",
    "EntryNotFoundError",
    "Episode",
    "EpisodePatch",
    "EpisodeSummary",
    "ErrorReply",
    "EvalCase",
    "EvalReport",
    "FaqEntry",
    "Feedback",
    "FeedbackError",
    "FeedbackStore",
    "HashingEncoder",
    "Hit",
    "IngestError",
    "IngestReport",
    "KbInfo",
    "KnowledgeBase",
    "KnowledgePack",
    "KnowledgePackError",
    "ModelUnavailableError",
    "NewCheckIn",
    "NewEpisode",
    "PackValidationError",
    "Proposal",
    "QueryError",
    "QueryErrorInfo",
    "RatedEntry",
    "RedFlagRule",
    "RedFlagRules",
    "Reply",
    "RetrievalError",
    "RetrievalParams",
    "ReviewDecisions",
    "ReviewReport",
    "SUPPORTED_LANGUAGES",
    "Source",
    "SqlDiaryStore",
    "SqlFeedbackStore",
    "StorageUnavailableError",
    "StoredAbstained",
    "StoredFeedback",
    "TriageFlag",
    "TriageLevel",
    "TriageResult",
    "UnansweredCluster",
    "UnsupportedFormatError",
    "User",
    "accept_proposal",
    "build_model",
    "care_plan_to_ics",
    "cluster_id",
    "default_encoder",
    "detect_language",
    "diary_warnings",
    "evaluate",
    "export_kb",
    "ingest_to_kb",
    "kb_info",
    "load_pack",
    "make_care_plan",
    "pack_index_dir",
    "plan_care",
    "prepare_query",
    "read_cases",
    "reject_proposal",
    "review_decisions",
    "review_feedback",
    "triage_text",
]
