"""Cut a normalised message into clauses for the layers that read one clause at a time.

Coarser than the negation scope of ``ScopeReader`` (which also stops at
"and", "since" and "so"): a clause here should keep a symptom together with
the words that describe it ("numbness and tingling round my bum"), so it
ends at sentence marks, commas and words that change the subject ("but",
"although"), and at "and" only where a new statement starts ("and now I...").
"""

from __future__ import annotations

import re

__all__ = ["clauses"]

_BREAK = re.compile(
    r"[.;!?\n()]|,|:|"
    r"\b(?:but|however|though|although|except|whereas|apart from|other than|otherwise)\b|"
    r"\band (?=(?:now|then|also|since|i|im|ive|id|my|it|its|theres|there|this|that|when)\b)"
)
_MIN_WORD = re.compile(r"\w")


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` (already normalised) holding at least one word, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for brk in _BREAK.finditer(text):
        _add(text, start, brk.start(), spans)
        start = brk.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    if _MIN_WORD.search(text, start, end):
        spans.append((start, end))
