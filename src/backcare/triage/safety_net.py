"""The safety net: a clause about a red-flag topic that nothing settled is at least urgent.

Rules and the semantic detector recognise the ways people describe an
emergency that someone thought of. The net catches the rest coarsely: a
clause about bladder or bowel function, feeling around the saddle, leg
strength, the chest, a fever or an injury, not clearly denied, raises
``check_<topic>`` at ``urgent`` with the clause as evidence, and the reply
asks the question that would settle it. The topics are data
(``content/triage_topics.yaml``).

A clause that states a present loss of function on a topic that has
``escalate`` wording ("my bladder just lets go", "can't feel my bum"),
undenied, not long over and not a question, raises the
topic's ``escalate_to`` rule at that rule's level instead: a check would
leave a plain cauda equina symptom at urgent. A clause that asks about a
topic in general (``hypothetical``: "can a spasm cause bladder problems")
raises nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from backcare.model import TriageFlag, TriageLevel, TriageTopic, TriageTopics
from backcare.triage._clauses import clauses
from backcare.triage._memo import IdentityMemo
from backcare.triage._negation import (
    Normalised,
    ScopeReader,
    sentence_reassured,
    sentence_stop,
)
from backcare.triage._slips import TOKEN, SlipTolerant

__all__ = ["SafetyNetHit", "safety_net", "topic_line"]

_MAX_EVIDENCE = 160
_NO_WORDS = SlipTolerant(())
_BARE = 2  # words in a clause that is only a list item


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
    escalate: re.Pattern[str] | None


@dataclass(frozen=True)
class _Table:
    topics: tuple[_Topic, ...]
    reassured: re.Pattern[str] | None
    hypothetical: re.Pattern[str] | None
    answered_no: re.Pattern[str]


# A clause that asks rather than tells: its question mark, or a question opener.
_QUESTION_MARK = re.compile(r"\s*\?")
_QUESTION_OPENER = re.compile(
    r"\s*(?:is|are|am|was|were|can|could|should|would|will|do|does|did|what|why|how|when|"
    r"which|who)\b"
)


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
    levels: Mapping[str, TriageLevel] | None = None,
) -> list[SafetyNetHit]:
    """The topics ``normalised`` touches without settling them.

    Args:
        normalised: the message, triage-normalised.
        table: the pack's topics.
        scope: negation and long-ago checks (the English table's).
        fired: flags the earlier layers raised; a topic whose ``covered_by``
            rule fired at urgent or above is settled.
        levels: rule id to level; a topic's ``escalate_to`` rule can be
            raised only when its level is known here (None: never escalate).

    Returns:
        One hit per topic, in table order: the first clause that states a
        present loss of function (flag ``escalate_to``), else the first clause
        that raised the topic (flag ``check_<topic>``).
    """
    compiled = _compiled(table)
    settled = {flag.id for flag in fired if flag.level.rank >= TriageLevel.URGENT.rank}
    text = normalised.text
    spans = [
        (start, end)
        for start, end in clauses(text)
        if compiled.hypothetical is None or not compiled.hypothetical.search(text, start, end)
    ]
    hits: list[SafetyNetHit] = []
    for item in compiled.topics:
        if settled.intersection(item.topic.covered_by):
            continue
        raised = [span for span in spans if _raises(item, compiled, scope, text, *span)]
        if not raised:
            continue
        rule_id = item.topic.escalate_to
        level = (levels or {}).get(rule_id or "")
        stated = next((span for span in raised if _states_loss(item, scope, text, *span)), None)
        if rule_id is not None and level is not None and stated is not None:
            flag = TriageFlag(
                id=rule_id, level=level, evidence=_evidence(normalised, *stated), layer="safety_net"
            )
            settled.add(rule_id)
        else:
            flag = TriageFlag(
                id=f"check_{item.topic.id}",
                level=TriageLevel.URGENT,
                evidence=_evidence(normalised, *raised[0]),
                layer="safety_net",
            )
        hits.append(SafetyNetHit(item.topic, flag))
    return hits


def _states_loss(item: _Topic, scope: ScopeReader, text: str, start: int, end: int) -> bool:
    """Whether a clause that raised ``item`` tells of a present loss of function."""
    if item.escalate is None or _is_question(text, start, end):
        return False
    return _live_match(item.escalate, _NO_WORDS, scope, text, start, end)


def _is_question(text: str, start: int, end: int) -> bool:
    return bool(_QUESTION_MARK.match(text, end) or _QUESTION_OPENER.match(text, start))


def _raises(
    item: _Topic, table: _Table, scope: ScopeReader, text: str, start: int, end: int
) -> bool:
    piece = text[start:end]
    if item.unless is not None and item.unless.search(piece):
        return False
    if table.reassured is not None and _reassures(table.reassured, scope, text, start, end):
        return False
    if table.reassured is not None and len(TOKEN.findall(piece)) <= _BARE:
        # A bare item of a list, "Bladder, bowels and legs all normal": the
        # reassurance closing the sentence covers it.
        # A slice, not search(text, end): the translated nets' reassurances
        # open with "^(?!...negation...)", and "^" never matches at an offset.
        if table.reassured.search(text[end : sentence_stop(text, end)]):
            return False
    if sentence_reassured(scope, text, start, end):
        return False
    if table.answered_no.match(text, end):
        return False
    if not _live_match(item.about, item.about_words, scope, text, start, end):
        return False
    if item.needs is None and not item.topic.needs_words:
        return True
    return _live_match(item.needs, item.needs_words, scope, text, start, end)


def _reassures(
    pattern: re.Pattern[str], scope: ScopeReader, text: str, start: int, end: int
) -> bool:
    """Whether a reassurance cue in ``text[start:end]`` is not itself denied (round 7).

    "my bladder is working as usual" is settled; "my bladder is not working
    as usual" reports a change in the same words.
    """
    # On a slice: the translated nets' reassurances open with "^(?!...)", and
    # "^" never matches at an offset.
    return any(
        not scope.is_negated(text, start + match.start(), start + match.end())
        for match in pattern.finditer(text[start:end])
    )


def _live_match(
    pattern: re.Pattern[str] | None,
    words: SlipTolerant,
    scope: ScopeReader,
    text: str,
    start: int,
    end: int,
) -> bool:
    """Whether ``pattern`` or one of ``words`` is in ``text[start:end]``, undenied and current.

    Someone else's symptom counts (round 4): every topic is an acute symptom
    or event, and an acute symptom reported for someone else is theirs to act
    on ("my grandad can't feel when he needs the loo").
    """
    found = [] if pattern is None else [m.span() for m in pattern.finditer(text, start, end)]
    found += [m.span() for m in TOKEN.finditer(text, start, end) if words.knows(m.group())]
    for match_start, match_end in found:
        if scope.is_negated(text, match_start, match_end):
            continue
        if scope.is_long_over(text, match_start, match_end):
            continue
        # Round 9: another person's event set against the writer's own lesser case.
        if scope.is_others_set_against_own(text, match_start, match_end):
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
                escalate=_union(topic.escalate),
            )
            for topic in table.topics
        ),
        reassured=_union(table.reassured),
        hypothetical=_union(table.hypothetical),
        answered_no=re.compile(table.answered_no.removeprefix("^")),
    )


def _union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
