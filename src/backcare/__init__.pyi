"""backcare's public names: the one list of them, for type checkers and for the lazy loader.

Each line re-exports one name (``X as X``) from the module that defines it.
Type checkers read this stub in place of ``__init__.py``; ``__init__.py``
reads it at import time to know which module to load a name from on first
use. Adding a name here is all it takes to make it public, and
``tests/test_exports.py`` pins the list, so a change is always deliberate.
"""

from backcare.careplan import care_plan_to_ics as care_plan_to_ics
from backcare.careplan import make_care_plan as make_care_plan
from backcare.diary import Diary as Diary
from backcare.diary import DiaryStore as DiaryStore
from backcare.diary import SqlDiaryStore as SqlDiaryStore
from backcare.diary import diary_warnings as diary_warnings
from backcare.errors import BackcareError as BackcareError
from backcare.errors import CarePlanError as CarePlanError
from backcare.errors import ConfigError as ConfigError
from backcare.errors import DiaryConflictError as DiaryConflictError
from backcare.errors import DiaryError as DiaryError
from backcare.errors import DiaryFormatError as DiaryFormatError
from backcare.errors import EntryNotFoundError as EntryNotFoundError
from backcare.errors import FeedbackError as FeedbackError
from backcare.errors import IngestError as IngestError
from backcare.errors import KnowledgePackError as KnowledgePackError
from backcare.errors import ModelUnavailableError as ModelUnavailableError
from backcare.errors import PackValidationError as PackValidationError
from backcare.errors import QueryError as QueryError
from backcare.errors import RetrievalError as RetrievalError
from backcare.errors import StorageUnavailableError as StorageUnavailableError
from backcare.errors import UnsupportedFormatError as UnsupportedFormatError
from backcare.evaluate import EvalCase as EvalCase
from backcare.evaluate import EvalReport as EvalReport
from backcare.evaluate import evaluate as evaluate
from backcare.evaluate import evaluate_triage as evaluate_triage
from backcare.evaluate import read_cases as read_cases
from backcare.feedback import Abstained as Abstained
from backcare.feedback import Feedback as Feedback
from backcare.feedback import FeedbackStore as FeedbackStore
from backcare.feedback import SqlFeedbackStore as SqlFeedbackStore
from backcare.feedback import StoredAbstained as StoredAbstained
from backcare.feedback import StoredFeedback as StoredFeedback
from backcare.feedback import log_unanswered as log_unanswered
from backcare.feedback.review import cluster_id as cluster_id
from backcare.feedback.review import review_feedback as review_feedback
from backcare.ingest import IngestReport as IngestReport
from backcare.ingest.build import KbInfo as KbInfo
from backcare.ingest.build import ReviewDecisions as ReviewDecisions
from backcare.ingest.build import accept_proposal as accept_proposal
from backcare.ingest.build import export_kb as export_kb
from backcare.ingest.build import ingest_to_kb as ingest_to_kb
from backcare.ingest.build import kb_info as kb_info
from backcare.ingest.build import reject_proposal as reject_proposal
from backcare.ingest.build import review_decisions as review_decisions
from backcare.knowledge.pack import KnowledgePack as KnowledgePack
from backcare.knowledge.pack import load_pack as load_pack
from backcare.language import SUPPORTED_LANGUAGES as SUPPORTED_LANGUAGES
from backcare.language import detect_language as detect_language
from backcare.model import Alternative as Alternative
from backcare.model import Answer as Answer
from backcare.model import CarePlan as CarePlan
from backcare.model import CarePlanTable as CarePlanTable
from backcare.model import CheckIn as CheckIn
from backcare.model import DetectedLanguage as DetectedLanguage
from backcare.model import DiarySummary as DiarySummary
from backcare.model import DiaryWarning as DiaryWarning
from backcare.model import Episode as Episode
from backcare.model import EpisodePatch as EpisodePatch
from backcare.model import EpisodeSummary as EpisodeSummary
from backcare.model import ErrorReply as ErrorReply
from backcare.model import FaqEntry as FaqEntry
from backcare.model import FollowUp as FollowUp
from backcare.model import Hit as Hit
from backcare.model import NewCheckIn as NewCheckIn
from backcare.model import NewEpisode as NewEpisode
from backcare.model import Proposal as Proposal
from backcare.model import QueryErrorInfo as QueryErrorInfo
from backcare.model import RatedEntry as RatedEntry
from backcare.model import RedFlagRule as RedFlagRule
from backcare.model import RedFlagRules as RedFlagRules
from backcare.model import Reply as Reply
from backcare.model import RetrievalParams as RetrievalParams
from backcare.model import ReviewReport as ReviewReport
from backcare.model import Source as Source
from backcare.model import TriageFlag as TriageFlag
from backcare.model import TriageLevel as TriageLevel
from backcare.model import TriageResult as TriageResult
from backcare.model import UnansweredCluster as UnansweredCluster
from backcare.model import User as User
from backcare.retrieval.dense import Encoder as Encoder
from backcare.retrieval.dense import HashingEncoder as HashingEncoder
from backcare.retrieval.kbase import KnowledgeBase as KnowledgeBase
from backcare.service import Backcare as Backcare
from backcare.service import build_model as build_model
from backcare.service import build_multilingual_model as build_multilingual_model
from backcare.service import default_encoder as default_encoder
from backcare.service import multilingual_encoder as multilingual_encoder
from backcare.service import pack_crosslingual as pack_crosslingual
from backcare.service import pack_index_dir as pack_index_dir
from backcare.service import plan_care as plan_care
from backcare.service import prepare_query as prepare_query
from backcare.service import save_pack_index as save_pack_index
from backcare.service import triage_answers as triage_answers
from backcare.service import triage_text as triage_text
from backcare.service import warning_signs as warning_signs
from backcare.stores import Stores as Stores
from backcare.stores import open_stores as open_stores

__version__: str
