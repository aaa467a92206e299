"""The cross-language semantic layer: red flags in es, fr, de, pl, pt and ar by meaning.

The translated rule tables catch the wordings someone wrote down; each fresh
test set brought new ones (docs/languages.md, "Fresh test sets"). This layer
does not depend on the words: a clause of a message in a served language is
embedded with the multilingual encoder (``query:`` side, the encoder
cross-language retrieval already loads for such a message) and compared with
the English example phrasings of each rule (``content/red_flag_examples.yaml``)
and a few examples per language (``content/i18n/<code>/red_flag_examples.yaml``).
A clause fires a rule when its best example of that rule scores at least the
rule's fitted threshold and beats, by the rule's fitted margin, both the best
negative example and the best example of every less urgent rule
(``content/i18n/triage_crosslingual.yaml``, fitted on the development sets
only by ``tuning/fit_triage_crosslingual.py``).

Negation is read from the words, as the English layer does: a clause whose
every part opens with one of the language's negation cues ("ni hormigueos ni
pérdidas de orina", "aucun problème pour uriner") or says "fine"
(the table's ``post_negation``) is not embedded, unless the negated verb is
one of inability or of not feeling (``symptom_negations`` in the language's
examples file: "no puedo", "nie czuję", "ما اقدر"), which reports a symptom.

Round 13 narrows what a clause may raise: not a rule about another part of
the body, an event or a history when the clause's only subject is the back
(``LanguageExamples.back_only``), nor a rule whose own table veto or whose
safety-net topic's exclusion the clause holds (``rule_vetoes``, ``vetoes``);
and a clause answered no after its question mark ("X ? non") is denied.

Example vectors are computed once per encoder and cached on disk beside the
encoder's folder, keyed by the examples' digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from backcare.model import RedFlagRules, TriageFlag, TriageLanguage, TriageLevel
from backcare.model.cachefiles import sweep_stale
from backcare.model.yamltext import parse_yaml
from backcare.triage._negation import Normalised, ScopeReader
from backcare.triage.semantic import ClauseScores, ExampleIndex

__all__ = [
    "CrossLingualParams",
    "Denials",
    "CrossLingualTriage",
    "LanguageExamples",
    "QueryEncoder",
    "load_crosslingual",
]

logger = logging.getLogger(__name__)

_Matrix = npt.NDArray[np.float32]

#: Languages the layer serves (those with translated rule tables).
SERVED = ("es", "fr", "de", "pl", "pt", "ar")
# The JSON contract's layer names are fixed; this layer is the semantic one,
# run with another encoder on other languages.
LAYER: Final = "semantic"

# Clauses end at sentence marks and commas (Arabic ones too); the table's own
# scope breaks ("y", "und", "و") cut them further only for reading negation.
_CLAUSE_BREAK = re.compile(r"[.;:!?()\n¿¡,\u060c\u061b\u061f]")
_WORD = re.compile(r"\w+")
_MIN_WORDS = 2
# A cue this many words or fewer into a part of a clause denies the part.
_CUE_REACH = 2
# How far after a clause its answer ("? no") is read, as the rules read "is fine".
_POST_REACH = 80
_BOTH_LEGS = "both_legs"
# Rules about the legs' strength, which a clause saying the person walks, or
# is better for walking, cannot be about (``LanguageExamples.walks``).
_LEG_RULES = frozenset({_BOTH_LEGS, "leg_weakness"})
# Rules about some other part of the body, an event or a history, which a
# clause whose only subject is the back cannot raise (round 13,
# ``LanguageExamples.back_only``). The back's own rules (aortic, thoracic,
# not_improving, night pain...) read the back and are left to meaning.
# The emergency rules are not silenced that way: a subject the word lists lack
# (a slipped body word, a breath word said of someone else) would mute the
# layer that exists to read such wording. A back-only clause raises one only
# with a clearer margin, ``_BACK_ONLY_MARGIN`` over the fitted one: "i bolą
# mnie plecy" passed both_legs' margin by 0.004, a carer's "le falta el aire"
# chest_breathless's by 0.017. On the eleventh blind set (then read, now dev)
# silencing them missed two emergencies this keeps, for the same over-triage.
_BACK_ONLY_MARGIN: Final = 0.005
_OWN_EMERGENCY = frozenset(
    {
        "saddle_numbness",
        "cauda_equina",
        _BOTH_LEGS,
        "leg_weakness",
        "major_trauma",
        "chest_breathless",
    }
)
_OWN_SUBJECT = frozenset(
    {
        "fever_unwell",
        "infection_risk",
        "cancer_history",
        "weight_loss",
        "fracture_risk",
        "lump_deformity",
        "pregnancy_labour",
    }
)


class QueryEncoder(Protocol):
    """What the layer needs of the multilingual encoder (``MultilingualEncoder``)."""

    @property
    def model_id(self) -> str:
        """Id of the model; fitted thresholds hold for one model only."""
        ...

    def encode_query(self, text: str) -> _Matrix:
        """One unit-norm ``query:`` vector."""
        ...


@dataclass(frozen=True)
class LanguageExamples:
    """One language's own examples and the negated verbs that report a symptom.

    ``one_side`` and ``both_sides`` say how many legs a clause is about;
    ``walks`` says the person walks, or is better for walking ("mais je
    marche", "melhora quando ando").
    """

    positive: Mapping[str, tuple[str, ...]]
    negative: tuple[str, ...]
    symptom_negations: re.Pattern[str] | None
    reassured: re.Pattern[str] | None = None
    nothing_odd: re.Pattern[str] | None = None
    one_side: re.Pattern[str] | None = None
    both_sides: re.Pattern[str] | None = None
    walks: re.Pattern[str] | None = None
    back: re.Pattern[str] | None = None
    subjects: re.Pattern[str] | None = None
    vetoes: Mapping[str, re.Pattern[str]] = dataclasses.field(default_factory=dict)

    def back_only(self, text: str, start: int, end: int) -> bool:
        """Whether the clause ``text[start:end]`` names the back and no other subject.

        Round 13 (docs/languages.md): the encoder weighs the subject, and a
        clause about the back alone ("obudziłem się ze sztywnymi plecami",
        "i bolą mnie plecy", "j'ai eu un lumbago le mois dernier", "jetzt
        Hexenschuss") scored over the thresholds of rules about the bladder,
        the legs, the chest or a history. ``back`` holds the back and its
        everyday complaints (stiffness, a strain, lumbago); ``subjects`` every
        topic word of the language's safety net and the histories (cancer,
        steroids, weight...). A clause naming no subject at all ("nie czuję",
        "sem sentir") takes it from the rest of the message and is not gated.
        """
        if self.back is None or not self.back.search(text, start, end):
            return False
        return self.subjects is None or not self.subjects.search(text, start, end)

    def allows(self, rule_id: str, text: str, start: int, end: int) -> bool:
        """Whether the clause ``text[start:end]`` may carry ``rule_id`` at all.

        Round 9 (docs/languages.md): the encoder weighs the subject and the
        symptom, not the count, and read one leg named with its side as both
        legs ("la pierna izquierda ... hormigueo en ese pie", "ins linke Bein
        ... die Zehen kribbeln"). A clause naming one side and no word for both
        is not about both legs, nor is a clause naming neither in a message
        that does; every other rule is left to meaning.

        Round 10: nor are the legs weak in a clause that says the person
        walks or is better for walking: the encoder read "ça tire mais je
        marche" and "melhora quando ando" as leg weakness (walking is the
        subject, the polarity escapes it). The patterns refuse their own
        denials ("não consigo andar", "je marche plus" do not match).

        Round 13: nor does a clause carry a rule when it holds an exclusion
        (``unless``) of a safety-net topic the rule settles (``vetoes``).
        """
        veto = self.vetoes.get(rule_id)
        if veto is not None and veto.search(text, start, end):
            # Round 13: the net's own exclusions for the rule's topic ("press
            # de pecho", "تمرين الصدر": the chest as a gym exercise) hold here too.
            return False
        if rule_id in _LEG_RULES and self.walks is not None:
            if self.walks.search(text, start, end):
                return False
        if rule_id != _BOTH_LEGS or self.one_side is None:
            return True
        if not self._counts(text, start, end):
            # "..., com formigamento": a clause that names no leg takes the
            # count the rest of the message gives.
            start, end = 0, len(text)
        if not self.one_side.search(text, start, end):
            return True
        return self.both_sides is not None and bool(self.both_sides.search(text, start, end))

    def _counts(self, text: str, start: int, end: int) -> bool:
        """Whether the clause says how many legs (one side, or both)."""
        assert self.one_side is not None
        both = self.both_sides is not None and self.both_sides.search(text, start, end)
        return bool(both or self.one_side.search(text, start, end))


@dataclass(frozen=True)
class CrossLingualParams:
    """Fitted threshold and margin per rule, for one encoder model."""

    model_id: str
    rules: Mapping[str, tuple[float, float]]


class CrossLingualTriage:
    """Embedding match of clauses in a served language against each rule's examples."""

    def __init__(
        self,
        english: Mapping[str, Sequence[str]],
        english_negative: Sequence[str],
        languages: Mapping[str, LanguageExamples],
        params: CrossLingualParams | None,
        rules: RedFlagRules,
        cache_dir: Path | None = None,
    ) -> None:
        """Prepare the layer.

        Args:
            english: English example phrasings per rule id.
            english_negative: English harmless look-alikes.
            languages: each served language's own examples and cues.
            params: fitted thresholds (None: the layer scores but never fires,
                as when fitting).
            rules: the English table, whose levels the flags take.
            cache_dir: where example vectors are kept between runs (None: memory only).
        """
        self.levels = {rule.id: rule.level for rule in rules.rules}
        self.personal = frozenset(rule.id for rule in rules.rules if rule.personal)
        self.languages = dict(languages)
        self.params = params
        rule_ids = [rid for rid in self.levels if rid in english or _any_own(languages, rid)]
        texts: dict[str, list[str]] = {rid: list(english.get(rid, ())) for rid in rule_ids}
        for own in languages.values():
            for rid, phrasings in own.positive.items():
                if rid in texts:
                    texts[rid].extend(phrasings)
        self._positive = {rid: tuple(texts[rid]) for rid in rule_ids if texts[rid]}
        negative = list(english_negative)
        for own in languages.values():
            negative.extend(own.negative)
        self._negative = tuple(negative)
        self.lower = {
            rid: tuple(o for o in self._positive if self.levels[o].rank < self.levels[rid].rank)
            for rid in self._positive
        }
        self.cache_dir = cache_dir
        self._indexes: dict[str, ExampleIndex] = {}
        self._denials: dict[str, Denials] = {}
        self._rule_vetoes: dict[str, dict[str, re.Pattern[str]]] = {}
        self._lock = threading.Lock()

    def use_cache(self, cache_dir: Path) -> None:
        """Keep the example vectors in ``cache_dir`` between runs."""
        self.cache_dir = cache_dir

    def serves(self, code: str) -> bool:
        """Whether messages in ``code`` are checked by this layer."""
        return code in self.languages

    def usable_with(self, encoder: QueryEncoder) -> bool:
        """Whether the fitted thresholds are for this encoder's model."""
        return self.params is not None and self.params.model_id == encoder.model_id

    def denials(self, code: str, language: TriageLanguage) -> Denials:
        """The compiled denial reader of ``code`` (``language`` is its table's settings)."""
        with self._lock:
            reader = self._denials.get(code)
            if reader is None:
                own = self.languages.get(code)
                reader = Denials(
                    language,
                    own.symptom_negations if own is not None else None,
                    own.reassured if own is not None else None,
                    own.nothing_odd if own is not None else None,
                )
                self._denials[code] = reader
            return reader

    def rule_vetoes(self, code: str, table: RedFlagRules) -> Mapping[str, re.Pattern[str]]:
        """The ``unless`` vetoes of each rule of ``code``'s table, compiled once.

        Round 13: a rule's own vetoes in the language's table ("passé",
        "passou": the episode is over, for ``not_improving``) also hold for
        the clause this layer reads, as they hold for the rules.
        """
        with self._lock:
            found = self._rule_vetoes.get(code)
            if found is None:
                found = {
                    rule.id: re.compile("|".join(f"(?:{rx})" for rx in rule.unless))
                    for rule in table.rules
                    if rule.unless
                }
                self._rule_vetoes[code] = found
            return found

    def candidates(self, normalised: Normalised, denials: Denials) -> list[tuple[int, int]]:
        """Clauses worth embedding: two words or more, and not all of them denied."""
        text = normalised.text
        return [
            (start, end)
            for start, end in _clauses(text)
            if len(_WORD.findall(text, start, end)) >= _MIN_WORDS
            and not denials.denied(text, start, end)
        ]

    def score(
        self, normalised: Normalised, spans: Sequence[tuple[int, int]], encoder: QueryEncoder
    ) -> list[ClauseScores]:
        """Similarities of each clause in ``spans`` to the examples."""
        if not spans:
            return []
        index = self._index(encoder)
        texts = [normalised.source_span(s, e) for s, e in spans]
        if len(spans) == 1 and _whole(normalised, spans[0]):
            # The clause is the whole message but for marks ("¿...?"): encode
            # the message as given, the very query cross-language retrieval
            # encodes next, so the encoder's query cache pays for one run.
            texts = [normalised.original]
        # One clause at a time: a product with one vector is a matrix-vector
        # product, which numpy runs on one thread; with two vectors or more it
        # became OpenBLAS's threaded matrix product, ten times slower (0.1 ms
        # against 1.9 ms) on a machine whose cores are busy.
        return [
            clause
            for span, text in zip(spans, texts, strict=True)
            for clause in index.similarities([span], _row(encoder.encode_query(text)))
        ]

    def competitor(self, clause: ClauseScores, rule_id: str) -> float:
        """What ``rule_id`` must beat: a negative, or a less urgent rule's example."""
        return clause.to_beat(self.lower[rule_id])

    def detect(
        self,
        normalised: Normalised,
        code: str,
        encoder: QueryEncoder,
        scope: ScopeReader,
        denials: Denials,
        *,
        above: TriageLevel = TriageLevel.SELF_CARE,
        skip: Collection[str] = (),
        vetoes: Mapping[str, re.Pattern[str]] | None = None,
    ) -> list[TriageFlag]:
        """Flags (layer ``semantic``) for rules a clause of the message reads like.

        Args:
            normalised: the message, triage-normalised.
            code: the message's language (one this layer serves).
            encoder: the multilingual encoder.
            scope: the language table's negation and other-person reader.
            denials: the language's denial reader (`denials`).
            above: the level already reached; only more urgent rules are checked.
            skip: rule ids already flagged.
            vetoes: the language table's rule vetoes (`rule_vetoes`); one said
                in the clause, undenied, keeps its rule from the clause.
        """
        if not self.serves(code) or not self.usable_with(encoder) or self.params is None:
            return []
        fitted = self.params.rules
        wanted = [
            rid
            for rid in self._positive
            if rid in fitted and self.levels[rid].rank > above.rank and rid not in skip
        ]
        if not wanted:
            return []
        wanted.sort(key=lambda rid: -self.levels[rid].rank)
        flags: dict[str, TriageFlag] = {}
        spans = self.candidates(normalised, denials)
        for clause in self.score(normalised, spans, encoder):
            someone_else = scope.is_about_someone_else(normalised.text, clause.span[1])
            # Another person's event placed years back is history ("mon voisin
            # avait perdu le contrôle de sa vessie"); a carer's present is not.
            long_over = scope.is_long_over(normalised.text, *clause.span)
            own = self.languages[code]
            back_only = own.back_only(normalised.text, *clause.span)
            for rid in wanted:
                if rid in flags or (someone_else and rid in self.personal):
                    continue
                if back_only and rid in _OWN_SUBJECT:
                    continue
                clearer = _BACK_ONLY_MARGIN if back_only and rid in _OWN_EMERGENCY else 0.0
                if vetoes and _vetoed(vetoes.get(rid), scope, normalised.text, *clause.span):
                    continue
                if long_over and rid not in self.personal:
                    continue
                if not own.allows(rid, normalised.text, *clause.span):
                    continue
                threshold, margin = fitted[rid]
                similarity = clause.best[rid]
                if (
                    similarity >= threshold
                    and similarity - self.competitor(clause, rid) >= margin + clearer
                ):
                    flags[rid] = TriageFlag(
                        id=rid,
                        level=self.levels[rid],
                        evidence=normalised.source_span(*clause.span),
                        layer=LAYER,
                    )
        return sorted(flags.values(), key=lambda flag: -flag.level.rank)

    def _index(self, encoder: QueryEncoder) -> ExampleIndex:
        with self._lock:
            cached = self._indexes.get(encoder.model_id)
            if cached is not None:
                return cached
            rule_ids = tuple(self._positive)
            texts = [t for rid in rule_ids for t in self._positive[rid]]
            vectors = self._cached_vectors(encoder, [*texts, *self._negative])
            index = ExampleIndex.grouped(
                rule_ids,
                [len(self._positive[rid]) for rid in rule_ids],
                vectors[: len(texts)],
                vectors[len(texts) :],
            )
            self._indexes[encoder.model_id] = index
            return index

    def _cached_vectors(self, encoder: QueryEncoder, texts: Sequence[str]) -> _Matrix:
        digest = hashlib.sha256("\n".join([encoder.model_id, *texts]).encode()).hexdigest()[:16]
        path = None if self.cache_dir is None else self.cache_dir / f"triage-xlang-{digest}.npy"
        sweep_stale(path, "triage-xlang-*.npy")  # older content's files, unused for a day
        if path is not None and path.is_file():
            try:
                loaded = np.load(path)
                if loaded.shape[0] == len(texts):
                    return np.asarray(loaded, dtype=np.float32)
            except (OSError, ValueError):
                logger.warning("could not read %s; embedding the examples again", path)
        vectors = np.stack([encoder.encode_query(t).reshape(-1) for t in texts]).astype(np.float32)
        logger.info("embedded %d cross-language triage examples", len(texts))
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npy")
                np.save(tmp, vectors)
                tmp.replace(path)
            except OSError:
                logger.warning("could not cache the triage example vectors in %s", path)
        return vectors


def _vetoed(
    veto: re.Pattern[str] | None, scope: ScopeReader, text: str, start: int, end: int
) -> bool:
    """Whether ``veto`` matches in ``text[start:end]`` and is not itself denied ("not better")."""
    if veto is None:
        return False
    return any(
        not scope.is_negated(text, start + m.start(), start + m.end())
        for m in veto.finditer(text[start:end])
    )


def _any_own(languages: Mapping[str, LanguageExamples], rule_id: str) -> bool:
    return any(rule_id in own.positive for own in languages.values())


def _whole(normalised: Normalised, span: tuple[int, int]) -> bool:
    """Whether ``span`` holds every letter and digit of the message."""
    start, end = span
    text = normalised.text
    return not any(char.isalnum() for char in text[:start]) and not any(
        char.isalnum() for char in text[end:]
    )


def _row(vector: _Matrix) -> _Matrix:
    """``vector`` as a one-row float32 matrix."""
    return np.asarray(vector, dtype=np.float32).reshape(1, -1)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for brk in _CLAUSE_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s] == " ":
            s += 1
        while e > s and text[e - 1] == " ":
            e -= 1
        if _WORD.search(text, s, e):
            out.append((s, e))
    return out


