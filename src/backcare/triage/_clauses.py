"""Cut a normalised message into clauses for the layers that read one clause at a time.

Coarser than the negation scope of ``ScopeReader`` (which also stops at
"and", "since" and "so"): a clause here should keep a symptom together with
the words that describe it ("numbness and tingling round my bum"), so it
ends at sentence marks, commas and words that change the subject ("but",
"plus", "since"; French "plus" excepted, see ``_no_longer``), and at "and"
only between two statements of some length ("my back is sore and my chest
feels tight"), not inside a short list.
"""

from __future__ import annotations

import re

__all__ = ["clauses"]

# Arabic writes its own comma, semicolon and question mark (U+060C, U+061B,
# U+061F): round 13 found "في البداية كنت بخير" (at first I was fine) after
# "؛" reassuring the fall told before it, one clause with no break.
_BREAK = re.compile(
    r"[.;!?\n()\u060c\u061b\u061f]|,|:|"
    r"\b(?:but|however|though|although|except|whereas|apart from|other than|otherwise|"
    r"plus|also|since|ever since|because|cos)\b"
)
# French "plus" is "no longer" ("mes jambes ne me portent plus"), not
# English "plus" joining two statements: it does not break a clause whose
# words so far are French (a subject pronoun or "ne"; the apostrophes are
# gone after normalising, "j'ai" is "jai") or that goes on "plus de / rien /
# jamais / du". None of these words is English, so no English clause changes
# ("me", "on", "la", "a" are left out for that reason).
_FRENCH_BEFORE = re.compile(r"\b(?:ne|je|jai|il|elle|ils|elles|tu|nous|vous)\b")
_FRENCH_AFTER = re.compile(r" *(?:de|du|des|rien|jamais|personne)\b")
_AND = re.compile(r"\band\b")
_WORDS = re.compile(r"\w+")
_MIN_SIDE = (3, 2)  # words before and after an "and" that splits


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` (already normalised) holding at least one word, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for brk in _BREAK.finditer(text):
        if brk.group() == "plus" and _no_longer(text, start, brk.start(), brk.end()):
            continue
        _split_and(text, start, brk.start(), spans)
        start = brk.end()
    _split_and(text, start, len(text), spans)
    return spans


def _no_longer(text: str, start: int, at: int, end: int) -> bool:
    """Whether the "plus" at ``text[at:end]`` is French "no longer", not a break."""
    return bool(_FRENCH_BEFORE.search(text, start, at) or _FRENCH_AFTER.match(text, end))


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
