"""The rule engine: text in, the most urgent level, every flag and what to do out.

Pure and deterministic: the rules are data (``content/red_flags.yaml``, loaded
into ``RedFlagRules``), matched with regexes over normalised text, with
negation scope, other-person and history checks, and ages and durations read
from digits or words. Each flag carries the person's own words that fired it.

Red flags predict serious disease poorly on their own (Verhagen 2016; Downie
2013): they are a reason to be examined, never a diagnosis, so the wording
says "can", not "you have".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from backcare.model import RedFlagRule, RedFlagRules, TriageFlag, TriageLevel, TriageResult
from backcare.triage._memo import IdentityMemo
from backcare.triage._negation import Normalised, ScopeReader, normalise
from backcare.triage._prefilter import necessary_literals
from backcare.triage._quantities import Quantity, find_ages, find_durations

__all__ = ["scope_reader", "triage"]

_EVIDENCE_JOIN = " ... "


@dataclass(frozen=True)
class _Matcher:
    """A compiled rule regex, with its leading ``\\b`` checked by hand.

    CPython's regex engine skips ahead on a pattern's possible first
    characters, but only when the pattern does not open with an assertion;
    dropping a leading word boundary and checking it per match makes triage
    about three times faster with identical results.
    """

    regex: re.Pattern[str]
    word_start: bool
    # Strings one of which every match contains (None: unknown); see _prefilter.
    literals: frozenset[str] | None

    def finditer(self, text: str) -> Iterator[tuple[int, int]]:
        pos = 0
        while (match := self.regex.search(text, pos)) is not None:
            start, end = match.span()
            if self.word_start and not _at_word_boundary(text, start):
                pos = start + 1
                continue
            yield start, end
            pos = end if end > start else start + 1


def _at_word_boundary(text: str, index: int) -> bool:
    before = index > 0 and _is_word_char(text[index - 1])
    after = index < len(text) and _is_word_char(text[index])
    return before != after


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class _CompiledRule:
    rule: RedFlagRule
    patterns: tuple[tuple[_Matcher, ...], ...]
    requires: tuple[tuple[_Matcher, ...], ...]
    unless: tuple[_Matcher, ...]


@dataclass(frozen=True)
class _Compiled:
    rules: tuple[_CompiledRule, ...]
    scope: ScopeReader
    levels: dict[TriageLevel, str]
    literals: tuple[str, ...]


# Compiled forms, one per (immutable) rules object.
_COMPILED: IdentityMemo[_Compiled] = IdentityMemo(8)


def triage(
    text: str,
    rules: RedFlagRules,
    *,
    others: ScopeReader | None = None,
    denied_by: ScopeReader | None = None,
) -> TriageResult:
    """Check ``text`` against every red-flag rule and say how fast to get help.

    Args:
        text: what the person wrote (any length; normalised here).
        rules: the pack's red-flag table (``KnowledgePack.red_flags``).
        others: a second language's reader whose "someone else" words also
            count for personal rules (English, for the other tables: "my
            husband has HIV" must not fire a table that only knows its own
            words for people).
        denied_by: a second language's reader whose denials also count for
            a rule's patterns (not its vetoes): the English table on a
            Portuguese message must not fire on "sem incontinência", a
            denial its own cues do not know.

    Returns:
        The most urgent level found (``self_care`` when none), one flag per
        rule that fired with the words that fired it, and the message: the
        level's action first (for an emergency, the call-999-or-A&E sentence),
        then any rule actions, then one line per flag.
    """
    compiled = _compiled(rules)
    reader = _Reader(normalise(text), compiled, others, denied_by)
    fired: list[tuple[RedFlagRule, str]] = []
    for item in compiled.rules:
        evidence = _fire(item, reader)
        if evidence is not None:
            fired.append((item.rule, evidence))
    # Most urgent first; the pack's rule order breaks ties.
    fired.sort(key=lambda pair: -pair[0].level.rank)
    level = TriageLevel.most_urgent([rule.level for rule, _ in fired])
    flags = tuple(TriageFlag(id=rule.id, level=rule.level, evidence=ev) for rule, ev in fired)
    return TriageResult(level=level, flags=flags, message=_message(level, fired, compiled))


def _message(level: TriageLevel, fired: list[tuple[RedFlagRule, str]], compiled: _Compiled) -> str:
    lines = [compiled.levels[level]]
    lines += [rule.action for rule, _ in fired if rule.action]
    lines += [f"- {rule.message}" for rule, _ in fired]
    return "\n".join(lines)


class _Reader:
    """One message, with its matches, ages and durations worked out once."""

    def __init__(
        self,
        normalised: Normalised,
        compiled: _Compiled,
        others: ScopeReader | None = None,
        denied_by: ScopeReader | None = None,
    ) -> None:
        self.normalised = normalised
        self.text = text = normalised.text
        self.scope = compiled.scope
        self.others = others
        self.denied_by = denied_by
        self.present = frozenset(literal for literal in compiled.literals if literal in text)
        self._ages: list[Quantity] | None = None
        self._durations: list[Quantity] | None = None

    def find(
        self, matcher: _Matcher, personal: bool, *, now: bool = True, veto: bool = False
    ) -> tuple[int, int] | None:
        """The first match that is neither negated nor (if ``personal``) about someone else.

        With ``now``, a match of a rule that is not personal must not sit in a
        clause placed years back ("my dad fell off a ladder last year").
        A ``veto`` ignores ``denied_by``: a veto dropped by a foreign denial
        would make its rule fire more, never less.
        """
        if matcher.literals is not None and matcher.literals.isdisjoint(self.present):
            return None
        for start, end in matcher.finditer(self.text):
            if start == end or self.scope.is_negated(self.text, start, end):
                continue
            if not veto and self._denied_abroad(start, end):
                continue
            if personal and self._someone_else(start):
                continue
            # Round 9: another person's event set against the writer's own lesser case.
            if not personal and self.scope.is_others_set_against_own(self.text, start, end):
                continue
            # A history (personal) counts however long ago; an event does not.
            if now and not personal and self.scope.is_long_over(self.text, start, end):
                continue
            if self.scope.is_hypothetical(self.text, start, end):
                continue
            return start, end
        return None

    def _denied_abroad(self, start: int, end: int) -> bool:
        return self.denied_by is not None and self.denied_by.is_negated(self.text, start, end)

    def _someone_else(self, start: int) -> bool:
        if self.scope.is_about_someone_else(self.text, start):
            return True
        return self.others is not None and self.others.is_about_someone_else(self.text, start)

    @property
    def ages(self) -> list[Quantity]:
        if self._ages is None:
            self._ages = [age for age in find_ages(self.text) if not self._someone_else(age.start)]
        return self._ages

    @property
    def durations(self) -> list[Quantity]:
        if self._durations is None:
            self._durations = [
                duration
                for duration in find_durations(self.text)
                # Not negation-checked: "no better after six weeks" is the classic case.
                if self.scope.has_duration_context(self.text, duration.start, duration.end)
            ]
        return self._durations

    def words(self, span: tuple[int, int]) -> str:
        return self.normalised.source_span(*span)


def _fire(item: _CompiledRule, reader: _Reader) -> str | None:
    """The evidence for ``item`` in the message, or None when it does not fire."""
    rule = item.rule
    spans = _trigger(item, reader)
    if spans is None:
        return None
    for group in item.requires:
        found = next(
            (span for rx in group if (span := reader.find(rx, rule.personal)) is not None), None
        )
        if found is None:
            return None
        spans.append(found)
    # A veto said anywhere counts, unless it is itself negated ("no better").
    if any(reader.find(rx, personal=False, now=False, veto=True) is not None for rx in item.unless):
        return None
    words: list[str] = []
    for span in sorted(set(spans)):
        said = reader.words(span)
        if said and said not in words:
            words.append(said)
    return _EVIDENCE_JOIN.join(words)


def _trigger(item: _CompiledRule, reader: _Reader) -> list[tuple[int, int]] | None:
    rule = item.rule
    for group in item.patterns:
        spans = []
        for rx in group:
            span = reader.find(rx, rule.personal)
            if span is None:
                break
            spans.append(span)
        else:
            return spans
    if rule.age_over is not None or rule.age_under is not None:
        for age in reader.ages[:1]:
            over = rule.age_over is not None and age.value > rule.age_over
            under = rule.age_under is not None and age.value < rule.age_under
            if over or under:
                return [(age.start, age.end)]
    if rule.min_days is not None:
        for duration in reader.durations:
            if duration.value >= rule.min_days:
                return [(duration.start, duration.end)]
    return None


def scope_reader(rules: RedFlagRules) -> ScopeReader:
    """The negation and other-person reader that ``rules`` are matched with."""
    return _compiled(rules).scope


def _compiled(rules: RedFlagRules) -> _Compiled:
    return _COMPILED.get(rules, make=lambda: _compile(rules))


def _compile(rules: RedFlagRules) -> _Compiled:
    compiled_rules = tuple(_compile_rule(rule) for rule in rules.rules)
    literals = {
        literal
        for item in compiled_rules
        for group in (*item.patterns, *item.requires, item.unless)
        for matcher in group
        for literal in matcher.literals or ()
    }
    return _Compiled(
        rules=compiled_rules,
        scope=ScopeReader(rules.language),
        levels=dict(rules.levels),
        literals=tuple(sorted(literals)),
    )


def _compile_rule(rule: RedFlagRule) -> _CompiledRule:
    def group(patterns: tuple[str, ...]) -> tuple[_Matcher, ...]:
        return tuple(_matcher(pattern) for pattern in patterns)

    return _CompiledRule(
        rule=rule,
        patterns=tuple(group(item) for item in rule.patterns),
        requires=tuple(group(item) for item in rule.requires),
        unless=group(rule.unless),
    )


def _matcher(pattern: str) -> _Matcher:
    """Compile ``pattern``, lifting out a word boundary that opens every alternative."""
    branches = _top_level_branches(pattern)
    if all(branch.startswith("\\b") for branch in branches):
        stripped = "|".join(branch[2:] for branch in branches)
        return _Matcher(re.compile(stripped), True, necessary_literals(pattern))
    return _Matcher(re.compile(pattern), False, necessary_literals(pattern))


def _top_level_branches(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|`` (outside groups and classes)."""
    branches, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    branches.append(pattern[start:])
    return branches
