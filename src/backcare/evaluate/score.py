"""Scoring replies: retrieval rankings, abstention off topic, and triage levels.

A set may mix kinds; ``score`` scores each kind over its own lines only.
"""

from __future__ import annotations

from backcare.evaluate.cases import EvalCase, case_kind
from backcare.evaluate.report import EvalReport
from backcare.evaluate.triage import score_levels
from backcare.model import Reply

__all__ = ["score"]


def score(
    report: EvalReport, cases: list[EvalCase], replies: list[Reply], kinds: list[str]
) -> None:
    """Fill ``report``'s figures for each kind in ``kinds``, over that kind's lines."""
    # A set may mix kinds (in-scope and off-topic lines together): each kind
    # is scored over its own lines only.
    for kind in kinds:
        chosen = [i for i, case in enumerate(cases) if case_kind(case) == kind]
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
    score_levels(report, cases, [reply.triage.level for reply in replies])
