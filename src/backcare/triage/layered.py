"""Layered triage: rules, then the semantic detector, then the safety net; most urgent wins.

1. **Rules** (``backcare.triage.triage``) in every language table, as before.
2. **Semantic** (``backcare.triage.semantic``, only with an encoder): clauses
   that read like a rule's example phrasings raise that rule's flag.
3. **Safety net** (``backcare.triage.safety_net``): a clause about a red-flag
   topic that neither layer settled raises ``check_<topic>`` at urgent.
4. **Cross-language** (``backcare.triage.crosslingual``, only for a message in
   a served language other than English and with the multilingual encoder):
   clauses that read like a rule's examples in meaning, whatever the words.
5. **Translated safety net** (``backcare.triage.safety_net_i18n``, only for a
   message in a served language other than English): the net of layer 3 with
   that language's topic words and denials.

Each flag names its layer and the person's words. One flag per id: the first
layer to raise an id keeps it. See docs/triage.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backcare.model import (
    RedFlagRule,
    RedFlagRules,
    TriageFlag,
    TriageLevel,
    TriageResult,
    TriageTopics,
)
from backcare.triage._memo import IdentityMemo
from backcare.triage._negation import ScopeReader, normalise
from backcare.triage.crosslingual import CrossLingualTriage, QueryEncoder
from backcare.triage.rules import scope_reader, triage
from backcare.triage.safety_net import safety_net, topic_line
from backcare.triage.safety_net_i18n import TranslatedNet
from backcare.triage.semantic import ClauseEncoder, SemanticDetector
from backcare.triage.spelling import SlipCorrector

__all__ = ["ExtraLayers", "triage_layered"]

_BASE = "en"  # the table the semantic examples and the safety net are written for


@dataclass(frozen=True)
class ExtraLayers:
    """The layers after the rules, as a pack supplies them (any may be None).

    ``spelling`` repairs slipped red-flag words; every layer then reads the
    repaired message as well as the original.
    """

    semantic: SemanticDetector | None = None
    topics: TriageTopics | None = None
    spelling: SlipCorrector | None = None
    crosslingual: CrossLingualTriage | None = None
    translated_net: TranslatedNet | None = None


def triage_layered(
    text: str,
    tables: Mapping[str, RedFlagRules],
    *,
    reply: str,
    run: Sequence[str],
    unchecked_notice: str | None = None,
    partial_notice: str | None = None,
    layers: ExtraLayers | None = None,
    encoder: ClauseEncoder | None = None,
    english: bool = True,
    multilingual: QueryEncoder | None = None,
    identified: bool = False,
) -> TriageResult:
    """Check ``text`` with every layer and word the result in ``reply``.

    Args:
        text: the prepared message.
        tables: red-flag tables by ISO 639-1 code (``en`` among them).
        reply: the language of the message and level actions.
        run: the rule tables to check, in order of preference for evidence.
        unchecked_notice: for a language without rules, the plain statement
            that leads the message (``checked`` becomes False).
        partial_notice: for the same message, the statement used instead when
            a served table still raised a sign in it: the rest was not checked
            (round 13: "NOT checked" above the emergency action read as a
            contradiction). ``checked`` stays False. None keeps the first.
        layers: the semantic detector and safety-net topics; None: rules only.
        encoder: the sentence encoder already loaded; None skips the
            semantic layer (model-free callers such as care plans).
        english: whether the message may be English; the semantic examples
            and the safety net's words are English, so they sit out a message
            reliably identified as another language.
        multilingual: the multilingual encoder, for the cross-language layer
            on a message whose reply language is a served one other than
            English; None (and every English message) never touches it.
        identified: whether ``reply`` is the language identified in the message
            (reliably), not only the one chosen. Such a message in a language
            the cross-language layer reads skips the English semantic layer:
            on the 1,219 such development lines it raised no flag, and it cost
            a MiniLM run on most French questions (docs/languages.md, Cost).

    Returns:
        The most urgent level over all layers, one flag per id (most urgent
        first), and the message: the level's action, the rule actions, then
        one line per flag.
    """
    wording = {rule.id: rule for rule in tables[reply].rules}
    fired: dict[str, tuple[TriageFlag, str, str | None]] = {}
    own = reply if reply != _BASE and reply in tables else None
    semantic = None if identified and _crosslingual_reads(own, layers, multilingual) else encoder
    _collect(text, tables, wording, run, layers, semantic, english, fired, own)
    spelling = _spelling(layers, encoder)
    if spelling is not None and english:
        # A slip in the word that mattered ("bladeer", "stiars"): read the
        # repaired message too; a flag it adds quotes the repaired words.
        lowered = text.lower()
        repaired = spelling.repair(lowered)
        if repaired != lowered:
            _collect(repaired, tables, wording, run, layers, semantic, english, fired, own)
            _drop_settled_checks(fired, layers)
    if own is not None and layers is not None and layers.crosslingual is not None:
        _crosslingual(text, tables, own, wording, layers.crosslingual, multilingual, fired)
    if own is not None and layers is not None and layers.translated_net is not None:
        # Last, so that a rule any layer raised settles its topic first.
        flags = [flag for flag, _, _ in fired.values()]
        for line in layers.translated_net.check(text, own, tables, flags):
            fired.setdefault(line.flag.id, (line.flag, line.message, line.action))
    # Most urgent first; the order found breaks ties (stable sort).
    ordered = sorted(fired.values(), key=lambda item: -item[0].level.rank)
    level = TriageLevel.most_urgent([flag.level for flag, _, _ in ordered])
    notice = unchecked_notice
    if notice and ordered and partial_notice:
        notice = partial_notice
    lines = [notice] if notice else []
    # "Nothing you wrote points to a warning sign" would contradict the notice.
    if not (unchecked_notice and level is TriageLevel.SELF_CARE):
        lines.append(tables[reply].levels[level])
    lines += [action for _, _, action in ordered if action]
    lines += [f"- {message}" for _, message, _ in ordered]
    return TriageResult(
        level=level,
        flags=tuple(flag for flag, _, _ in ordered),
        message="\n".join(lines),
        lang=reply,
        languages=tuple(dict.fromkeys(run)),
        checked=unchecked_notice is None,
    )


def _collect(
    text: str,
    tables: Mapping[str, RedFlagRules],
    wording: Mapping[str, RedFlagRule],
    run: Sequence[str],
    layers: ExtraLayers | None,
    encoder: ClauseEncoder | None,
    english: bool,
    fired: dict[str, tuple[TriageFlag, str, str | None]],
    native: str | None = None,
) -> None:
    """Add to ``fired`` the flags every layer finds in ``text`` (an id already there stays).

    ``native`` is the message's language when it is a served one other than
    English: the English layers then also respect that language's denials.
    """
    english_scope = scope_reader(tables[_BASE]) if _BASE in tables else None
    # A table knows its own denials and English's, not the message's: on a
    # message in a served language, "sem incontinência" fired cauda_equina
    # through the English word, "não tenho incontinência" through the Spanish
    # one. The message language's reader denies such a match in every other
    # table too (the English layers below do the same with _EitherScope).
    # An English message likewise: "no incontinence" fired through the French
    # word, which the French table's cues do not see denied.
    reader_of = native if native is not None else _BASE if english else None
    native_scope = (
        scope_reader(tables[reader_of]) if reader_of is not None and reader_of in tables else None
    )
    for code in run:
        table = tables[code]
        others = english_scope if code != _BASE else None
        denied_by = native_scope if code != reader_of else None
        for flag in triage(text, table, others=others, denied_by=denied_by).flags:
            if flag.id not in fired:
                own = next(rule for rule in table.rules if rule.id == flag.id)
                fired[flag.id] = (flag, *_lines(wording.get(flag.id, own)))
    if layers is None or not english or _BASE not in tables:
        return
    base = tables[_BASE]
    normalised = normalise(text)
    scope = scope_reader(base)
    if native is not None:
        # "aucun problème pour uriner ni engourdissement": the English cues
        # miss "aucun ... ni", the French table's do.
        scope = _EitherScope(scope, scope_reader(tables[native]))
    rules_level = TriageLevel.most_urgent([flag.level for flag, _, _ in fired.values()])
    if layers.semantic is not None and encoder is not None:
        for flag in layers.semantic.detect(
            normalised, encoder, scope, above=rules_level, skip=set(fired)
        ):
            rule = wording.get(flag.id) or _rule(base, flag.id)
            fired.setdefault(flag.id, (flag, *_lines(rule)))
    if layers.topics is not None:
        flags = [flag for flag, _, _ in fired.values()]
        levels = {rule.id: rule.level for rule in base.rules}
        for hit in safety_net(normalised, layers.topics, scope, flags, levels):
            if hit.flag.id in levels:
                # An escalated topic raised the rule itself: word it as the rule.
                rule = wording.get(hit.flag.id) or _rule(base, hit.flag.id)
                fired.setdefault(hit.flag.id, (hit.flag, *_lines(rule)))
            else:
                fired.setdefault(hit.flag.id, (hit.flag, topic_line(hit.topic), None))


def _crosslingual_reads(
    own: str | None, layers: ExtraLayers | None, encoder: QueryEncoder | None
) -> bool:
    """Whether the cross-language layer will read a message whose language is ``own``."""
    if own is None or layers is None or layers.crosslingual is None or encoder is None:
        return False
    return layers.crosslingual.serves(own) and layers.crosslingual.usable_with(encoder)


def _crosslingual(
    text: str,
    tables: Mapping[str, RedFlagRules],
    own: str,
    wording: Mapping[str, RedFlagRule],
    layer: CrossLingualTriage,
    encoder: QueryEncoder | None,
    fired: dict[str, tuple[TriageFlag, str, str | None]],
) -> None:
    """Add the cross-language layer's flags for a message in ``own``."""
    if encoder is None or not layer.serves(own) or not layer.usable_with(encoder):
        return
    table = tables[own]
    level = TriageLevel.most_urgent([flag.level for flag, _, _ in fired.values()])
    flags = layer.detect(
        normalise(text),
        own,
        encoder,
        scope_reader(table),
        layer.denials(own, table.language),
        above=level,
        skip=set(fired),
        vetoes=layer.rule_vetoes(own, table),
    )
    for flag in flags:
        rule = wording.get(flag.id) or _rule(tables[_BASE], flag.id)
        fired.setdefault(flag.id, (flag, *_lines(rule)))


