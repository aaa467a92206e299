"""The figures measured over one query set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvalReport"]


@dataclass
class EvalReport:
    """Everything measured over one query set."""

    name: str
    kind: str
    n: int = 0
    top1: float | None = None
    top3: float | None = None
    answered_correct: float | None = None
    abstention_rate: float | None = None
    triage_at_least: float | None = None
    under_triaged_emergencies: int | None = None
    over_triaged_self_care: int | None = None
    confusion: dict[str, dict[str, int]] | None = None
    # Triage beyond "at least": the exact level, under-triage of any level,
    # over-triage of self-care lines as a share, and both directions per kind.
    triage_n: int | None = None
    triage_exact: float | None = None
    emergencies: int | None = None
    under_triaged: int | None = None
    under_triage_rate: float | None = None
    under_triaged_by_level: dict[str, int] | None = None
    self_care_n: int | None = None
    over_triaged_self_care_share: float | None = None
    over_triaged: int | None = None
    over_triage_rate: float | None = None
    triage_by_kind: dict[str, dict[str, float | int]] | None = None
    over_triaged_lines: list[dict[str, Any]] | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    lang_detected: float | None = None
    by_lang: dict[str, EvalReport] | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict without empty fields."""
        out = {key: value for key, value in self.__dict__.items() if value is not None}
        if self.by_lang is not None:
            out["by_lang"] = {code: report.as_dict() for code, report in self.by_lang.items()}
        return out
