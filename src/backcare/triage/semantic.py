"""The semantic detector: clauses that read like a red flag's example phrasings.

Patterns recognise the wordings someone wrote down; people have many more
("my waterworks have stopped", "numbnes round my bum"). Each rule that has
examples (``content/red_flag_examples.yaml``) is matched by embedding
similarity: a clause fires the rule when its best example of that rule
scores at least the rule's fitted threshold and beats every negative example
(denials, harmless look-alikes) by the rule's fitted margin
(``content/triage_semantic.yaml``, from tuning/fit_triage_semantic.py).

Round 5 adds a learned clause classifier over the same vectors
(``backcare.triage.classifier``, ``content/triage_classifier.yaml``): one
logistic regression per rule family fires the family's rule whose examples
the clause is nearest, besides the nearest-example test or instead of it.

Cost: only clauses with a gate word that is not negated are embedded, in one
call; a message whose only such clause is the whole message is embedded as
the query the retriever will embed next, so the encoder's query cache pays
for it once.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from backcare.model import (
    RedFlagRules,
    SemanticExamples,
    SemanticParams,
    TriageFlag,
    TriageLevel,
)
from backcare.triage._clauses import clauses
from backcare.triage._negation import (
    Normalised,
    ScopeReader,
    sentence_reassured,
    sentence_start,
    sentence_stop,
)
from backcare.triage._slips import TOKEN, SlipTolerant
from backcare.triage.classifier import FAMILIES, ClauseClassifier

__all__ = [
    "ClauseEncoder",
    "ClauseScores",
    "ExampleIndex",
    "SemanticDetector",
    "content_words",
]

logger = logging.getLogger(__name__)

_Matrix = npt.NDArray[np.float32]


class ClauseEncoder(Protocol):
    """What the detector needs of a sentence encoder (``backcare.retrieval.dense.Encoder``)."""

    @property
    def model_id(self) -> str:
        """Id of the model; fitted thresholds hold for one model only."""
        ...

    def encode(self, texts: Sequence[str]) -> _Matrix:
        """Unit-norm vectors, one row per text."""
        ...

    def encode_query(self, text: str) -> _Matrix:
        """One unit-norm vector."""
        ...


@dataclass(frozen=True)
class ClauseScores:
    """One clause's similarities: the best example of each rule, and the best negative."""

    span: tuple[int, int]
    best: dict[str, float]
    negative: float

    def to_beat(self, lower: Collection[str]) -> float:
        """What a rule must beat: a negative, or an example of a less urgent rule in ``lower``."""
        return max([self.negative, *(self.best[other] for other in lower)])


@dataclass(frozen=True)
class ExampleIndex:
    """Example vectors grouped by rule, and the negatives' (this layer's and the
    cross-language layer's, ``backcare.triage.crosslingual``)."""

    positive: _Matrix  # examples x dim, grouped by rule in `rule_ids` order
    starts: npt.NDArray[np.intp]  # first row of each rule
    rule_ids: tuple[str, ...]
    negative: _Matrix

    @classmethod
    def grouped(
        cls, rule_ids: tuple[str, ...], counts: Sequence[int], positive: _Matrix, negative: _Matrix
    ) -> ExampleIndex:
        """The index of ``positive`` rows, ``counts[i]`` of them for ``rule_ids[i]`` in order."""
        starts = np.cumsum([0, *counts[:-1]]).astype(np.intp)
        return cls(positive=positive, starts=starts, rule_ids=rule_ids, negative=negative)

    def similarities(
        self, spans: Sequence[tuple[int, int]], vectors: _Matrix
    ) -> list[ClauseScores]:
        """Each clause's scores, from its vector (row ``c`` of ``vectors`` for ``spans[c]``)."""
        positive = self.positive @ vectors.T  # examples x clauses
        best = np.maximum.reduceat(positive, self.starts, axis=0)  # rules x clauses
        negative = (self.negative @ vectors.T).max(axis=0)
        return [
            ClauseScores(
                span=span,
                best={rule_id: float(best[r, c]) for r, rule_id in enumerate(self.rule_ids)},
                negative=float(negative[c]),
            )
            for c, span in enumerate(spans)
        ]