class Denials:
    """A language table's negation cues, scope breaks and "is fine" phrases, compiled."""

    def __init__(
        self,
        language: TriageLanguage,
        symptom: re.Pattern[str] | None,
        reassured: re.Pattern[str] | None = None,
        nothing_odd: re.Pattern[str] | None = None,
    ) -> None:
        """Compile ``language``'s lists.

        ``symptom`` are negated verbs that report a symptom; ``reassured``
        words say a part is fine ("normalmente", "w porządku"); ``nothing_odd``
        ("nada raro") denies even after a symptom negation ("no noto nada raro").
        """
        self.cues = re.compile("|".join(f"(?:{cue})" for cue in language.negation_cues))
        self.exceptions = re.compile(language.cue_exceptions) if language.cue_exceptions else None
        self.breaks = re.compile("|".join(f"(?:{brk})" for brk in language.scope_breaks))
        self.post = re.compile(language.post_negation)
        self.symptom = symptom
        self.reassured = reassured
        self.nothing_odd = nothing_odd

    def denied(self, text: str, start: int, end: int) -> bool:
        """Whether every part of the clause ``text[start:end]`` is a denial or says "fine".

        A part is denied when a negation cue opens it (within its first
        words: "me duele y no tengo fiebre" denies the fever, "tengo fiebre
        que no baja" reports it), unless the negated verb reports a symptom
        ("no puedo", "nie czuję", "ما اقدر").

        A clause asked and then answered no ("douleur dans la poitrine ? non
        aucune", "Brustschmerzen? nein") is denied by the answer after its
        question mark, the answered-no form of the table's ``post_negation``
        (round 13: the rules read it there; the clause ends at the mark).
        """
        if self.post.match(text[end : end + _POST_REACH]) is not None:
            return True
        parts = []
        cut = start
        for brk in self.breaks.finditer(text, start, end):
            if brk.start() > cut:
                parts.append((cut, brk.start()))
            cut = max(cut, brk.end())
        parts.append((cut, end))
        parts = [(s, e) for s, e in parts if _WORD.search(text, s, e)]
        if not parts:
            return False
        return all(self._part_denied(text, s, e) for s, e in parts)

    def _part_denied(self, text: str, start: int, end: int) -> bool:
        if self.nothing_odd is not None and self.nothing_odd.search(text, start, end):
            return True
        if self.symptom is not None and self.symptom.search(text, start, end):
            return False
        if self.reassured is not None and self.reassured.search(text, start, end):
            return True
        words = list(_WORD.finditer(text, start, end))
        reach = words[min(_CUE_REACH, len(words) - 1)].end()
        for cue in self.cues.finditer(text, start, end):
            if cue.start() > reach:
                break
            if self.exceptions is not None and self.exceptions.search(text[start : cue.start()]):
                continue
            return True
        # "... funciona bien", "... ist normal": a fine after some word of the part.
        return any(self.post.match(text[word.end() : end]) for word in words[:-1])


