"""Spelling repair of query words against the knowledge base's own vocabulary.

People type "spazms" and "lng" at 3 a.m. A word the knowledge base does not
know is replaced by the most frequent known word one edit away (insert,
delete, substitute or swap two neighbours). Deletion neighbourhoods (the
SymSpell idea) make a lookup a handful of dict probes, independent of the
vocabulary size. Only unknown words are touched, so correct text is never
changed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

__all__ = ["SpellFixer"]

_MIN_LENGTH = 3  # shorter words are too ambiguous to repair ("leg" vs "log")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


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


def _one_edit_apart(a: str, b: str) -> bool:
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class SpellFixer:
    """Repairs unknown words to known words one edit away."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._counts: Counter[str] = Counter(
            word for word in vocabulary if len(word) >= _MIN_LENGTH and word.isalpha()
        )
        self._by_delete: defaultdict[str, set[str]] = defaultdict(set)
        for word in self._counts:
            self._by_delete[word].add(word)
            for deleted in _deletes(word):
                self._by_delete[deleted].add(word)

    def __contains__(self, word: object) -> bool:
        return word in self._counts

    def fix(self, word: str) -> str:
        """``word`` itself if known, too short or not alphabetic; else its best repair."""
        if word in self._counts or len(word) < _MIN_LENGTH or not word.isalpha():
            return word
        candidates: set[str] = set(self._by_delete.get(word, ()))
        for deleted in _deletes(word):
            candidates |= self._by_delete.get(deleted, set())
        near = [c for c in candidates if _one_edit_apart(word, c)]
        if not near:
            return word
        # A likely slip beats frequency ("masage" is "massage", not "manage");
        # then the most frequent wins, ties alphabetically for determinism.
        return min(near, key=lambda c: (not _likely_slip(word, c), -self._counts[c], c))

    def fix_all(self, tokens: Iterable[str]) -> list[str]:
        """Repair each token of a query."""
        return [self.fix(token) for token in tokens]
