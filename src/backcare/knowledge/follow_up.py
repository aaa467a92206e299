"""Load the red-flag interview bank: ``follow_up.yaml`` and its translations.

::

    follow_up.yaml               topics and questions (see the file's header)
    i18n/<code>/follow_up.yaml   questions: {id: text}, topics: {id: text}

A question's ``rule`` must be a rule of ``red_flags.yaml`` and its
``level_if_yes`` that rule's level, so a yes means exactly what the rule
means. Every safety-net topic needs a question. A pack without the file has
an empty bank: replies then carry no follow-up questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backcare.errors import PackValidationError
from backcare.knowledge._yaml import describe_validation_error, read_yaml
from backcare.model import FollowUpBank, FollowUpTranslation, RedFlagRules, Source

__all__ = ["SAFETY_NET_TOPICS", "load_follow_up"]

# The topics of the safety-net layer's ``check_<topic>`` flags (issue 14).
SAFETY_NET_TOPICS = ("bladder", "bowel", "saddle", "leg_strength", "chest", "fever", "trauma")

_CODE = re.compile(r"^[a-z]{2}$")


def load_follow_up(root: Path, rules: RedFlagRules, sources: Mapping[int, Source]) -> FollowUpBank:
    """Read and check the bank of the pack in ``root`` (empty when it has none).

    Raises:
        KnowledgePackError: a file is unreadable.
        PackValidationError: a question names an unknown rule, source or topic,
            a level differs from its rule's, a safety-net topic has no question,
            or a translation names an id the bank lacks.
    """
    path = root / "follow_up.yaml"
    if not path.exists():
        return FollowUpBank()
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise PackValidationError(f"{path}: expected 'topics:' and 'questions:' at the top level")
    questions = raw.get("questions")
    if not isinstance(questions, list):
        raise PackValidationError(f"{path}: expected 'questions:' as a list")
    data: dict[str, Any] = {
        "topics": raw.get("topics") or [],
        "questions": [_with_sources(path, item, sources) for item in questions],
        "translations": _translations(root / "i18n"),
    }
    try:
        bank = FollowUpBank.model_validate(data)
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "the bank", exc)) from exc
    _check_against_rules(path, bank, rules)
    return bank


def _with_sources(path: Path, item: object, sources: Mapping[int, Source]) -> object:
    if not isinstance(item, dict):
        return item  # pydantic names the problem
    numbers = item.get("sources", [])
    where = f"question '{item.get('id', '?')}'"
    if not isinstance(numbers, list):
        raise PackValidationError(f"{path}: {where}: field 'sources': expected a list of numbers")
    unknown = [n for n in numbers if n not in sources]
    if unknown:
        raise PackValidationError(
            f"{path}: {where}: field 'sources': unknown source number(s) {unknown}"
        )
    return {**item, "sources": [sources[n] for n in numbers]}


def _check_against_rules(path: Path, bank: FollowUpBank, rules: RedFlagRules) -> None:
    levels = {rule.id: rule.level for rule in rules.rules}
    for question in bank.questions:
        where = f"{path}: question '{question.id}'"
        if question.rule not in levels:
            raise PackValidationError(f"{where}: rule '{question.rule}' is not in red_flags.yaml")
        if question.level_if_yes is not levels[question.rule]:
            raise PackValidationError(
                f"{where}: level_if_yes {question.level_if_yes.value} differs from rule "
                f"'{question.rule}' ({levels[question.rule].value})"
            )
    for topic in bank.topics:
        unknown = [rule for rule in topic.touched_by if rule not in levels]
        if unknown:
            raise PackValidationError(
                f"{path}: topic '{topic.id}': touched_by names unknown rule(s) {unknown}"
            )
    if bank.questions:
        topics = {topic.id for topic in bank.topics}
        missing = [topic for topic in SAFETY_NET_TOPICS if topic not in topics]
        if missing:
            raise PackValidationError(
                f"{path}: every safety-net topic needs questions; missing: {', '.join(missing)}"
            )
    ids = {question.id for question in bank.questions}
    topic_ids = {topic.id for topic in bank.topics}
    for code, translation in bank.translations.items():
        stray = sorted(set(translation.questions) - ids) + sorted(
            set(translation.topics) - topic_ids
        )
        if stray:
            raise PackValidationError(
                f"{path.parent / 'i18n' / code / 'follow_up.yaml'}: unknown id(s) "
                f"{', '.join(stray)}; use the ids of follow_up.yaml"
            )


def _translations(folder: Path) -> dict[str, FollowUpTranslation]:
    found: dict[str, FollowUpTranslation] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*/follow_up.yaml")):
        code = path.parent.name
        if not _CODE.match(code) or code == "en":
            raise PackValidationError(
                f"{path}: folder {code!r} must be a two-letter ISO 639-1 code other than 'en'"
            )
        raw = read_yaml(path)
        try:
            found[code] = FollowUpTranslation.model_validate(raw or {})
        except ValidationError as exc:
            raise PackValidationError(
                describe_validation_error(path, "the translation", exc)
            ) from exc
    return found