_NET_FILE = "safety_net.yaml"  # the language's net, whose topic words are subjects


def _subjects(net: Path, own: object) -> re.Pattern[str] | None:
    """Every ``about`` and ``needs`` pattern of the net at ``net``, with ``own`` (a regex)."""
    patterns = [str(own)] if own else []
    if net.is_file():
        data = parse_yaml(net.read_text(encoding="utf-8")) or {}
        for topic in (data.get("topics") or {}).values():
            for key in ("about", "needs"):
                patterns.extend(str(p) for p in (topic or {}).get(key) or ())
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _covered_by(topics: Path) -> dict[str, tuple[str, ...]]:
    """Each English safety-net topic's ``covered_by`` rules (the ids hold in every language)."""
    if not topics.is_file():
        return {}
    data = parse_yaml(topics.read_text(encoding="utf-8")) or {}
    return {
        str(topic["id"]): tuple(str(rid) for rid in topic.get("covered_by") or ())
        for topic in data.get("topics") or ()
        if isinstance(topic, dict) and "id" in topic
    }


def _vetoes(net: Path, covered: Mapping[str, Sequence[str]]) -> dict[str, re.Pattern[str]]:
    """Rule id to the ``unless`` patterns of the net topics at ``net`` that the rule settles."""
    if not net.is_file():
        return {}
    data = parse_yaml(net.read_text(encoding="utf-8")) or {}
    found: dict[str, list[str]] = {}
    for topic_id, topic in (data.get("topics") or {}).items():
        for rid in covered.get(str(topic_id), ()):
            found.setdefault(rid, []).extend(str(p) for p in (topic or {}).get("unless") or ())
    return {
        rid: re.compile("|".join(f"(?:{p})" for p in patterns))
        for rid, patterns in found.items()
        if patterns
    }


