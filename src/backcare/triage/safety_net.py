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
from backcare.triage._memo import IdentityMemo
from backcare.triage._negation import Normalised, ScopeReader
from backcare.triage._slips import TOKEN, SlipTolerant

__all__ = ["SafetyNetHit", "safety_net", "topic_line"]

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
    about_words: SlipTolerant
    needs: re.Pattern[str] | None
    needs_words: SlipTolerant
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class _Table:
    topics: tuple[_Topic, ...]
    reassured: re.Pattern[str] | None
    answered_no: re.Pattern[str]


_TABLES: IdentityMemo[_Table] = IdentityMemo(8)


def topic_line(topic: TriageTopic) -> str:
    """The reply's line for ``check_<topic>``: what it means, then the question that settles it.

    One function, so the first reply and the one rebuilt after answers
    (``backcare.triage.interview``) word it identically.
    """
    return f"{topic.message} Question: {topic.question}"


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
    settled = {flag.id for flag in fired if flag.level.rank >= TriageLevel.URGENT.rank}
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
    if not _live_match(item.about, item.about_words, scope, text, start, end):
        return False
    if item.needs is None and not item.topic.needs_words:
        return True
    return _live_match(item.needs, item.needs_words, scope, text, start, end)


def _live_match(
    pattern: re.Pattern[str] | None,
    words: SlipTolerant,
    scope: ScopeReader,
    text: str,
    start: int,
    end: int,
) -> bool:
    """Whether ``pattern`` or one of ``words`` is in ``text[start:end]``, undenied, the writer's."""
    found = [] if pattern is None else [m.span() for m in pattern.finditer(text, start, end)]
    found += [m.span() for m in TOKEN.finditer(text, start, end) if words.knows(m.group())]
    for match_start, match_end in found:
        if scope.is_negated(text, match_start, match_end):
            continue
        if scope.is_about_someone_else(text, match_start):
            continue
        if scope.is_long_over(text, match_start, match_end):
            continue
        return True
    return False


def _evidence(normalised: Normalised, start: int, end: int) -> str:
    words = normalised.source_span(start, end)
    if len(words) <= _MAX_EVIDENCE:
        return words
    return words[: _MAX_EVIDENCE - 3].rstrip() + "..."


def _compiled(table: TriageTopics) -> _Table:
    return _TABLES.get(table, make=lambda: _compile(table))


def _compile(table: TriageTopics) -> _Table:
    return _Table(
        topics=tuple(
            _Topic(
                topic=topic,
                about=_union(topic.about) or re.compile(r"(?!)"),
                # With a second word required, a short word may lose a letter too.
                about_words=SlipTolerant(
                    topic.about_words, missing_from=4 if topic.needs or topic.needs_words else 6
                ),
                needs=_union(topic.needs),
                # Looked for only in a clause already about the topic.
                needs_words=SlipTolerant(topic.needs_words, missing_from=4),
                unless=_union(topic.unless),
            )
            for topic in table.topics
        ),
        reassured=_union(table.reassured),
        answered_no=re.compile(table.answered_no.removeprefix("^")),
    )


def _union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
