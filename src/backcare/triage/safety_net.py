"""The safety net: a clause about a red-flag topic that nothing settled is at least urgent.

Rules and the semantic detector recognise the ways people describe an
emergency that someone thought of. The net catches the rest coarsely: a
clause about bladder or bowel function, feeling around the saddle, leg
strength, the chest, a fever or an injury, not clearly denied, raises
``check_<topic>`` at ``urgent`` with the clause as evidence, and the reply
asks the question that would settle it. The topics are data
(``content/triage_topics.yaml``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from backcare.model import TriageFlag, TriageLevel, TriageTopic, TriageTopics
from backcare.triage._clauses import clauses
from backcare.triage._negation import Normalised, ScopeReader

__all__ = ["SafetyNetHit", "safety_net"]

_MAX_EVIDENCE = 160


@dataclass(frozen=True)
class SafetyNetHit:
    """A topic the net raised: its flag and the table entry (for the message)."""

    topic: TriageTopic
    flag: TriageFlag


@dataclass(frozen=True)
class _Topic:
    topic: TriageTopic
    about: re.Pattern[str]
    needs: re.Pattern[str] | None
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class _Table:
    topics: tuple[_Topic, ...]
    reassured: re.Pattern[str] | None
    answered_no: re.Pattern[str]


_CACHE: dict[int, tuple[TriageTopics, _Table]] = {}


def safety_net(
    normalised: Normalised,
    table: TriageTopics,
    scope: ScopeReader,
    fired: Iterable[TriageFlag],
) -> list[SafetyNetHit]:
    """The topics ``normalised`` touches without settling them.

    Args:
        normalised: the message, triage-normalised.
        table: the pack's topics.
        scope: negation and other-person checks (the English table's).
        fired: flags the earlier layers raised; a topic whose ``covered_by``
            rule fired at urgent or above is settled.

    Returns:
        One hit per topic, in table order, with the first clause that raised it.
    """
    compiled = _compiled(table)
    settled = {
        flag.id for flag in fired if flag.level.rank >= TriageLevel.URGENT.rank
    }
    text = normalised.text
    spans = clauses(text)
    hits: list[SafetyNetHit] = []
    for item in compiled.topics:
        if settled.intersection(item.topic.covered_by):
            continue
        for start, end in spans:
            if _raises(item, compiled, scope, text, start, end):
                flag = TriageFlag(
                    id=f"check_{item.topic.id}",
                    level=TriageLevel.URGENT,
                    evidence=_evidence(normalised, start, end),
                    layer="safety_net",
                )
                hits.append(SafetyNetHit(item.topic, flag))
                break
    return hits


def _raises(
    item: _Topic, table: _Table, scope: ScopeReader, text: str, start: int, end: int
) -> bool:
    piece = text[start:end]
    if item.unless is not None and item.unless.search(piece):
        return False
    if table.reassured is not None and table.reassured.search(piece):
        return False
    if table.answered_no.match(text, end):
        return False
    if not _live_match(item.about, scope, text, start, end):
        return False
    return item.needs is None or _live_match(item.needs, scope, text, start, end)


def _live_match(pattern: re.Pattern[str], scope: ScopeReader, text: str, start: int, end: int) -> bool:
    """Whether ``pattern`` matches in ``text[start:end]`` neither negated nor about someone else."""
    for match in pattern.finditer(text, start, end):
        if scope.is_negated(text, match.start(), match.end()):
            continue
        if scope.is_about_someone_else(text, match.start()):
            continue
        return True
    return False


def _evidence(normalised: Normalised, start: int, end: int) -> str:
    words = normalised.source_span(start, end)
    if len(words) <= _MAX_EVIDENCE:
        return words
    return words[: _MAX_EVIDENCE - 3].rstrip() + "..."


def _compiled(table: TriageTopics) -> _Table:
    cached = _CACHE.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    compiled = _Table(
        topics=tuple(
            _Topic(
                topic=topic,
                about=_union(topic.about) or re.compile(r"(?!)"),
                needs=_union(topic.needs),
                unless=_union(topic.unless),
            )
            for topic in table.topics
        ),
        reassured=_union(table.reassured),
        answered_no=re.compile(table.answered_no.removeprefix("^")),
    )
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(table)] = (table, compiled)
    return compiled


def _union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