def load_crosslingual(
    content_dir: Path,
    rules: RedFlagRules,
    english: Mapping[str, Sequence[str]],
    english_negative: Sequence[str],
    cache_dir: Path | None = None,
) -> CrossLingualTriage | None:
    """The layer from a pack's content folder, or None when it has no fitted file."""
    languages: dict[str, LanguageExamples] = {}
    covered = _covered_by(content_dir / "triage_topics.yaml")
    for code in SERVED:
        path = content_dir / "i18n" / code / "red_flag_examples.yaml"
        if not path.is_file():
            languages[code] = LanguageExamples({}, (), None)
            continue
        data = parse_yaml(path.read_text(encoding="utf-8")) or {}
        known = {rid for rid in (data.get("positive") or {}) if rid in english}
        positive = {rid: tuple(data["positive"][rid]) for rid in known}
        pattern = data.get("symptom_negations")
        reassured = data.get("reassured")
        odd = data.get("nothing_odd")
        one_side = data.get("one_side")
        both_sides = data.get("both_sides")
        walks = data.get("walks")
        back = data.get("back")
        subjects = _subjects(path.parent / _NET_FILE, data.get("subjects"))
        vetoes = _vetoes(path.parent / _NET_FILE, covered)
        languages[code] = LanguageExamples(
            positive=positive,
            negative=tuple(data.get("negative") or ()),
            symptom_negations=re.compile(pattern) if pattern else None,
            reassured=re.compile(reassured) if reassured else None,
            nothing_odd=re.compile(odd) if odd else None,
            one_side=re.compile(one_side) if one_side else None,
            both_sides=re.compile(both_sides) if both_sides else None,
            walks=re.compile(walks) if walks else None,
            back=re.compile(back) if back else None,
            subjects=subjects,
            vetoes=vetoes,
        )
    params = None
    fitted = content_dir / "i18n" / "triage_crosslingual.yaml"
    if fitted.is_file():
        data = parse_yaml(fitted.read_text(encoding="utf-8")) or {}
        params = CrossLingualParams(
            model_id=str(data.get("model_id", "")),
            rules={
                rid: (float(v["threshold"]), float(v["margin"]))
                for rid, v in (data.get("rules") or {}).items()
            },
        )
    return CrossLingualTriage(english, english_negative, languages, params, rules, cache_dir)
