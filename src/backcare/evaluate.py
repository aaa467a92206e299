"""Score query sets through the same code path as ``ask``.

A set is JSONL; each line's keys say what it tests (a set may mix kinds,
and each kind is scored over its own lines):

- ``{"q", "ok": [ids]}`` retrieval: the top entry (answered or not) is one of ``ok``;
- ``{"q", "level"}`` triage: the level reached is at least ``level``;
- ``{"q"}`` alone: out of scope, the reply must abstain.

Any line may add ``"lang"`` (ISO 639-1, the language it is written in): the
report then also scores each language on its own (``by_lang``), with how often
language identification named that language (``lang_detected``).

The evaluator used by ``backcare eval`` and by the benchmarks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backcare.errors import ConfigError
from backcare.model import Reply, TriageLevel

if TYPE_CHECKING:  # the facade pulls in retrieval; `import backcare` loads this module
    from backcare.service import Backcare

__all__ = ["EvalCase", "EvalReport", "evaluate", "read_cases"]

LEVELS = [level.value for level in TriageLevel]


@dataclass(frozen=True)
class EvalCase:
    """One line of a query set."""

    q: str
    ok: tuple[str, ...] = ()
    level: str | None = None
    lang: str | None = None


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
    confusion = {expected: dict.fromkeys(LEVELS, 0) for expected in LEVELS}
    at_least = under = over = 0
    for case, reply in zip(cases, replies, strict=True):
        expected = TriageLevel(case.level or "self_care")
        got = reply.triage.level
        confusion[expected.value][got.value] += 1
        over += expected == TriageLevel.SELF_CARE and got != TriageLevel.SELF_CARE
        if got.rank >= expected.rank:
            at_least += 1
        else:
            under += expected == TriageLevel.EMERGENCY
            report.failures.append({"q": case.q, "expected": expected.value, "got": got.value})
    report.confusion = confusion
    report.triage_at_least = round(at_least / len(cases), 4)
    report.under_triaged_emergencies = under
    report.over_triaged_self_care = over
