"""Score query sets through the same code path as ``ask``.

A set is JSONL; each line's keys say what it tests (a set may mix kinds,
and each kind is scored over its own lines):

- ``{"q", "ok": [ids]}`` retrieval: the top entry (answered or not) is one of ``ok``;
- ``{"q", "level"}`` triage: ``level`` is the exact level expected. Scored as
  "at least ``level``" (the first measure) and as the exact level, with the
  4x4 confusion matrix (expected x got), under-triage (emergencies, and any
  level) and over-triage (self-care lines, and any level);
- ``{"q"}`` alone: out of scope, the reply must abstain.

A line may add ``"kind"`` (what it exercises: ``lay``, ``negated``, ...): the
triage figures are then also given per kind (``triage_by_kind``).

Any line may add ``"lang"`` (ISO 639-1, the language it is written in): the
report then also scores each language on its own (``by_lang``), with how often
language identification named that language (``lang_detected``).

The evaluator used by ``backcare eval`` and by the benchmarks;
``evaluate_triage`` scores a triage-only set through any triage function,
without a knowledge base or retrieval.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backcare.errors import ConfigError
from backcare.model import Reply, TriageLevel, TriageResult

if TYPE_CHECKING:  # the facade pulls in retrieval; `import backcare` loads this module
    from backcare.service import Backcare

__all__ = ["EvalCase", "EvalReport", "evaluate", "evaluate_triage", "read_cases"]

LEVELS = [level.value for level in TriageLevel]


@dataclass(frozen=True)
class EvalCase:
    """One line of a query set."""

    q: str
    ok: tuple[str, ...] = ()
    level: str | None = None
    lang: str | None = None
    tag: str | None = None  # the line's "kind": lay, negated, other_person, ...


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


def _case_kind(case: EvalCase) -> str:
    if case.ok:
        return "retrieval"
    if case.level:
        return "triage"
    return "out_of_scope"


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return round(ordered[index], 3)


def evaluate(
    backcare: Backcare,
    cases: Iterable[EvalCase],
    *,
    name: str = "set",
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    """Run every case through ``backcare.ask`` and score the set."""
    cases = list(cases)
    kinds = list(dict.fromkeys(_case_kind(case) for case in cases))
    report = EvalReport(name=name, kind="+".join(kinds) or "empty", n=len(cases))
    if not cases:
        return report
    replies: list[Reply] = []
    timings: list[float] = []
    for case in cases:
        start = clock()
        replies.append(backcare.ask(case.q, top_k=3))
        timings.append((clock() - start) * 1000)
    report.latency_ms = {"p50": _percentile(timings, 50), "p95": _percentile(timings, 95)}
    _score(report, cases, replies, kinds)
    if any(case.lang for case in cases):
        _score_languages(report, cases, replies, timings)
    return report


def evaluate_triage(
    triage: Callable[[str], TriageResult],
    cases: Iterable[EvalCase],
    *,
    name: str = "set",
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    """Score a triage-only set through ``triage`` (e.g. ``Backcare.triage``), no retrieval.

    Every case must carry a ``level``; the report holds the same triage
    figures as ``evaluate`` and the latency of ``triage`` alone.

    Raises:
        ConfigError: a case has no ``level`` (it is not a triage line).
    """
    cases = list(cases)
    untagged = [case.q for case in cases if not case.level]
    if untagged:
        raise ConfigError(
            f"{name}: {len(untagged)} lines have no level (first: {untagged[0][:60]!r}); "
            "a triage-only run needs {q, level} lines"
        )
    report = EvalReport(name=name, kind="triage" if cases else "empty", n=len(cases))
    if not cases:
        return report
    results: list[TriageResult] = []
    timings: list[float] = []
    for case in cases:
        start = clock()
        results.append(triage(case.q))
        timings.append((clock() - start) * 1000)
    report.latency_ms = {"p50": _percentile(timings, 50), "p95": _percentile(timings, 95)}
    _score_levels(report, cases, [result.level for result in results])
    return report


def _score_languages(
    report: EvalReport, cases: list[EvalCase], replies: list[Reply], timings: list[float]
) -> None:
    """Score each language's lines on their own, into ``report.by_lang``."""
    report.by_lang = {}
    for code in dict.fromkeys(case.lang for case in cases if case.lang):
        chosen = [i for i, case in enumerate(cases) if case.lang == code]
        subset = [cases[i] for i in chosen]
        answers = [replies[i] for i in chosen]
        kinds = list(dict.fromkeys(_case_kind(case) for case in subset))
        sub = EvalReport(name=f"{report.name}[{code}]", kind="+".join(kinds), n=len(subset))
        times = [timings[i] for i in chosen]
        sub.latency_ms = {"p50": _percentile(times, 50), "p95": _percentile(times, 95)}
        _score(sub, subset, answers, kinds)
        sub.lang_detected = _detected(subset, answers)
        report.by_lang[code] = sub
    labelled = [i for i, case in enumerate(cases) if case.lang]
    report.lang_detected = _detected([cases[i] for i in labelled], [replies[i] for i in labelled])


def _detected(cases: list[EvalCase], replies: list[Reply]) -> float:
    hits = sum(
        reply.language is not None and reply.language.code == case.lang
        for case, reply in zip(cases, replies, strict=True)
    )
    return round(hits / len(cases), 4)


def _score(
    report: EvalReport, cases: list[EvalCase], replies: list[Reply], kinds: list[str]
) -> None:
    # A set may mix kinds (in-scope and off-topic lines together): each kind
    # is scored over its own lines only.
    for kind in kinds:
        chosen = [i for i, case in enumerate(cases) if _case_kind(case) == kind]
        subset = [cases[i] for i in chosen]
        answers = [replies[i] for i in chosen]
        if kind == "retrieval":
            _score_retrieval(report, subset, answers)
        elif kind == "out_of_scope":
            _score_abstention(report, subset, answers)
        else:
            _score_triage(report, subset, answers)


def _score_abstention(report: EvalReport, cases: list[EvalCase], replies: list[Reply]) -> None:
    abstained = [reply.status == "abstained" for reply in replies]
    report.abstention_rate = round(sum(abstained) / len(cases), 4)
    report.failures += [
        {"q": case.q, "answered": reply.answer.entry_id if reply.answer else None}
        for case, reply, ok in zip(cases, replies, abstained, strict=True)
        if not ok
    ]


def _ranking(reply: Reply) -> list[str]:
    head = [reply.answer.entry_id] if reply.answer else []
    return head + [alt.entry_id for alt in reply.alternatives]


def _score_retrieval(report: EvalReport, cases: list[EvalCase], replies: list[Reply]) -> None:
    top1 = top3 = answered_ok = 0
    for case, reply in zip(cases, replies, strict=True):
        ranking = _ranking(reply)
        hit1 = bool(ranking) and ranking[0] in case.ok
        top1 += hit1
        top3 += any(entry_id in case.ok for entry_id in ranking[:3])
        answered_ok += hit1 and reply.status == "answered"
        if not hit1 or reply.status != "answered":
            report.failures.append(
                {"q": case.q, "ok": list(case.ok), "got": ranking[:3], "status": reply.status}
            )
    report.top1 = round(top1 / len(cases), 4)
    report.top3 = round(top3 / len(cases), 4)
    report.answered_correct = round(answered_ok / len(cases), 4)


def _score_triage(report: EvalReport, cases: list[EvalCase], replies: list[Reply]) -> None:
    _score_levels(report, cases, [reply.triage.level for reply in replies])


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _score_levels(report: EvalReport, cases: list[EvalCase], got: list[TriageLevel]) -> None:
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
