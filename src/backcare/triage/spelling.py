"""Slips in the words that matter, put right before the layers read a message again.

Rules match exact words and the encoder reads "bladeer" or "stiars" as other
word pieces, so one slip in the key word loses an emergency. A word the triage
vocabulary does not know, one slip away from exactly one word of the red-flag
example phrasings, is replaced by that word; the layers then read the repaired
message as well as the original (``backcare.triage.layered``).

Only unknown words are touched. What counts as known is every word of the
pack's own text (answers, examples, rule patterns) and a short list of real
words that sit one slip from a red-flag word ("ladder" and "bladder",
"getting" and "wetting"), so correct English is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backcare.model import RedFlagRules, SemanticExamples, TriageTopics
from backcare.triage._slips import REAL_WORDS, TOKEN

__all__ = ["SlipCorrector", "slip_corrector"]

_MIN_TARGET = 5  # shorter red-flag words ("numb", "poo", "leg") are too close to others
_MIN_TOKEN = 5  # "grin", "sand", "bowl" are one slip from "groin", "stand", "bowel"
_MIN_CHANGED = 6  # a changed letter only in long words ("bowel"/"towel", "fever"/"never")


_WORD = re.compile(r"[a-z]+(?:['\u2019][a-z]+)*")
# "can' control", "don' feel": a negative contraction that lost its "t" would
# otherwise read as the opposite ("can control"), so the "t" is put back.
_CLIPPED_NOT = re.compile(
    r"\b(can|don|won|didn|doesn|couldn|wouldn|shouldn|isn|wasn|aren|haven|hasn|hadn)"
    r"(['\u2019])(?![a-z])",
    re.IGNORECASE,
)
# "noticed" is "notice" known, "injects" is "inject": inflections are real words.
_ENDINGS = ("s", "es", "d", "ed", "ing", "ly", "er", "ers")


class SlipCorrector:
    """Repairs unknown words one slip away from a single red-flag word."""

    def __init__(self, targets: Iterable[str], known: Iterable[str]) -> None:
        """Index ``targets`` (the words to repair towards) and ``known`` (never repaired)."""
        words = frozenset(targets)
        self._words = words
        self._targets = frozenset(word for word in words if len(word) >= _MIN_TARGET)
        # Four-letter words only with two neighbours swapped ("pian"): a letter
        # added or missing turns too many real words into one ("grin", "sand").
        self._short = frozenset(word for word in words if len(word) == _MIN_TARGET - 1)
        # A target not otherwise known is a deliberate misspelling of an example
        # ("blader"): known enough to stay, repaired when a known word is one slip away.
        self._known = frozenset(known)
        # Read for every unknown word, so built once (the union of two
        # encoder-vocabulary-sized sets took 0.16 ms a word).
        self._known_or_target = self._known | self._targets
        # deletion variant -> targets it comes from (SymSpell-style, one letter)
        self._by_deletion: dict[str, set[str]] = {}
        for word in self._targets:
            for variant in _deletions(word):
                self._by_deletion.setdefault(variant, set()).add(word)

    def with_words(self, words: Iterable[str]) -> SlipCorrector:
        """This corrector with ``words`` known too (a dictionary: the encoder's vocabulary)."""
        return SlipCorrector(self._words, self._known | frozenset(words))

    def repair(self, text: str) -> str:
        """``text`` with its slipped red-flag words repaired; itself when none was."""
        return _WORD.sub(self._word, _CLIPPED_NOT.sub(r"\1\2t", text))

    def _word(self, match: re.Match[str]) -> str:
        token = match.group()
        # "hasn't": a word with an apostrophe is a contraction, never a slip.
        if not token.isalpha() or self._inflected_known(token):
            return token
        if len(token) == _MIN_TOKEN - 1:
            found = {word for word in self._short if _swapped(token, word)} & self._known
        elif len(token) >= _MIN_TOKEN:
            found = self._candidates(token) - {token}
            real = found & self._known
            # A misspelt example word is only ever repaired to a real one.
            found = real if real or token in self._targets else found
        else:
            return token
        if len(found) > 1:
            # "blader": a dropped double letter (bladder) beats a letter added
            # in front (ladder) and a changed one (blades).
            best = min(_rank(token, word) for word in found)
            found = {word for word in found if _rank(token, word) == best}
        if len(found) > 1:
            # Round 10: "crashd" is one slip from "crash" and from "crashed"; when
            # every candidate is the start of the longest, they are one word's
            # forms, and the longest keeps every letter the person typed.
            longest = max(found, key=len)
            if all(longest.startswith(word) for word in found):
                found = {longest}
        return next(iter(found)) if len(found) == 1 else token

    def _inflected_known(self, token: str) -> bool:
        """Whether ``token`` is known, or a known word with a common ending added or taken off."""
        if token in self._known:
            return True
        words = self._known_or_target
        for ending in _ENDINGS:
            stem = token.removesuffix(ending)
            if stem != token and not _inflects(stem, ending):
                continue
            # "noticed" from "notice"; not "blader" from "blade"
            silent_e = ending in ("ed", "ing") and stem + "e" in words
            if stem != token and (stem in words or silent_e):
                return True
            if token + ending in words and _inflects(token, ending):
                return True
        return False

    def _candidates(self, token: str) -> set[str]:
        # A letter missing from the target: the token is one of its deletions.
        found = set(self._by_deletion.get(token, ()))
        for variant in _deletions(token):
            # A letter added: the target is one of the token's deletions.
            if variant in self._targets:
                found.add(variant)
            # A letter changed, or two neighbours swapped: they share a deletion.
            for target in self._by_deletion.get(variant, ()):
                if len(target) == len(token) and (
                    len(target) >= _MIN_CHANGED or _swapped(token, target)
                ):
                    found.add(target)
        return found


def slip_corrector(
    examples: SemanticExamples,
    tables: Iterable[RedFlagRules],
    topics: TriageTopics | None,
    texts: Iterable[str] = (),
) -> SlipCorrector:
    """The corrector of a pack: red-flag example words as targets, the pack's text as known.

    ``tables`` are the red-flag tables of every language the pack checks:
    the words of their patterns are known, so Portuguese "urinar" or French
    "uriner" is never taken for a slipped "urinary".
    """
    targets: set[str] = set(examples.gate_words)
    for phrasings in examples.positive.values():
        for phrasing in phrasings:
            targets.update(_words(phrasing))
    if topics is not None:
        for topic in topics.topics:
            targets.update(topic.about_words)
            targets.update(topic.needs_words)
    # Round 10: the whole words of the English table's patterns ("tumbled",
    # "stairs", "crashed", "tearing") are targets too: a slip in the very word
    # a rule waits for otherwise lost the flag whenever no example held it.
    english = next(iter(tables), None)
    if english is not None:
        targets.update(_pattern_words(english))
    known: set[str] = set(REAL_WORDS)
    for text in (*examples.negative, *texts):
        known.update(_words(text))
    for rule in (rule for table in tables for rule in table.rules):
        groups = (*rule.patterns, *rule.requires, rule.unless)
        for pattern in (pattern for group in groups for pattern in group):
            # Letter runs of a regex are its words; short runs are often
            # fragments ("blad" of "blad\w*"), which would pass "blader" off as known.
            words = _words(re.sub(r"\\[A-Za-z]", " ", pattern))
            known.update(word for word in words if len(word) >= _MIN_TOKEN)
    return SlipCorrector(targets, known)


# A letter run of a regex that is a whole word: not followed by more of a word
# ("scaffold\w*", "tumou?rs?") nor an optional tail ("temp(?:erature)?").
_ESCAPE_BOUNDARY = re.compile(r"\\[bB]")
_ESCAPE_CLASS = re.compile(r"\\[wWsSdD]")
_WHOLE_WORD = re.compile(r"(?<![a-z])[a-z]+(?=$|[| ]|\)(?![?*+])|\(\?[=!<])")


def _pattern_words(table: RedFlagRules) -> set[str]:
    """The whole words (five letters or more) that ``table``'s rule patterns spell out."""
    found: set[str] = set()
    for rule in table.rules:
        for pattern in (pattern for group in rule.patterns for pattern in group):
            plain = _ESCAPE_CLASS.sub("#", _ESCAPE_BOUNDARY.sub(" ", pattern))
            found.update(word for word in _WHOLE_WORD.findall(plain) if len(word) >= _MIN_TARGET)
    return found


def _words(text: str) -> list[str]:
    return TOKEN.findall(text.lower().replace("'", ""))


def _rank(token: str, target: str) -> int:
    """How likely a slip: 0 a doubled letter dropped or added, or two swapped; 1 a letter
    missing or added; 2 a letter changed."""
    if len(target) == len(token):
        return 0 if _swapped(token, target) else 2
    short, long = sorted((token, target), key=len)
    doubled = any(
        long[:i] + long[i + 1 :] == short and long[i] == long[i - 1] for i in range(1, len(long))
    )
    return 0 if doubled else 1


def _inflects(stem: str, ending: str) -> bool:
    """Whether ``stem`` + ``ending`` is how English inflects, not a slip (round 10).

    "tumbledd" is "tumbled" with a letter doubled and "breathles" is
    "breathless" less one, not "tumbled" + "d" or "breathles" + "s"; nor is
    "tumbleed" "tumble" + "ed" (the "e" is dropped: "tumbled").
    """
    if len(ending) == 1 and stem.endswith(ending):
        return False
    if ending == "d" and not stem.endswith("e"):
        return False  # "crashd" is "crashed" less a letter: "d" follows only an "e"
    return not (
        ending[0] in "ei" and stem.endswith("e") and not stem.endswith("ee") and len(ending) > 1
    )


def _swapped(token: str, target: str) -> bool:
    diffs = [i for i in range(len(token)) if token[i] != target[i]]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and token[diffs[0]] == target[diffs[1]]
        and token[diffs[1]] == target[diffs[0]]
    )


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
