"""Running a query set through ``Backcare.ask``, or a triage set through any triage function."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from backcare.errors import ConfigError
from backcare.evaluate.cases import EvalCase, case_kind
from backcare.evaluate.report import EvalReport
from backcare.evaluate.score import score
from backcare.evaluate.triage import score_levels
from backcare.model import Reply, TriageResult

if TYPE_CHECKING:  # the facade pulls in retrieval; `import backcare` loads this module
    from backcare.service import Backcare

__all__ = ["evaluate", "evaluate_triage", "percentile"]


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``values`` (nearest rank), in milliseconds to 3 places."""
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
    kinds = list(dict.fromkeys(case_kind(case) for case in cases))
    report = EvalReport(name=name, kind="+".join(kinds) or "empty", n=len(cases))
    if not cases:
        return report
    replies: list[Reply] = []
    timings: list[float] = []
    for case in cases:
        start = clock()
        replies.append(backcare.ask(case.q, top_k=3))
        timings.append((clock() - start) * 1000)
    report.latency_ms = {"p50": percentile(timings, 50), "p95": percentile(timings, 95)}
    score(report, cases, replies, kinds)
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
    report.latency_ms = {"p50": percentile(timings, 50), "p95": percentile(timings, 95)}
    score_levels(report, cases, [result.level for result in results])
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
        kinds = list(dict.fromkeys(case_kind(case) for case in subset))
        sub = EvalReport(name=f"{report.name}[{code}]", kind="+".join(kinds), n=len(subset))
        times = [timings[i] for i in chosen]
        sub.latency_ms = {"p50": percentile(times, 50), "p95": percentile(times, 95)}
        score(sub, subset, answers, kinds)
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
