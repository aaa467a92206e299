"""Query sets: one JSONL line per case, and which kind of case each line is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from backcare.errors import ConfigError
from backcare.model import TriageLevel

__all__ = ["LEVELS", "EvalCase", "case_kind", "read_cases"]

LEVELS = [level.value for level in TriageLevel]


@dataclass(frozen=True)
class EvalCase:
    """One line of a query set."""

    q: str
    ok: tuple[str, ...] = ()
    level: str | None = None
    lang: str | None = None
    tag: str | None = None  # the line's "kind": lay, negated, other_person, ...


def read_cases(path: Path) -> list[EvalCase]:
    """Read a JSONL query set; a bad line is an error naming the file and line."""
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read query set ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            lang = row.get("lang")
            cases.append(
                EvalCase(
                    q=str(row["q"]),
                    ok=tuple(row.get("ok", ())),
                    level=row.get("level"),
                    lang=None if lang is None else str(lang),
                    tag=None if row.get("kind") is None else str(row["kind"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a query line ({exc})") from exc
        if cases[-1].level is not None and cases[-1].level not in LEVELS:
            raise ConfigError(f"{path}:{number}: unknown level {cases[-1].level!r}; use {LEVELS}")
    return cases


def case_kind(case: EvalCase) -> str:
    """What a line tests: ``retrieval`` (``ok``), ``triage`` (``level``), else ``out_of_scope``."""
    if case.ok:
        return "retrieval"
    if case.level:
        return "triage"
    return "out_of_scope"