_MIN_WORDS = 2
# Words that carry no content, for counting a clause's content words: round 7
# tried a stricter bar for short clauses ("landed on my feet"), fitted on fit
# data by tuning/fit_triage_semantic.py --short; every stricter bar lost more
# emergencies than it spared calm lines, so the layer has none (docs/triage.md).
_FUNCTION_WORDS = frozenset(
    "a an the my your his her their our its this that these those i im ive me we us you he "
    "she it they them and or but so if of on in at to up down out off over into onto from "
    "with by for as is are was were be been am do does did have has had got get just very "
    "really bit all some any there here now then when".split()
)
# Round 7: similarity ignores number, so "my leg went to sleep" sat as close to
# the both-legs examples as "my legs went numb". A rule whose meaning is a
# number fires from this layer only when its clause says so; "my leg" alone is
# left to the one-leg rules (``below_knee``, ``leg_weakness``) and the net.
_RULE_CUES: dict[str, re.Pattern[str]] = {
    "both_legs": re.compile(
        r"\b(?:legs|feet|thighs|knees|calves|ankles|shins|both|each (?:leg|foot|side)|"
        r"either (?:leg|foot|side)|left and right|right and left|bilateral\w*|both sides|"
        r"limbs|lower limbs|the pair|two legs)\b"
    ),
    # Not a number but the same kind of cue: the aortic picture is the belly,
    # a faint or shock, or a tearing or pulsing pain. "I fell and my back
    # hurts" sat closest to "I collapsed with back pain" and was an emergency
    # from this layer; a plain fall is the net's question.
    "aortic": re.compile(
        r"\b(?:bell(?:y|ies)|tumm(?:y|ies)|tum|stomach|abdom\w*|navel|belly ?button|gut|"
        r"faint\w*|pass(?:ed|ing)? out|black(?:ed|ing)? out|blackout|collaps\w*|dizz\w*|"
        r"light ?headed|woozy|pale|pallor|grey|gray|white as|clammy|sweat\w*|cold and (?:wet|damp)|"
        r"shock|tear\w*|tore|torn|rip\w*|split\w*|puls\w*|throb\w*|beat\w*|heart ?beat|"
        r"aneurysm|aort\w*|aaa|triple a|loc|blood pressure|bp|unconscious|came round|"
        r"went down|dropped|keel\w*|sudden\w*|all at once|out of nowhere|in one second)\b"
    ),
}
# Round 7: place, like number. A clause that names a part of one leg and no
# part of the saddle area ("pins and needles in my left foot") is sciatica
# talk, not saddle numbness, however close its vector sits to those examples.
_LIMB = re.compile(r"\b(?:leg|foot|feet|toes?|calf|calves|shin|shins|ankles?|knees?|heel)\b")
_SADDLE_WORDS = re.compile(
    r"\b(?:bum|bottom|backside|butt|buttocks?|arse|anus|anal|groin|genitals?|privates?|"
    r"crotch|perine\w*|perian\w*|saddle|seat|down there|down below|between (?:my |the )?legs|"
    r"inner thighs?|back passage|vagina|vulva|penis|testicles|scrotum|bits|wipe|wiping|"
    r"toilet|loo)\b"
)
_PLACE_RULES = frozenset({"saddle_numbness"})
_ANSWERED_NO = re.compile(r"\s*[:?]+\s*(?:no|nope|none|nah|never|not really|not at all)\b")


def content_words(text: str, start: int, end: int) -> int:
    """How many words of ``text[start:end]`` carry content (not "my", "on", "the"...)."""
    return sum(1 for word in TOKEN.findall(text, start, end) if word not in _FUNCTION_WORDS)


def _only_a_limb(text: str, start: int, end: int) -> bool:
    """Whether the clause names a part of a leg and nothing of the saddle area."""
    return bool(_LIMB.search(text, start, end)) and not _SADDLE_WORDS.search(text, start, end)


