"""Triage figures: the expected level against the level reached, line by line."""

from __future__ import annotations

from typing import Any

from backcare.evaluate.cases import LEVELS, EvalCase
from backcare.evaluate.report import EvalReport
from backcare.model import TriageLevel

__all__ = ["score_levels"]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score_levels(report: EvalReport, cases: list[EvalCase], got: list[TriageLevel]) -> None:
    """Fill every triage figure of ``report`` from the expected and reached levels."""
    confusion = {expected: dict.fromkeys(LEVELS, 0) for expected in LEVELS}
    under_by_level = dict.fromkeys(LEVELS, 0)
    by_kind: dict[str, list[int]] = {}  # kind -> [n, exact, under, over]
    at_least = exact = under = over = 0
    over_lines: list[dict[str, Any]] = []
    for case, level in zip(cases, got, strict=True):
        expected = TriageLevel(case.level or "self_care")
        confusion[expected.value][level.value] += 1
        hit = level == expected
        low = level.rank < expected.rank
        high = level.rank > expected.rank
        exact += hit
        under += low
        over += high
        under_by_level[expected.value] += low
        if case.tag is not None:
            counts = by_kind.setdefault(case.tag, [0, 0, 0, 0])
            for i, value in enumerate((1, hit, low, high)):
                counts[i] += value
        if low:
            report.failures.append({"q": case.q, "expected": expected.value, "got": level.value})
        else:
            at_least += 1
        if high:
            over_lines.append({"q": case.q, "expected": expected.value, "got": level.value})
    n = len(cases)
    self_care = confusion[TriageLevel.SELF_CARE.value]
    self_care_n = sum(self_care.values())
    report.confusion = confusion
    report.triage_at_least = round(at_least / n, 4)
    report.under_triaged_emergencies = under_by_level[TriageLevel.EMERGENCY.value]
    report.over_triaged_self_care = self_care_n - self_care[TriageLevel.SELF_CARE.value]
    report.triage_n = n
    report.triage_exact = round(exact / n, 4)
    report.emergencies = sum(confusion[TriageLevel.EMERGENCY.value].values())
    report.under_triaged = under
    report.under_triage_rate = round(under / n, 4)
    report.under_triaged_by_level = under_by_level
    report.self_care_n = self_care_n
    report.over_triaged_self_care_share = _rate(report.over_triaged_self_care, self_care_n)
    report.over_triaged = over
    report.over_triage_rate = round(over / n, 4)
    report.over_triaged_lines = over_lines
    if by_kind:
        report.triage_by_kind = {
            kind: {
                "n": k_n,
                "exact": round(k_exact / k_n, 4),
                "under": k_under,
                "over": k_over,
            }
            for kind, (k_n, k_exact, k_under, k_over) in sorted(by_kind.items())
        }
