"""Spelling repair of query words against the knowledge base's own vocabulary.

People type "spazms" and "lng" at 3 a.m. A word the knowledge base does not
know is replaced by the most frequent known word one edit away (insert,
delete, substitute or swap two neighbours). Every string one edit away from
the typed word is generated and looked up (Norvig's corrector): about 54n+25
set probes for an n-letter word, well under a millisecond, and no index at
all. A precomputed deletion index (SymSpell) answers in fewer probes but, at
MedQuAD's vocabulary, costs seconds of start-up and tens of megabytes for
words that are almost never misspelt. Only unknown words are touched, so
correct text is never changed.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable

__all__ = ["SpellFixer"]

_MIN_LENGTH = 3  # shorter words are too ambiguous to repair ("leg" vs "log")


def _edits(word: str) -> set[str]:
    """Every string one insert, delete, substitution or neighbour swap away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    letters = string.ascii_lowercase
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
    edits |= {a + c + b for a, b in splits for c in letters}
    edits.discard(word)
    return edits


def _likely_slip(typed: str, known: str) -> bool:
    """A dropped double letter or two swapped neighbours: the commonest typing slips."""
    if len(known) == len(typed) + 1:
        return any(
            known[:i] + known[i + 1 :] == typed and known[i] == known[i - 1]
            for i in range(1, len(known))
        )
    if len(known) == len(typed):
        diffs = [i for i in range(len(typed)) if typed[i] != known[i]]
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1
    return False


class SpellFixer:
    """Repairs unknown words to known words one edit away."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._counts: Counter[str] = Counter(
            word for word in vocabulary if len(word) >= _MIN_LENGTH and word.isalpha()
        )

    def __contains__(self, word: object) -> bool:
        return word in self._counts

    def fix(self, word: str) -> str:
        """``word`` itself if known, too short or not alphabetic; else its best repair."""
        if word in self._counts or len(word) < _MIN_LENGTH or not word.isalpha():
            return word
        near = [c for c in _edits(word) if c in self._counts]
        if not near:
            return word
        # A likely slip beats frequency ("masage" is "massage", not "manage");
        # then the most frequent wins, ties alphabetically for determinism.
        return min(near, key=lambda c: (not _likely_slip(word, c), -self._counts[c], c))

    def fix_all(self, tokens: Iterable[str]) -> list[str]:
        """Repair each token of a query."""
        return [self.fix(token) for token in tokens]
