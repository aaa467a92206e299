"""Text normalisation and the word analyser shared by indexing and querying.

Indexing and querying must cut text into the same terms, or BM25 silently
misses; so both go through :class:`Analyzer`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import Stemmer

__all__ = ["STOPWORDS", "Analyzer", "normalise_text", "words"]

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Function words only: "back", "long", "when", "worse" and the like carry the
# meaning of back-pain questions and must stay searchable.
STOPWORDS = frozenset(
    """
    a about also am an and are as at be been being but by can could did do does doing for from
    had has have having he her hers him his i i'm i've id if im in into is it it's its itself
    just me my myself of on or our ours she so some such than that that's the their theirs them
    then there these they this those to too us very was we were what what's which who whom
    whose will with would you your yours yourself yourselves 's 're 'll 've
    """.split()
)


def normalise_text(text: str) -> str:
    """NFKC-normalise, straighten quotes and collapse whitespace (case is kept)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Lower-cased word tokens of already-normalised text, stopwords included."""
    return _WORD.findall(text.lower())


class Analyzer:
    """Cuts text into stemmed, stopword-free terms (English Snowball stemmer)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")

    def terms(self, text: str) -> list[str]:
        """The BM25 terms of ``text``, in order, repeats kept."""
        return self.terms_of_words(words(text))

    def terms_of_words(self, tokens: Iterable[str]) -> list[str]:
        """Stem the non-stopword tokens of an already-split text."""
        kept = [token.replace("'", "") for token in tokens if token not in STOPWORDS]
        return [term for term in self._stemmer.stemWords(kept) if term]