def _says_its_cue(rule_id: str, text: str, start: int, end: int) -> bool:
    """Whether the clause's sentence holds the cue ``rule_id`` needs (always, for most rules).

    The sentence, not the clause: "my legs, the two, they are sleeping" names
    the number in one clause and the symptom in another.
    """
    cue = _RULE_CUES.get(rule_id)
    if cue is None:
        return True
    return cue.search(text, sentence_start(text, start), sentence_stop(text, end)) is not None


# Round 8: peeing often or a lot is frequency, not retention or leaking ("weeing
# like a racehorse", "peeing loads because I drink so much"); a clause that
# says so and names no loss (cannot, leak, dribble, stopped, control...) is not
# embedded. A loss word anywhere in the sentence keeps it.
_FREQUENCY = re.compile(
    r"\b(?:like a (?:racehorse|race horse|horse|tap|fire hose)|loads|lots|a lot|all the time|"
    r"constantly|more (?:often|than usual)|every (?:hour|half hour|\d+ (?:minutes|mins))|"
    r"non ?stop|so often|very often|gallons|buckets|plenty)\b"
)
_PEE_WORDS = re.compile(r"\b(?:pee\w*|wee\w*|piss\w*|urinat\w*|toilet|loo)\b")
_LOSS_WORDS = re.compile(
    r"\b(?:cant|cannot|couldnt|unable|wont|not|no|never|nothing|leak\w*|dribbl\w*|trickl\w*|"
    r"drip\w*|stop\w*|control|hold|accident\w*|wet\w*|soil\w*|feel\w*|urge|strain\w*|hard|"
    r"push\w*|empty\w*|burn\w*|sting\w*|blood|pain\w*|hurt\w*)\b"
)


def _only_frequency(text: str, start: int, end: int) -> bool:
    """Whether the clause tells of peeing often or a lot, and its sentence of no loss (round 8).

    The sentence, not the clause: in "I need to pee constantly but cannot get
    it started" the loss is in the next clause.
    """
    if _FREQUENCY.search(text, start, end) is None or _PEE_WORDS.search(text, start, end) is None:
        return False
    return _LOSS_WORDS.search(text, sentence_start(text, start), sentence_stop(text, end)) is None


def _reassures(
    pattern: re.Pattern[str], scope: ScopeReader, text: str, start: int, end: int
) -> bool:
    """Whether ``text[start:end]`` states normal function with a cue no denial covers.

    Round 7: "working as usual" reassures, "not working as usual" does not;
    the words are the same, the polarity is the scope reader's.
    """
    # On a slice: the translated nets' reassurances open with "^(?!...)", and
    # "^" never matches at an offset.
    return any(
        not scope.is_negated(text, start + match.start(), start + match.end())
        for match in pattern.finditer(text[start:end])
    )


