"""The lexical evidence of the confidence model for a question in another language.

The English retriever's confidence (``abstain.py``) weighs two lexical
features beside the scores: how much of the question's vocabulary the
knowledge base knows (``coverage``) and whether it names an anchor term, a
word most of its questions share ("back", "spasm"; ``anchor``). For a language
with translated phrasings in the pack (``knowledge/alternates.py``) the same
two are read against that language's phrasings: coverage over their words,
and the anchors the pack lists for the language (its words for "back" and
"spasm"). Without them, a Polish question about a sore knee scored like a back
question in multilingual-e5's compressed space and was answered.

Words are compared folded (lower case, accents and other marks dropped,
"ł" as "l", "ß" as "ss", Arabic "ى"/"ة" as "ي"/"ه", Arabic's article and
joined "and"/"with" removed) and, for coverage, cut to their first five
letters: a crude stem that lets "pleców" and "plecami" meet in Polish or
"lombaire" and "lombar" across French and Portuguese spelling.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = ["STEM", "Lexicon", "anchor_matches", "fold_words"]

#: Letters kept of each word for coverage (see the module docstring).
STEM: Final = 5

_LETTERS = str.maketrans({"\u0649": "\u064a", "\u0629": "\u0647", "ł": "l", "ß": "ss"})
_WORD = re.compile(r"\w+")
# Arabic joins the article and the conjunctions to the word ("والظهر", "بالظهر",
# "وظهري"); the longest first, and only where a word of 3+ letters remains.
_ARABIC_PREFIXES: Final = ("وال", "بال", "فال", "لل", "ال", "و")


def fold_words(text: str) -> list[str]:
    """The words of ``text``, folded (see the module docstring), in order."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)
    words = []
    for word in _WORD.findall(plain):
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) >= len(prefix) + 3:
                word = word[len(prefix) :]
                break
        words.append(word)
    return words


def anchor_matches(anchor: str, word: str) -> bool:
    """Whether folded ``word`` is ``anchor``: the same word, or, for ``"stem*"``, any
    word starting with the stem. ``anchor`` is folded as ``fold_words`` folds."""
    if anchor.endswith("*"):
        return word.startswith(_fold_one(anchor[:-1]))
    return word == _fold_one(anchor)


def _fold_one(text: str) -> str:
    words = fold_words(text)
    return words[0] if words else ""


class Lexicon:
    """One language's phrasings as a vocabulary: coverage and anchor of a question."""

    def __init__(self, phrasings: Iterable[str], anchors: Sequence[str]) -> None:
        """Count the stems of ``phrasings``; ``anchors`` as `anchor_matches` reads them."""
        docs = [set(_stems(text)) for text in phrasings]
        self._freq = Counter(stem for doc in docs for stem in doc)
        self._docs = len(docs)
        self.anchors = tuple(anchors)

    def _idf(self, stem: str) -> float:
        freq = self._freq.get(stem, 0)
        return math.log(1.0 + (self._docs - freq + 0.5) / (freq + 0.5))

    def coverage(self, text: str) -> float:
        """Share of the question's stems, weighted by rarity, found in the phrasings."""
        stems = list(dict.fromkeys(_stems(text)))
        total = sum(self._idf(stem) for stem in stems)
        known = sum(self._idf(stem) for stem in stems if stem in self._freq)
        return known / total if total > 0 else 0.0

    def anchor(self, text: str) -> float:
        """1.0 when the question names an anchor (or the language lists none), else 0.0."""
        if not self.anchors:
            return 1.0
        words = fold_words(text)
        return 1.0 if any(anchor_matches(a, w) for a in self.anchors for w in words) else 0.0


def _stems(text: str) -> list[str]:
    return [word[:STEM] for word in fold_words(text)]
