"""Text normalisation (questions and ingested text alike) and the word analyser.

Indexing and querying must cut text into the same terms, or BM25 silently
misses; so both go through :class:`Analyzer`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import Stemmer

__all__ = ["STOPWORDS", "Analyzer", "normalise_text", "words"]

# Curly quotes and primes that NFKC leaves alone. Dashes stay as written: the
# word pattern below drops them anyway, and ingested FAQ text keeps them.
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
# Zero-width and formatting characters, soft hyphen, BOM, controls except tab/newline.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]")
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


def normalise_text(text: str, *, keep_lines: bool = False) -> str:
    """NFKC, curly quotes straightened, invisible characters dropped, whitespace collapsed.

    The one normaliser for questions (``prepare_query``) and for ingested FAQ
    text, so a question and the entries it is matched against are cleaned
    alike. Case is kept.

    Args:
        text: any text.
        keep_lines: keep newlines (they separate paragraphs and list items in
            answers): each line is collapsed and stripped, and blank runs are
            squeezed to one blank line. False folds everything onto one line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # the common ASCII case skips the costly passes
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    if not keep_lines:
        return " ".join(text.split())
    out: list[str] = []
    for line in text.split("\n"):
        collapsed = " ".join(line.split())
        if collapsed or (out and out[-1]):
            out.append(collapsed)
    return "\n".join(out).strip()


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
