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

The same stems give a small BM25 signal (`Lexicon.bm25`): each entry's
phrasings in the language as one document. It only breaks near-ties between
the encoder's scores (see ``crosslingual.py``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

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

    def __init__(
        self,
        ids: Sequence[str],
        phrasings: Mapping[str, Sequence[str]],
        anchors: Sequence[str],
    ) -> None:
        """Count the stems of the phrasings.

        Args:
            ids: the entry ids, in the retriever's order.
            phrasings: entry id → its phrasings in the language.
            anchors: the language's anchors, as `anchor_matches` reads them.
        """
        texts = [text for entry_id in ids for text in phrasings.get(entry_id, ())]
        docs = [set(_stems(text)) for text in texts]
        self._freq = Counter(stem for doc in docs for stem in doc)
        self._docs = len(docs)
        self.anchors = tuple(anchors)
        # BM25 with each entry's phrasings as one document.
        self._entry_terms = [
            Counter(stem for text in phrasings.get(entry_id, ()) for stem in _stems(text))
            for entry_id in ids
        ]
        self._entry_freq = Counter(stem for terms in self._entry_terms for stem in terms)
        lengths = [sum(terms.values()) for terms in self._entry_terms]
        self._lengths = np.asarray(lengths, dtype=np.float64)
        self._mean_length = max(float(np.mean(self._lengths)) if lengths else 0.0, 1.0)

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

    def bm25(self, text: str, *, without: tuple[int, str] | None = None) -> npt.NDArray[np.float64]:
        """Each entry's BM25 score for ``text`` over its phrasings, from 0 to 1.

        Divided by the most any entry could score for ``text``, counting each
        word the phrasings lack as the rarest: a question sharing one everyday
        word with them ("dolor", "boli") stays near 0, where dividing by the
        best score would have given its best entry 1.

        ``without`` (entry index, phrasing) scores as if that phrasing were not
        in its entry's document (calibration's leave-one-out).
        """
        count = len(self._entry_terms)
        scores = np.zeros(count, dtype=np.float64)
        removed: Counter[str] = Counter()
        lengths = self._lengths
        if without is not None:
            removed = Counter(_stems(without[1]))
            lengths = lengths.copy()
            lengths[without[0]] -= sum(removed.values())
        k1, b = 1.2, 0.75
        norm = k1 * (1.0 - b + b * lengths / self._mean_length)
        bound = 0.0
        for stem in dict.fromkeys(_stems(text)):
            docs = self._entry_freq.get(stem, 0)
            idf = math.log(1.0 + (count - docs + 0.5) / (docs + 0.5))
            bound += idf * (k1 + 1.0)
            if not docs:
                continue
            freq = np.asarray([terms.get(stem, 0) for terms in self._entry_terms], dtype=np.float64)
            if without is not None:
                freq[without[0]] -= removed.get(stem, 0)
            scores += idf * freq * (k1 + 1.0) / (freq + norm)
        return np.clip(scores / bound, 0.0, 1.0) if bound > 0 else scores


def _stems(text: str) -> list[str]:
    return [word[:STEM] for word in fold_words(text)]
