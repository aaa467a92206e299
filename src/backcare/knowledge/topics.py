"""Load the tables of the two triage layers beyond the rules (docs/triage.md).

``triage_topics.yaml`` (the safety net)::

    reassured: [regex]            # a piece matching one is clearly denied
    answered_no: regex            # just after a piece: "numbness? no"
    topics:
      - id, question, message, about: [regex], needs: [regex], unless: [regex],
        covered_by: [rule id]

``red_flag_examples.yaml`` (the semantic detector)::

    positive: {rule id: [example phrasing, ...]}
    negative: [denials and harmless look-alikes]

``triage_semantic.yaml`` (written by tuning/fit_triage_semantic.py)::

    model_id: str
    rules: {rule id: {threshold, margin}}

Regexes run over triage-normalised text, as in ``red_flags.yaml``. Every
rule id named must be a rule of the English table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from backcare.errors import PackValidationError
from backcare.knowledge._yaml import describe_validation_error, read_yaml
from backcare.model import RedFlagRules, SemanticExamples, SemanticParams, TriageTopics

__all__ = ["load_semantic_examples", "load_semantic_params", "load_triage_topics"]


def load_triage_topics(path: Path, rules: RedFlagRules) -> TriageTopics:
    """Read and validate the safety net's topics in ``path``.

    Raises:
        KnowledgePackError: the file is missing or unreadable.
        PackValidationError: invalid YAML, a bad regex, a missing or unknown
            topic, or a ``covered_by`` id that is not a rule.
    """
    data = read_yaml(path)
    try:
        table = TriageTopics.model_validate(data)
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "triage topics", exc)) from exc
    for topic in table.topics:
        _check_ids(path, f"topic '{topic.id}': field 'covered_by'", topic.covered_by, rules)
    return table


def load_semantic_examples(path: Path, rules: RedFlagRules) -> SemanticExamples:
    """Read and validate the example phrasings in ``path``.

    Raises:
        KnowledgePackError: the file is missing or unreadable.
        PackValidationError: invalid YAML, an empty list, or an unknown rule id.
    """
    try:
        examples = SemanticExamples.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "examples", exc)) from exc
    _check_ids(path, "field 'positive'", examples.positive, rules)
    return examples


def load_semantic_params(path: Path, examples: SemanticExamples) -> SemanticParams:
    """Read the fitted thresholds in ``path``; every rule with examples needs one.

    Raises:
        KnowledgePackError: the file is missing or unreadable.
        PackValidationError: invalid YAML or a rule without fitted values.
    """
    try:
        params = SemanticParams.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise PackValidationError(describe_validation_error(path, "semantic params", exc)) from exc
    missing = sorted(set(examples.positive) - set(params.rules))
    if missing:
        raise PackValidationError(
            f"{path}: no fitted threshold for {', '.join(missing)}; "
            "run tuning/fit_triage_semantic.py"
        )
    return params


def _check_ids(path: Path, where: str, ids: Iterable[str], rules: RedFlagRules) -> None:
    known = {rule.id for rule in rules.rules}
    unknown = sorted(set(ids) - known)
    if unknown:
        raise PackValidationError(
            f"{path}: {where}: unknown rule id(s) {', '.join(unknown)}; "
            "use the ids of red_flags.yaml"
        )
