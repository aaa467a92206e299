"""backcare: fast, sourced, safety-first answers for people with lower back spasms.

The public API. Everything not listed in ``__all__`` is internal.
"""

from backcare.careplan import care_plan_to_ics, make_care_plan
from backcare.errors import (
    BackcareError,
    CarePlanError,
    ConfigError,
    DiaryError,
    EntryNotFoundError,
    IngestError,
    KnowledgePackError,
    ModelUnavailableError,
    PackValidationError,
    QueryError,
    RetrievalError,
    UnsupportedFormatError,
)
from backcare.evaluate import EvalCase, EvalReport, evaluate, read_cases
from backcare.feedback import Feedback, FeedbackStore, SqlFeedbackStore, StoredFeedback
from backcare.ingest import IngestReport
from backcare.kbuild import KbInfo, export_kb, ingest_to_kb, kb_info
from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import (
    Alternative,
    Answer,
    CarePlan,
    CarePlanTable,
    ErrorReply,
    FaqEntry,
    Hit,
    QueryErrorInfo,
    RedFlagRule,
    RedFlagRules,
    Reply,
    RetrievalParams,
    Source,
    TriageFlag,
    TriageLevel,
    TriageResult,
)
from backcare.retrieval.dense import Encoder, HashingEncoder
from backcare.retrieval.kbase import KnowledgeBase
from backcare.service import (
    Backcare,
    build_model,
    default_encoder,
    plan_care,
    prepare_query,
    triage_text,
)

__version__ = "0.1.0"

__all__ = [
    "Alternative",
    "Answer",
    "Backcare",
    "BackcareError",
    "CarePlan",
    "CarePlanError",
    "CarePlanTable",
    "ConfigError",
    "DiaryError",
    "Encoder",
    "EntryNotFoundError",
    "ErrorReply",
    "EvalCase",
    "EvalReport",
    "FaqEntry",
    "Feedback",
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
    "PackValidationError",
    "QueryError",
    "QueryErrorInfo",
    "RedFlagRule",
    "RedFlagRules",
    "Reply",
    "RetrievalError",
    "RetrievalParams",
    "Source",
    "SqlFeedbackStore",
    "StoredFeedback",
    "TriageFlag",
    "TriageLevel",
    "TriageResult",
    "UnsupportedFormatError",
    "build_model",
    "care_plan_to_ics",
    "default_encoder",
    "evaluate",
    "export_kb",
    "ingest_to_kb",
    "kb_info",
    "load_pack",
    "make_care_plan",
    "plan_care",
    "prepare_query",
    "read_cases",
    "triage_text",
]
