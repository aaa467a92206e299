"""Load the vetted knowledge pack: entries, sources, red flags, care plan, retrieval params.

A pack is a folder of YAML files::

    pack.yaml         name and version (replies carry "name@version" in ``kb``)
    sources.yaml      numbered sources: {1: {title, url}, ...}
    entries/*.yaml    one topic a file; ``sources`` lists source numbers
    red_flags.yaml    triage rules (see knowledge/rules.py)
    i18n/             the triage rules in other languages (see knowledge/i18n.py) and
                      the entries' questions asked in them (knowledge/alternates.py)
    follow_up.yaml    the red-flag interview's questions (see knowledge/follow_up.py)
    careplan.yaml     care-timeline phases (see knowledge/rules.py)
    retrieval.yaml    fusion weights and the abstention threshold (tuning/fit.py)
    triage_topics.yaml      the triage safety net's topics (optional; knowledge/topics.py)
    red_flag_examples.yaml  example phrasings for the semantic detector (optional)
    triage_semantic.yaml    its fitted thresholds (with the examples)

Every problem is reported with the file, the entry and the field.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backcare.errors import PackValidationError
from backcare.knowledge._yaml import describe_validation_error, read_yaml
from backcare.knowledge.alternates import TranslatedQuestions, load_translated_alternates
from backcare.knowledge.follow_up import load_follow_up
from backcare.knowledge.i18n import Translations, load_translations
from backcare.knowledge.rules import load_careplan, load_red_flags
from backcare.knowledge.topics import (
    load_semantic_examples,
    load_semantic_params,
    load_triage_topics,
)
from backcare.knowledge.validate import validate_entries
from backcare.model import (
    CarePlanTable,
    FaqEntry,
    FollowUpBank,
    RedFlagRules,
    RetrievalParams,
    SemanticExamples,
    SemanticParams,
    Source,
    TriageTopics,
)

__all__ = ["KnowledgePack", "load_pack", "shipped_pack_dir"]


@dataclass(frozen=True)
class KnowledgePack:
    """Everything a pack folder holds, validated."""

    root: Path
    label: str
    entries: tuple[FaqEntry, ...]
    sources: Mapping[int, Source]
    red_flags: RedFlagRules
    careplan: CarePlanTable
    params: RetrievalParams
    content_hash: str
    translations: Translations = field(default_factory=Translations)
    follow_up: FollowUpBank = field(default_factory=FollowUpBank)
    # The layers after the rules (docs/triage.md); None where a pack has none.
    triage_topics: TriageTopics | None = None
    semantic_examples: SemanticExamples | None = None
    semantic_params: SemanticParams | None = None
    # The entries' questions asked in other languages and each language's anchor
    # words, read only by cross-language search (docs/languages.md, part B).
    translated_questions: TranslatedQuestions = field(default_factory=TranslatedQuestions)

    @property
    def triage_tables(self) -> Mapping[str, RedFlagRules]:
        """The red-flag table of every language the pack checks, English first."""
        return {"en": self.red_flags, **self.translations.red_flags}


def shipped_pack_dir() -> Path:
    """The pack that ships with backcare (inside the wheel, or ``content/`` in a checkout)."""
    installed = Path(str(importlib.resources.files("backcare"))) / "_pack"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[3] / "content"


def load_pack(root: Path | None = None) -> KnowledgePack:
    """Load and validate the pack in ``root`` (default: the shipped pack).

    Raises:
        KnowledgePackError: a file is missing or unreadable.
        PackValidationError: a file parses but something in it is invalid;
            the message names the file, the entry and the field.
    """
    root = shipped_pack_dir() if root is None else root
    meta = _mapping(read_yaml(root / "pack.yaml"), root / "pack.yaml")
    label = f"{meta.get('name', 'pack')}@{meta.get('version', 0)}"
    sources = _load_sources(root / "sources.yaml")
    entries = tuple(
        _load_entry(path, sources) for path in sorted((root / "entries").glob("*.yaml"))
    )
    if not entries:
        raise PackValidationError(f"{root / 'entries'}: the pack has no entries")
    problems = validate_entries(entries, require_sources=True)
    if problems:
        listed = "\n  ".join(str(problem) for problem in problems)
        raise PackValidationError(f"{root / 'entries'}: {len(problems)} problem(s):\n  {listed}")
    params_path = root / "retrieval.yaml"
    params = RetrievalParams()
    if params_path.exists():
        try:
            params = RetrievalParams.model_validate(_mapping(read_yaml(params_path), params_path))
        except ValidationError as exc:
            raise PackValidationError(
                describe_validation_error(params_path, "retrieval params", exc)
            ) from exc
    if params.query_adapter is not None:
        if params.query_adapter_sha256 is None:
            raise PackValidationError(
                f"{params_path}: query_adapter needs query_adapter_sha256 (the file's SHA-256)"
            )
        # The retriever opens it by path; relative names are beside retrieval.yaml.
        params = params.model_copy(update={"query_adapter": str(root / params.query_adapter)})
    red_flags = load_red_flags(root / "red_flags.yaml", sources)
    topics_path = root / "triage_topics.yaml"
    topics = load_triage_topics(topics_path, red_flags) if topics_path.exists() else None
    examples_path = root / "red_flag_examples.yaml"
    examples = params_sem = None
    if examples_path.exists():
        examples = load_semantic_examples(examples_path, red_flags)
        params_sem = load_semantic_params(root / "triage_semantic.yaml", examples)
    return KnowledgePack(
        root=root,
        label=label,
        entries=entries,
        sources=sources,
        red_flags=red_flags,
        careplan=load_careplan(root / "careplan.yaml", sources),
        params=params,
        content_hash=_hash_folder(root),
        translations=load_translations(root / "i18n", red_flags, sources),
        follow_up=load_follow_up(root, red_flags, sources),
        triage_topics=topics,
        semantic_examples=examples,
        semantic_params=params_sem,
        translated_questions=load_translated_alternates(root / "i18n", entries),
    )


def _mapping(data: object, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PackValidationError(f"{path}: expected a mapping at the top level")
    return data


def _load_sources(path: Path) -> dict[int, Source]:
    data = _mapping(read_yaml(path), path).get("sources")
    if not isinstance(data, dict):
        raise PackValidationError(f"{path}: expected 'sources:' mapping numbers to title and url")
    sources = {}
    for number, raw in data.items():
        if not isinstance(number, int):
            raise PackValidationError(f"{path}: source key {number!r} is not a number")
        try:
            sources[number] = Source.model_validate(raw)
        except ValidationError as exc:
            raise PackValidationError(
                describe_validation_error(path, f"source {number}", exc)
            ) from exc
    return sources


def _load_entry(path: Path, sources: Mapping[int, Source]) -> FaqEntry:
    raw = _mapping(read_yaml(path), path)
    item = f"entry '{raw.get('id', path.stem)}'"
    numbers = raw.get("sources", [])
    if not isinstance(numbers, list):
        raise PackValidationError(f"{path}: {item}: field 'sources': expected a list of numbers")
    unknown = [n for n in numbers if n not in sources]
    if unknown:
        raise PackValidationError(
            f"{path}: {item}: field 'sources': unknown source number(s) {unknown}"
        )
    raw = {**raw, "sources": [sources[n] for n in numbers]}
    try:
        entry = FaqEntry.model_validate(raw)
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, item, exc)) from exc
    if entry.id != path.stem:
        raise PackValidationError(
            f"{path}: {item}: field 'id': must match the file name '{path.stem}'"
        )
    return entry


def _hash_folder(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
