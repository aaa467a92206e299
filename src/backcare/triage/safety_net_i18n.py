"""The safety net in the served languages: es, fr, de, pl, pt and ar.

The foreign rule tables and the cross-language layer recognise the ways of
describing a warning sign that someone wrote down or that read like an
example; fresh wording still slips past both (docs/languages.md). The net
needs far less: a clause naming the bladder, the bowels, the genitals or
saddle, weak legs, the chest, a fever or a fall, not denied in the message's
own language, raises ``check_<topic>`` at urgent, and the interview asks its
translated follow-up questions. A clause that states a present loss of
bladder, bowel or saddle function ("no puedo orinar", "nie czuję krocza"),
or a fall from a height or a road collision, raises the rule itself, as the
English net does; a language may also escalate the legs (weaker by the hour,
foot drop: ``leg_weakness``) and the chest (pain, tightness, breathlessness:
``chest_breathless``), which CONTENT.md section 3 makes emergencies. A less
urgent rule of a topic (``fracture_risk`` for a fall) settles its question,
never its escalation.

Each language's words are data (``content/i18n/<code>/safety_net.yaml``);
the English net's engine (``backcare.triage.safety_net``) runs them, with
the language's own negation cues (its rule table's ``language`` section)
and its own clause breaks ("pero", "aber", "لكن"). A negation that says a
symptom ("no siento", "keine Kraft", "nie czuję": the ``symptom_negations``
of the language's ``red_flag_examples.yaml``) denies nothing after it,
unless the clause says nothing odd is felt (its ``nothing_odd``); a clause
the language places years back (``long_ago``: "hace dos años") is over.
Only the net of the message's reply language runs: a neighbouring
language's words one slip away ("fiebre" and "febre") would escape that
language's denials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backcare.errors import KnowledgePackError, PackValidationError
from backcare.model import (
    FollowUpBank,
    RedFlagRules,
    TriageFlag,
    TriageLevel,
    TriageTopic,
    TriageTopics,
)
from backcare.model.yamltext import parse_yaml
from backcare.triage._negation import Normalised, ScopeReader, normalise
from backcare.triage.rules import scope_reader
from backcare.triage.safety_net import SafetyNetHit, safety_net

__all__ = ["FILE_NAME", "NetLine", "TranslatedNet", "load_translated_net"]

FILE_NAME = "safety_net.yaml"
"""The file in ``content/i18n/<code>/`` that holds a language's topic words."""

# Per-language keys of the file; each topic takes the regex lists of the
# English topic table (content/triage_topics.yaml).
_TOPIC_KEYS = frozenset(
    {"about", "about_words", "needs", "needs_words", "unless", "escalate", "escalate_to"}
)
_TOP_KEYS = frozenset(
    {"breaks", "symptom_negations", "long_ago", "reassured", "hypothetical", "answered_no"}
    | {"topics"}
)
_EXAMPLES = "red_flag_examples.yaml"  # the cross-language layer's file, read for its negations
_BREAK_MARK = ";"  # a clause break for the shared cutter (backcare.triage._clauses)
_CLAUSE_END = re.compile(r"[.;!?,\n]")


@dataclass(frozen=True)
class NetLine:
    """A flag the net raised and how the reply words it (message line, rule action)."""

    flag: TriageFlag
    message: str
    action: str | None


@dataclass(frozen=True)
class TranslatedNet:
    """The topic tables by language, with each language's clause breaks and symptom negations."""

    topics: Mapping[str, TriageTopics]
    breaks: Mapping[str, re.Pattern[str] | None]
    symptoms: Mapping[str, re.Pattern[str] | None]
    long_ago: Mapping[str, re.Pattern[str] | None]

    def serves(self, code: str) -> bool:
        """Whether ``code`` has a topic table."""
        return code in self.topics

    def check(
        self,
        text: str,
        code: str,
        tables: Mapping[str, RedFlagRules],
        fired: Iterable[TriageFlag],
    ) -> list[NetLine]:
        """The topics ``text`` touches in language ``code`` that nothing settled.

        Args:
            text: the prepared message.
            code: its reply language (one this net serves; else nothing).
            tables: red-flag tables by language; ``code``'s gives the
                negation cues and the wording, English's the rule levels.
            fired: flags of the earlier layers; a topic whose ``covered_by``
                rule fired at urgent or above is settled.

        Returns:
            One line per topic raised, in table order: ``check_<topic>`` at
            urgent worded by the topic's translated line, or, for a stated
            loss, the topic's ``escalate_to`` rule worded as that rule.
        """
        table = self.topics.get(code)
        own = tables.get(code)
        if table is None or own is None:
            return []
        english = tables.get("en", own)
        levels = {rule.id: rule.level for rule in english.rules}
        normalised = normalise(text)
        breaks = self.breaks.get(code)
        if breaks is not None:
            normalised = normalised.with_text(breaks.sub(_as_break, normalised.text))
        scope = _OwnScope(scope_reader(own), self.symptoms.get(code), self.long_ago.get(code))
        earlier = list(fired)
        hits = safety_net(normalised, table, scope, earlier, levels)
        hits += _escalations_under(normalised, table, scope, earlier, levels, hits)
        lines = []
        for hit in hits:
            rule = _rule(hit.flag.id, own, english)
            if rule is None:
                lines.append(NetLine(hit.flag, hit.topic.message, None))
            else:
                lines.append(NetLine(hit.flag, rule[0], rule[1]))
        return lines


