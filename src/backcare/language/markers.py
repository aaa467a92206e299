"""English words that settle a message as English when lingua reads it as something else."""

from __future__ import annotations

import re

__all__ = ["ENGLISH_MARKERS", "has_english_marker"]

# Words of English that are not words of any served or recognised language
# (checked against every labelled message of eval/i18n, 704 lines: none holds
# one). lingua's low-accuracy mode reads short English as German, Dutch or
# French ("swollen ankles when pregnant": German, 0.998): 82 of 4,877 English
# lines of the repository's sets. A message with one of these words is read as
# English instead (the fallback), which left 17 misread, mostly gibberish or
# off-topic; the full models misread 2 of 1,085 but cost ~410 MB (2026-12-06).
# Excluded on purpose: "was", "will", "after" (German), "muscle", "pain"
# (French), "my", "i", "to", "do", "a" (Polish, Portuguese, Spanish), "help" (Dutch),
# "been", "went", "wee" (Dutch: leg, gets used to, woe), "just" (German). The
# pronouns, contractions and body words were added when "wet myself" was read
# as Dutch and told it had not been checked (2026-12-07).
ENGLISH_MARKERS: frozenset[str] = frozenset(
    "the what when how why your you is are does did can could should would with for and "
    "of it its this that have has had from get got not any about there there's i'm it's "
    "what's can't don't back spasm spasms symptoms lower exercises stretch stretches ache "
    "hurts hurt worse better relief painkillers pills myself yourself himself herself "
    "since i've i'd he's she's isn't won't couldn't didn't doesn't haven't wasn't "
    "bladder legs pee peed numb feel feeling".split()
)
# Whole words in any script: "[a-z']+" cut "força" into "for" and "a", and
# "for" made a Portuguese line English (reply, nets and all), as it did
# "noté" ("not") in Spanish.
_MARKER_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def has_english_marker(text: str) -> bool:
    """Whether ``text`` holds one of ``ENGLISH_MARKERS`` (apostrophes folded, any case)."""
    return not ENGLISH_MARKERS.isdisjoint(_MARKER_WORD.findall(text.lower().replace("\u2019", "'")))