class _EitherScope(ScopeReader):
    """The English reader, with a match also denied by the message's own language."""

    def __init__(self, english: ScopeReader, own: ScopeReader) -> None:  # noqa: D107
        self.__dict__.update(english.__dict__)
        self._own = own

    def is_negated(self, text: str, start: int, end: int) -> bool:
        """Denied in English or in the message's language."""
        return super().is_negated(text, start, end) or self._own.is_negated(text, start, end)


def _drop_settled_checks(
    fired: dict[str, tuple[TriageFlag, str, str | None]], layers: ExtraLayers | None
) -> None:
    """Remove ``check_<topic>`` flags that a later read settled with a rule at urgent or above."""
    if layers is None or layers.topics is None:
        return
    urgent = TriageLevel.URGENT.rank
    settled = {flag.id for flag, _, _ in fired.values() if flag.level.rank >= urgent}
    for topic in layers.topics.topics:
        if settled.intersection(topic.covered_by):
            fired.pop(f"check_{topic.id}", None)


# Correctors by (pack corrector, encoder): each adds the encoder's dictionary.
_SPELLING: IdentityMemo[SlipCorrector] = IdentityMemo(8)


def _spelling(layers: ExtraLayers | None, encoder: ClauseEncoder | None) -> SlipCorrector | None:
    """The pack's corrector with the encoder's vocabulary as its dictionary.

    None without an encoder that has a vocabulary: without a dictionary of
    real English words, "blocked" would be repaired to "blacked" (out).
    """
    if layers is None or layers.spelling is None or encoder is None:
        return None
    spelling = layers.spelling
    vocabulary = getattr(encoder, "vocabulary", None)
    if not isinstance(vocabulary, frozenset) or not vocabulary:
        return None
    return _SPELLING.get(
        spelling, encoder, make=lambda: spelling.with_words(str(word) for word in vocabulary)
    )


def _lines(rule: RedFlagRule) -> tuple[str, str | None]:
    return rule.message, rule.action


def _rule(table: RedFlagRules, rule_id: str) -> RedFlagRule:
    return next(rule for rule in table.rules if rule.id == rule_id)
