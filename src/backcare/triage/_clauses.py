"""Cut a normalised message into clauses for the layers that read one clause at a time.

Coarser than the negation scope of ``ScopeReader`` (which also stops at
"and", "since" and "so"): a clause here should keep a symptom together with
the words that describe it ("numbness and tingling round my bum"), so it
ends at sentence marks, commas and words that change the subject ("but",
"plus", "since"), and at "and" only between two statements of some length
("my back is sore and my chest feels tight"), not inside a short list.
"""

from __future__ import annotations

import re

__all__ = ["clauses"]

_BREAK = re.compile(
    r"[.;!?\n()]|,|:|"
    r"\b(?:but|however|though|although|except|whereas|apart from|other than|otherwise|"
    r"plus|also|since|ever since|because|cos)\b"
)
_AND = re.compile(r"\band\b")
_WORDS = re.compile(r"\w+")
_MIN_SIDE = (3, 2)  # words before and after an "and" that splits


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` (already normalised) holding at least one word, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for brk in _BREAK.finditer(text):
        _split_and(text, start, brk.start(), spans)
        start = brk.end()
    _split_and(text, start, len(text), spans)
    return spans


def _split_and(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    for conj in _AND.finditer(text, start, end):
        before = len(_WORDS.findall(text, start, conj.start()))
        after = len(_WORDS.findall(text, conj.end(), end))
        if before >= _MIN_SIDE[0] and after >= _MIN_SIDE[1]:
            _add(text, start, conj.start(), spans)
            start = conj.end()
    _add(text, start, end, spans)


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    if _WORDS.search(text, start, end):
        spans.append((start, end))