def _escalations_under(
    normalised: Normalised,
    table: TriageTopics,
    scope: ScopeReader,
    fired: list[TriageFlag],
    levels: Mapping[str, TriageLevel],
    hits: list[SafetyNetHit],
) -> list[SafetyNetHit]:
    """Escalations a less urgent rule of the same topic hid.

    A rule any layer raised at urgent settles its topic's question, but not
    the topic's emergency: "levei um tombo feio do cavalo" drew fracture_risk
    (urgent) from the cross-language layer, which settled the trauma topic
    before the net could read the fall from a horse as major_trauma. The net
    is run again without such lesser flags, and only its escalations are kept.
    """
    lesser = {
        flag.id
        for flag in fired
        for topic in table.topics
        if topic.escalate_to is not None
        and flag.id in topic.covered_by
        and flag.id != topic.escalate_to
        and flag.level.rank < levels.get(topic.escalate_to, flag.level).rank
    }
    if not lesser:
        return []
    raised = {hit.flag.id for hit in hits}
    kept = [flag for flag in fired if flag.id not in lesser]
    return [
        hit
        for hit in safety_net(normalised, table, scope, kept, levels)
        if hit.flag.id == hit.topic.escalate_to and hit.flag.id not in raised
    ]


class _OwnScope(ScopeReader):
    """The language's reader: "no siento", "keine Kraft" report a symptom; years back is over."""

    def __init__(  # noqa: D107
        self,
        own: ScopeReader,
        symptoms: re.Pattern[str] | None,
        long_ago: re.Pattern[str] | None,
    ) -> None:
        self.__dict__.update(own.__dict__)
        self._symptoms = symptoms
        self._long_ago = long_ago

    def is_negated(self, text: str, start: int, end: int) -> bool:
        """Denied by the language's cues, unless a symptom negation leads to the match."""
        if self._symptoms is not None:
            clause = self.clause_start(text, start, end)
            if self._symptoms.search(text, clause, start):
                return False
        return super().is_negated(text, start, end)

    def is_long_over(self, text: str, start: int, end: int) -> bool:
        """Placed years back in English or in the language ("hace dos años", "vor Jahren")."""
        if super().is_long_over(text, start, end):
            return True
        if self._long_ago is None:
            return False
        clause = self.clause_start(text, start, end)
        stop = _CLAUSE_END.search(text, end)
        return self._long_ago.search(text, clause, stop.start() if stop else len(text)) is not None


def _as_break(match: re.Match[str]) -> str:
    # Same length, so every later character keeps its place in the original.
    return _BREAK_MARK + " " * (len(match.group()) - 1)


def _rule(rule_id: str, *tables: RedFlagRules) -> tuple[str, str | None] | None:
    for table in tables:
        for rule in table.rules:
            if rule.id == rule_id:
                return rule.message, rule.action
    return None


def load_translated_net(
    content_dir: Path, english: TriageTopics, bank: FollowUpBank
) -> TranslatedNet | None:
    """The net of every language with a ``content_dir/i18n/<code>/safety_net.yaml``.

    A topic keeps the English topic's ``covered_by`` and ``escalate_to``
    (the ids mean the same in every language); its message is the bank's
    translated topic line and its question the first translated question of
    the topic, English where untranslated.

    Returns:
        None when no language has the file.

    Raises:
        KnowledgePackError: a file cannot be read.
        PackValidationError: a file is not valid YAML, lacks a topic, has an
            unknown key or a bad regex.
    """
    topics: dict[str, TriageTopics] = {}
    breaks: dict[str, re.Pattern[str] | None] = {}
    symptoms: dict[str, re.Pattern[str] | None] = {}
    long_ago: dict[str, re.Pattern[str] | None] = {}
    for path in sorted((content_dir / "i18n").glob(f"*/{FILE_NAME}")):
        code = path.parent.name
        data = _read(path)
        negations = _negations(path.parent / _EXAMPLES)
        odd = negations.get("nothing_odd")
        if odd:
            # "no noto nada raro ahí abajo" is a plain denial, like "all normal".
            data = {**data, "reassured": [*(data.get("reassured") or ()), odd]}
        topics[code] = _table(path, code, data, english, bank)
        breaks[code] = _union(data.get("breaks") or ())
        # The file's own ("no tengo fuerza") add to the cross-language layer's.
        said = [*data.get("symptom_negations", ())]
        if negations.get("symptom_negations"):
            said.append(negations["symptom_negations"])
        symptoms[code] = _union(said)
        long_ago[code] = _union(data.get("long_ago") or ())
    return TranslatedNet(topics, breaks, symptoms, long_ago) if topics else None


