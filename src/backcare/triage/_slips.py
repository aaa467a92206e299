"""Words known with one slip of the keyboard, for the layers after the rules."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["REAL_WORDS", "TOKEN", "SlipTolerant"]

TOKEN = re.compile(r"[a-z]+")
"""A word of triage-normalised text, as the word lists spell them."""


# Real words one slip from a red-flag word that the pack's own text may lack.
REAL_WORDS = frozenset(
    (
        "ladder ladders blather pool pools towel towels vowel vowels bowls bowled bowler bowling "
        "never sever seven clever lever river fewer hover cover cheat cheap cheer cheese chess "
        "heard hearth hearts heat wetter getting setting betting letting netting petting jetting "
        "letter better setter leaning peaking peeking reaking sneaking leasing leaking bleeding "
        "nibble dribble scribble stood spool stoop stole stock stall groan grain groin groins "
        "peeling feeling reeling kneeling healing sealing dealing ceiling palling falling calling "
        "nervous nervy numbers number lumber slumber tumble rumble humble tingle single jingle "
        "mingle bottle bottles bottom button mutton seating heating beating eating meeting sheet "
        "weeks weekly wheel wheels kneel knees kneed breathe breath breadth bread broad brought "
        "chased chaste crest chest cheats shed shred dream dreams weakly weekly meekly strain "
        "straining stain strains sprain sprained trains brain drain drained grained horse house "
        "hose hoses mouse worse worst nurse purse curse blood flood floods bloody flooded "
        "haven canter banter center painting fainting hitting sitting knitting fitting pitting"
    ).split()
)
"""Never read as a slip: "ladder" is not "bladder", "getting" is not "wetting"."""


class SlipTolerant:
    """A word list that also knows each word with one slip of the keyboard.

    Symmetric deletion (as in SymSpell): a word with a letter added or
    missing, or (for words of six letters or more) one letter changed or two
    swapped, shares a one-letter deletion with the word. Shorter words need
    more care ("pants"/"pains", French "cest"/"chest"), so words of four or
    five letters match only exactly, with a letter added, or with two
    neighbours swapped ("unmb"), and shorter ones only exactly.
    """

    def __init__(self, words: Sequence[str], *, missing_from: int = 6) -> None:
        """Index ``words`` (lower case, one word each).

        ``missing_from``: the shortest word also known with a letter missing;
        lower it for words only looked for beside another ("numb" as "umb"
        once the clause is about the groin).
        """
        self._exact = frozenset(words)
        self._long = frozenset(word for word in words if len(word) >= 4)
        # A letter missing only from words of six letters or more: "cest"
        # (French) is "chest" less a letter, "les" is "legs".
        self._missing = frozenset(
            v for word in words if len(word) >= missing_from for v in _deletions(word)
        )
        self._changed = frozenset(v for word in words if len(word) >= 6 for v in _deletions(word))
        self._swapped = frozenset(
            word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            for word in self._long
            for i in range(len(word) - 1)
        )

    def knows(self, token: str) -> bool:
        """Whether ``token`` is one of the words, or one with a single slip."""
        if token in self._exact:
            return True
        if len(token) < 3 or token in REAL_WORDS:
            return False
        if token in self._missing or token in self._swapped:
            return True
        return any(v in self._long or v in self._changed for v in _deletions(token))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
