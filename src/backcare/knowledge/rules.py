"""Load the pack's two tables: red-flag rules and the care timeline.

``red_flags.yaml`` (see the comment at its top for the matching rules)::

    levels:   {emergency: str, urgent: str, doctor: str, self_care: str}
    language: {negation_window, negation_cues, cue_exceptions, scope_breaks,
               post_negation, other_people, first_person, duration_context}
    vocab:    {name: regex}          # inserted into patterns as {{name}}
    rules:
      - id, level, description, message, action?, sources: [n, ...],
        patterns: [regex | [regex, ...]], requires: [[regex, ...]], unless: [regex],
        age_over?, age_under?, min_days?, personal?

``careplan.yaml``::

    see_doctor_after_days, doctor_within_days, horizon_days, checkin_days: [int],
    headline, emergency_note, checkin_text, see_doctor_text,
    age_notes: [{id, min_age, max_age, text, see_doctor_within_days?}],
    phases: [{id, title, start_day, end_day, focus, do, expect, escalate, sources}]

Both loaders resolve source numbers to ``Source`` objects and report every
problem as ``PackValidationError`` naming the file, the rule or phase id and
the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backcare.errors import PackValidationError
from backcare.knowledge._yaml import describe_validation_error, read_yaml
from backcare.model import (
    AgeNote,
    CarePhase,
    CarePlanTable,
    RedFlagRule,
    RedFlagRules,
    Source,
    TriageLanguage,
)

__all__ = ["load_careplan", "load_red_flags"]

_VOCAB_REF = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")


def load_red_flags(path: Path, sources: Mapping[int, Source]) -> RedFlagRules:
    """Read and validate the red-flag rules in ``path``.

    Args:
        path: the ``red_flags.yaml`` file.
        sources: the pack's numbered sources, which rules cite by number.

    Returns:
        The rules, with ``{{name}}`` vocabulary expanded and sources resolved.

    Raises:
        KnowledgePackError: the file is missing or unreadable.
        PackValidationError: invalid YAML, or a rule, field or regex is invalid.
    """
    data = _top_mapping(read_yaml(path), path)
    vocab = data.get("vocab") or {}
    if not isinstance(vocab, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in vocab.items()
    ):
        raise PackValidationError(f"{path}: 'vocab' must map names to regex strings")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise PackValidationError(f"{path}: expected a non-empty 'rules:' list")
    try:
        language = TriageLanguage.model_validate(data.get("language"))
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "language", exc)) from exc

    rules = []
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            raise PackValidationError(f"{path}: rule #{index + 1} is not a mapping")
        rule_id = str(raw.get("id", f"rule #{index + 1}"))
        item = dict(raw)
        for field in ("patterns", "requires"):
            item[field] = _pattern_groups(item.get(field), vocab, path, rule_id, field)
        item["unless"] = tuple(
            _expand(pattern, vocab, path, rule_id, "unless")
            for pattern in _string_list(item.get("unless"), path, rule_id, "unless")
        )
        item["sources"] = _resolve_sources(item.get("sources"), sources, path, rule_id)
        try:
            rules.append(RedFlagRule.model_validate(item))
        except ValidationError as exc:
            raise PackValidationError(
                describe_validation_error(path, f"rule '{rule_id}'", exc)
            ) from exc
    try:
        return RedFlagRules(levels=data.get("levels") or {}, language=language, rules=tuple(rules))
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "red-flag table", exc)) from exc


def load_careplan(path: Path, sources: Mapping[int, Source]) -> CarePlanTable:
    """Read and validate the care timeline in ``path``.

    Args:
        path: the ``careplan.yaml`` file.
        sources: the pack's numbered sources, which phases cite by number.

    Returns:
        The care-plan table (phases in order, check-in days, texts).

    Raises:
        KnowledgePackError: the file is missing or unreadable.
        PackValidationError: invalid YAML, or a phase or field is invalid.
    """
    data = _top_mapping(read_yaml(path), path)
    raw_phases = data.get("phases")
    if not isinstance(raw_phases, list) or not raw_phases:
        raise PackValidationError(f"{path}: expected a non-empty 'phases:' list")
    phases = []
    for index, raw in enumerate(raw_phases):
        if not isinstance(raw, dict):
            raise PackValidationError(f"{path}: phase #{index + 1} is not a mapping")
        phase_id = str(raw.get("id", f"phase #{index + 1}"))
        item = dict(raw, sources=_resolve_sources(raw.get("sources"), sources, path, phase_id))
        try:
            phases.append(CarePhase.model_validate(item))
        except ValidationError as exc:
            raise PackValidationError(
                describe_validation_error(path, f"phase '{phase_id}'", exc)
            ) from exc
    notes = []
    for index, raw in enumerate(data.get("age_notes") or []):
        note_id = str(raw.get("id", f"age note #{index + 1}")) if isinstance(raw, dict) else "?"
        try:
            notes.append(AgeNote.model_validate(raw))
        except ValidationError as exc:
            raise PackValidationError(
                describe_validation_error(path, f"age note '{note_id}'", exc)
            ) from exc
    table = {key: value for key, value in data.items() if key not in ("phases", "age_notes")}
    try:
        return CarePlanTable.model_validate(
            dict(table, phases=tuple(phases), age_notes=tuple(notes))
        )
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "care-plan table", exc)) from exc


def _top_mapping(data: object, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PackValidationError(f"{path}: expected a mapping at the top level")
    return data


def _string_list(value: object, path: Path, item_id: str, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return value
    raise PackValidationError(
        f"{path}: rule '{item_id}': field '{field}' must be a regex or a list of regexes"
    )


def _pattern_groups(
    value: object, vocab: Mapping[str, str], path: Path, rule_id: str, field: str
) -> tuple[tuple[str, ...], ...]:
    """``[regex | [regex, ...]]`` as a tuple of groups, vocabulary expanded."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise PackValidationError(f"{path}: rule '{rule_id}': field '{field}' must be a list")
    return tuple(
        tuple(
            _expand(pattern, vocab, path, rule_id, field)
            for pattern in _string_list(group, path, rule_id, field)
        )
        for group in value
    )


def _expand(pattern: str, vocab: Mapping[str, str], path: Path, rule_id: str, field: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in vocab:
            known = ", ".join(sorted(vocab)) or "none"
            raise PackValidationError(
                f"{path}: rule '{rule_id}': field '{field}': unknown vocab '{{{{{name}}}}}' "
                f"(known: {known})"
            )
        return f"(?:{vocab[name]})"

    expanded = _VOCAB_REF.sub(replace, pattern)
    try:
        re.compile(expanded)
    except re.error as exc:
        raise PackValidationError(
            f"{path}: rule '{rule_id}': field '{field}': bad regex {pattern!r}: {exc}"
        ) from exc
    return expanded


def _resolve_sources(
    value: object, sources: Mapping[int, Source], path: Path, item_id: str
) -> tuple[Source, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(number, int) and not isinstance(number, bool) for number in value
    ):
        raise PackValidationError(
            f"{path}: '{item_id}': field 'sources' must be a list of source numbers"
        )
    unknown = [number for number in value if number not in sources]
    if unknown:
        raise PackValidationError(
            f"{path}: '{item_id}': field 'sources': unknown source number(s) "
            f"{', '.join(map(str, unknown))}; add them to sources.yaml"
        )
    return tuple(sources[number] for number in value)