def _union(patterns: Iterable[str]) -> re.Pattern[str] | None:
    listed = list(patterns)
    return re.compile("|".join(f"(?:{p})" for p in listed)) if listed else None


def _negations(path: Path) -> dict[str, str]:
    """``symptom_negations`` and ``nothing_odd`` of the cross-language examples, if any."""
    if not path.is_file():
        return {}
    data = parse_yaml(path.read_text(encoding="utf-8")) or {}
    return {key: str(data[key]) for key in ("symptom_negations", "nothing_odd") if data.get(key)}


def _read(path: Path) -> dict[str, Any]:
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgePackError(f"{path}: cannot read the safety net ({exc})") from exc
    except yaml.YAMLError as exc:
        raise PackValidationError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise PackValidationError(f"{path}: expected 'topics:' mapping topic ids to their words")
    stray = sorted(set(data) - _TOP_KEYS)
    if stray:
        raise PackValidationError(
            f"{path}: unknown key(s) {', '.join(stray)}; use {', '.join(sorted(_TOP_KEYS))}"
        )
    return data


def _table(
    path: Path, code: str, data: dict[str, Any], english: TriageTopics, bank: FollowUpBank
) -> TriageTopics:
    words: dict[str, Any] = data["topics"]
    missing = [topic.id for topic in english.topics if topic.id not in words]
    unknown = sorted(set(words) - {topic.id for topic in english.topics})
    if missing or unknown:
        raise PackValidationError(
            f"{path}: every topic of triage_topics.yaml once; "
            f"missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'}"
        )
    translation = bank.translations.get(code)
    items = []
    for topic in english.topics:
        own = words[topic.id] or {}
        stray = sorted(set(own) - _TOPIC_KEYS)
        if stray:
            raise PackValidationError(
                f"{path}: topic '{topic.id}': unknown key(s) {', '.join(stray)}; "
                f"use {', '.join(sorted(_TOPIC_KEYS))}"
            )
        message = (translation.topics.get(topic.id) if translation else None) or topic.message
        items.append(
            {
                **own,
                "id": topic.id,
                "message": message,
                "question": _question(bank, topic.id, code) or topic.question,
                "covered_by": topic.covered_by,
                "escalate_to": _escalate_to(path, topic, own),
            }
        )
    table = {key: data[key] for key in ("reassured", "hypothetical", "answered_no") if key in data}
    try:
        return TriageTopics.model_validate({**table, "topics": items})
    except ValidationError as exc:
        raise PackValidationError(f"{path}: {exc}; fix the named field") from exc


def _escalate_to(path: Path, topic: TriageTopic, own: Mapping[str, Any]) -> str | None:
    """The rule a stated loss on ``topic`` raises in this language (None: never escalate).

    English escalates bladder, bowel, saddle and trauma. A language may name
    the rule for another topic (``escalate_to``, one of its ``covered_by``):
    CONTENT.md section 3 makes "leg getting weaker by the hour" (leg_weakness)
    and chest tightness with back pain (chest_breathless) emergencies, so the
    net says them as the rule rather than as an urgent question. It may not
    name another rule where English already chose one.
    """
    if not own.get("escalate"):
        return None
    named = own.get("escalate_to")
    if named is None:
        return topic.escalate_to
    if topic.escalate_to is not None and named != topic.escalate_to:
        raise PackValidationError(
            f"{path}: topic '{topic.id}': escalate_to {named!r} differs from English's "
            f"{topic.escalate_to!r}; leave it out to use English's"
        )
    return str(named)


def _question(bank: FollowUpBank, topic: str, code: str) -> str | None:
    for question in bank.questions:
        if topic in question.topics:
            return bank.question_text(question, code)
    return None
