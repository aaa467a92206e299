"""backcare's public names: pinned, loaded lazily, and listed once, in the stub type checkers read.

Like httpx's test of ``httpx.__all__``: the list below is the public API, so
adding or removing a name means editing this test on purpose.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import backcare

PUBLIC = {
    # errors
    "BackcareError", "CarePlanError", "ConfigError", "DiaryConflictError", "DiaryError",
    "DiaryFormatError", "EntryNotFoundError", "FeedbackError", "IngestError",
    "KnowledgePackError", "ModelUnavailableError", "PackValidationError", "QueryError",
    "RetrievalError", "StorageUnavailableError", "UnsupportedFormatError",
    # the shared vocabulary (backcare.model)
    "Alternative", "Answer", "CarePlan", "CarePlanTable", "CheckIn", "DetectedLanguage",
    "DiarySummary", "DiaryWarning", "Episode", "EpisodePatch", "EpisodeSummary", "ErrorReply",
    "FaqEntry", "FollowUp", "Hit", "NewCheckIn", "NewEpisode", "Proposal", "QueryErrorInfo",
    "RatedEntry", "RedFlagRule", "RedFlagRules", "Reply", "RetrievalParams", "ReviewReport",
    "Source", "TriageFlag", "TriageLevel", "TriageResult", "UnansweredCluster", "User",
    # the pack, languages, retrieval
    "KnowledgePack", "load_pack", "SUPPORTED_LANGUAGES", "detect_language", "Encoder",
    "HashingEncoder", "KnowledgeBase",
    # care plan, diary, feedback, stores
    "care_plan_to_ics", "make_care_plan", "Diary", "DiaryStore", "SqlDiaryStore",
    "diary_warnings", "Abstained", "Feedback", "FeedbackStore", "SqlFeedbackStore",
    "StoredAbstained", "StoredFeedback", "log_unanswered", "cluster_id", "review_feedback",
    "Stores", "open_stores",
    # the facade
    "Backcare", "build_model", "build_multilingual_model", "default_encoder",
    "multilingual_encoder", "pack_crosslingual", "pack_index_dir", "plan_care",
    "prepare_query", "save_pack_index", "triage_answers", "triage_text", "warning_signs",
    # ingest and evaluation
    "IngestReport", "KbInfo", "ReviewDecisions", "accept_proposal", "export_kb",
    "ingest_to_kb", "kb_info", "reject_proposal", "review_decisions", "EvalCase",
    "EvalReport", "evaluate", "evaluate_triage", "read_cases",
}  # fmt: skip


def test_the_public_names_are_pinned() -> None:
    assert set(backcare.__all__) == PUBLIC
    assert sorted(backcare.__all__) == backcare.__all__


def test_all_is_sorted_and_complete() -> None:
    # dir(), not vars(): public names are loaded lazily (PEP 562 __getattr__).
    public = {name for name in dir(backcare) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(backcare, name)).__name__ == "module"}
    assert set(backcare.__all__) == public - modules


def test_every_public_name_is_documented() -> None:
    for name in backcare.__all__:
        assert getattr(backcare, name).__doc__, f"{name} has no docstring"


def test_each_name_comes_from_the_module_the_table_names() -> None:
    for name, module in backcare._MODULE_OF.items():
        assert getattr(backcare, name) is getattr(importlib.import_module(module), name)


STUB = Path(backcare.__file__).with_suffix(".pyi")


def test_the_stub_only_re_exports_names() -> None:
    """``__init__.pyi`` is the one list: each import re-exports (``X as X``), nothing else."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.AnnAssign):
            assert ast.unparse(node.target) == "__version__", ast.unparse(node)
            continue
        assert isinstance(node, ast.ImportFrom) and node.module, ast.unparse(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} is not re-exported as itself"
            assert alias.name not in seen, f"{alias.name} is listed twice"
            seen[alias.name] = node.module
    assert seen == backcare._MODULE_OF
    assert set(seen) == PUBLIC


def test_the_runtime_module_does_not_list_names_again() -> None:
    """``__init__.py`` names no public name of its own: they all come from the stub."""
    source = Path(backcare.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom | ast.Import)
        for alias in node.names
    }
    # `evaluate` is bound eagerly because its package has the same name.
    assert imported & PUBLIC == {"evaluate"}
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert not any(name in text.split() for text in strings for name in PUBLIC - {"evaluate"})
