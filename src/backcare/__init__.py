"""backcare: fast, sourced, safety-first answers for people with lower back spasms.

The public API. Everything not listed in ``__all__`` is internal.
"""

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
from backcare.knowledge.pack import KnowledgePack, load_pack
from backcare.model import (
    Alternative,
    Answer,
    ErrorReply,
    FaqEntry,
    Hit,
    QueryErrorInfo,
    RedFlagRule,
    Reply,
    RetrievalParams,
    Source,
    TriageFlag,
    TriageLevel,
    TriageResult,
)
from backcare.retrieval.dense import Encoder, HashingEncoder
from backcare.retrieval.kbase import KnowledgeBase
from backcare.service import Backcare, build_model, default_encoder, prepare_query

__version__ = "0.1.0"

__all__ = [
    "Alternative",
    "Answer",
    "Backcare",
    "BackcareError",
    "CarePlanError",
    "ConfigError",
    "DiaryError",
    "Encoder",
    "EntryNotFoundError",
    "ErrorReply",
    "EvalCase",
    "EvalReport",
    "FaqEntry",
    "HashingEncoder",
    "Hit",
    "IngestError",
    "KnowledgeBase",
    "KnowledgePack",
    "KnowledgePackError",
    "ModelUnavailableError",
    "PackValidationError",
    "QueryError",
    "QueryErrorInfo",
    "RedFlagRule",
    "Reply",
    "RetrievalError",
    "RetrievalParams",
    "Source",
    "TriageFlag",
    "TriageLevel",
    "TriageResult",
    "UnsupportedFormatError",
    "build_model",
    "default_encoder",
    "evaluate",
    "load_pack",
    "prepare_query",
    "read_cases",
]