class SemanticDetector:
    """Embedding match of clauses against each rule's examples; thread-safe."""

    def __init__(
        self,
        examples: SemanticExamples,
        params: SemanticParams,
        rules: RedFlagRules,
        classifier: ClauseClassifier | None = None,
    ) -> None:
        """Prepare the detector for the English rule table ``rules``.

        Args:
            examples: example phrasings per rule id, negatives and the gate.
            params: the fitted threshold and margin of each rule.
            rules: the table whose levels the flags take.
            classifier: the learned clause classifier (round 5), or None.
        """
        self.examples = examples
        self.classifier = classifier
        self.params = params
        self.levels = {rule.id: rule.level for rule in rules.rules if rule.id in examples.positive}
        # Histories and risk factors count for the writer only ("my dad had cancer").
        # A clause closer to an example of a less urgent rule than to this
        # rule's own does not fire this rule ("a numb patch on my shin" is sciatica
        # talk, not saddle numbness).
        self.lower = {
            rule_id: tuple(other for other, lvl in self.levels.items() if lvl.rank < level.rank)
            for rule_id, level in self.levels.items()
        }
        self.personal = frozenset(
            rule.id for rule in rules.rules if rule.personal and rule.id in self.levels
        )
        self._gate = re.compile("|".join(f"(?:{pattern})" for pattern in examples.gate))
        self._words = SlipTolerant(examples.gate_words)
        self._reassured = (
            re.compile("|".join(f"(?:{pattern})" for pattern in examples.reassured))
            if examples.reassured
            else None
        )
        self._indexes: dict[str, ExampleIndex] = {}
        self._lock = threading.Lock()

    def usable_with(self, encoder: ClauseEncoder) -> bool:
        """Whether the fitted thresholds are for this encoder's model."""
        return not self.params.model_id or self.params.model_id == encoder.model_id

    def with_classifier(self, classifier: ClauseClassifier | None) -> SemanticDetector:
        """The same detector (sharing its embedded examples) with another classifier."""
        twin = copy.copy(self)
        twin.classifier = classifier
        return twin

    def _classifier_for(self, encoder: ClauseEncoder) -> ClauseClassifier | None:
        """The classifier when it is on and fitted for this encoder's vectors."""
        found = self.classifier
        if found is None or found.mode == "off":
            return None
        if found.model_id and found.model_id != encoder.model_id:
            return None
        return found

    def warm_up(self, encoder: ClauseEncoder) -> None:
        """Embed the examples now, so the first message does not wait for it."""
        if self.usable_with(encoder):
            self._index(encoder)

    def candidates(self, normalised: Normalised, scope: ScopeReader) -> list[tuple[int, int]]:
        """Clauses worth embedding: two words or more, not reassuring, gate words not negated."""
        text = normalised.text
        found = []
        for start, end in clauses(text):
            gates = [match.span() for match in self._gate.finditer(text, start, end)]
            gates += [
                match.span()
                for match in TOKEN.finditer(text, start, end)
                if self._words.knows(match.group())
            ]
            # A one-word clause ("heat") says too little to match safely.
            if len(TOKEN.findall(text, start, end)) < _MIN_WORDS:
                continue
            if self._reassured is not None and _reassures(self._reassured, scope, text, start, end):
                continue
            if sentence_reassured(scope, text, start, end):
                continue
            if _only_frequency(text, start, end):
                continue
            # Round 9: another person's event set against the writer's own lesser case.
            if scope.is_others_set_against_own(text, start, end):
                continue
            # Negated clauses do not fire: one denied gate word is enough
            # ("my legs arent weak": "legs" alone is not denied), and so is a
            # "no" answered just after ("weakness in my legs: none").
            # A cue after the gate words is not read as a denial: "my leg not
            # have force" (a symptom) and "my waterworks have not stopped" (a
            # denial) look alike, and a missed symptom costs more.
            if gates and not any(scope.is_negated(text, s, e) for s, e in gates):
                if not _ANSWERED_NO.match(text, end):
                    found.append((start, end))
        return found

    def score(
        self, normalised: Normalised, spans: Sequence[tuple[int, int]], encoder: ClauseEncoder
    ) -> list[ClauseScores]:
        """Similarities of each clause in ``spans`` to the examples (one encoder call)."""
        return self.scored_vectors(normalised, spans, encoder)[0]

    def scored_vectors(
        self, normalised: Normalised, spans: Sequence[tuple[int, int]], encoder: ClauseEncoder
    ) -> tuple[list[ClauseScores], _Matrix]:
        """``score``'s result and the clause vectors it was computed from (clauses x dim)."""
        if not spans:
            return [], np.zeros((0, 0), dtype=np.float32)
        index = self._index(encoder)
        texts = [normalised.source_span(start, end) for start, end in spans]
        if len(texts) == 1:
            # The whole message as one clause is exactly the query retrieval
            # encodes next; encode_query's cache then serves it for free.
            start, end = spans[0]
            rest = normalised.text[:start] + normalised.text[end:]
            whole = not any(char.isalnum() for char in rest)
            vectors = encoder.encode_query(normalised.original if whole else texts[0])[None, :]
        else:
            vectors = encoder.encode(texts)
        return index.similarities(spans, vectors), np.asarray(vectors, dtype=np.float32)

    def detect(
        self,
        normalised: Normalised,
        encoder: ClauseEncoder,
        scope: ScopeReader,
        *,
        above: TriageLevel = TriageLevel.SELF_CARE,
        skip: Collection[str] = (),
    ) -> list[TriageFlag]:
        """Flags for rules whose examples a clause of the message matches.

        Args:
            normalised: the message, triage-normalised.
            encoder: the encoder already loaded for retrieval.
            scope: negation checks (the English table's).
            above: the level the message already has; only rules more urgent
                than it are checked (nothing else could change the level).
            skip: rule ids already flagged.

        Returns:
            One flag per rule that fired (layer ``semantic``), evidence the clause.
        """
        if not self.usable_with(encoder):
            return []
        wanted = {
            rule_id
            for rule_id, level in self.levels.items()
            if level.rank > above.rank and rule_id not in skip and rule_id in self.params.rules
        }
        if not wanted:
            return []
        spans = self.candidates(normalised, scope)
        flags: dict[str, TriageFlag] = {}
        classifier = self._classifier_for(encoder)
        scores, vectors = self.scored_vectors(normalised, spans, encoder)
        families = classifier.fired(vectors) if classifier is not None else [set()] * len(scores)
        # In "replace" mode the families' rules are the classifier's alone.
        learned = (
            {rule for name in classifier.thresholds for rule in FAMILIES.get(name, ())}
            if classifier is not None and classifier.mode == "replace"
            else set()
        )
        for clause, fired in zip(scores, families, strict=True):
            if scope.is_hypothetical(normalised.text, *clause.span):
                continue  # "what if I couldn't pee": a question, not a report
            someone_else = scope.is_about_someone_else(normalised.text, clause.span[1])
            long_over = scope.is_long_over(normalised.text, *clause.span)
            allowed = [
                rule_id
                for rule_id in sorted(wanted, key=lambda rid: -self.levels[rid].rank)
                if not (someone_else and rule_id in self.personal)
                and not (long_over and rule_id not in self.personal)
                and _says_its_cue(rule_id, normalised.text, *clause.span)
                and not (rule_id in _PLACE_RULES and _only_a_limb(normalised.text, *clause.span))
            ]
            for name in sorted(fired):
                # The family says what the clause is about; its nearest
                # examples say which of the family's rules.
                members = [rule_id for rule_id in allowed if rule_id in FAMILIES[name]]
                if members:
                    rule_id = max(
                        members, key=lambda rid: (self.levels[rid].rank, clause.best[rid])
                    )
                    flags.setdefault(
                        rule_id,
                        TriageFlag(
                            id=rule_id,
                            level=self.levels[rule_id],
                            evidence=normalised.source_span(*clause.span),
                            layer="semantic",
                        ),
                    )
            for rule_id in allowed:
                if rule_id in learned:
                    continue
                fitted = self.params.rules[rule_id]
                similarity = clause.best[rule_id]
                if (
                    rule_id not in flags
                    and similarity >= fitted.threshold
                    and similarity - self.competitor(clause, rule_id) >= fitted.margin
                ):
                    flags[rule_id] = TriageFlag(
                        id=rule_id,
                        level=self.levels[rule_id],
                        evidence=normalised.source_span(*clause.span),
                        layer="semantic",
                    )
        return sorted(flags.values(), key=lambda flag: -flag.level.rank)

    def competitor(self, clause: ClauseScores, rule_id: str) -> float:
        """The similarity ``rule_id`` must beat: a negative or a less urgent rule's example."""
        return clause.to_beat(self.lower[rule_id])

    def _index(self, encoder: ClauseEncoder) -> ExampleIndex:
        with self._lock:
            cached = self._indexes.get(encoder.model_id)
            if cached is not None:
                return cached
            rule_ids = tuple(self.examples.positive)
            texts = [text for rule_id in rule_ids for text in self.examples.positive[rule_id]]
            index = ExampleIndex.grouped(
                rule_ids,
                [len(self.examples.positive[rule_id]) for rule_id in rule_ids],
                np.asarray(encoder.encode(texts), dtype=np.float32),
                np.asarray(encoder.encode(list(self.examples.negative)), dtype=np.float32),
            )
            logger.info("embedded %d triage examples with %s", len(texts), encoder.model_id)
            self._indexes[encoder.model_id] = index
            return index
