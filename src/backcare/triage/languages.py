"""Triage against several languages' rule sets at once; the most urgent wins.

Each language is a ``RedFlagRules`` table run by the one rule engine
(``backcare.triage.triage``) with that language's cues. The rule ids are the
English ones, so a flag means the same whichever language found it, and the
reply is worded in one language: the rule's own message in the reply
language when it has one, else the message of the table that fired. The
layers after the rules are in ``backcare.triage.layered``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from backcare.model import RedFlagRules, TriageResult
from backcare.triage.layered import triage_layered

__all__ = ["triage_languages"]


def triage_languages(
    text: str,
    tables: Mapping[str, RedFlagRules],
    *,
    reply: str,
    run: Sequence[str],
    unchecked_notice: str | None = None,
) -> TriageResult:
    """Check ``text`` against the tables named in ``run`` (rules only) and word it in ``reply``.

    Args:
        text: the normalised message.
        tables: red-flag tables by ISO 639-1 code.
        reply: the language of the message and level actions (a key of ``tables``).
        run: the tables to check, in order of preference for evidence.
        unchecked_notice: when the message is in a language without rules,
            the plain statement (in ``reply``) that warning signs could not be
            checked; it leads the message and ``checked`` becomes False.

    Returns:
        The most urgent level over every table, one flag per rule id (the
        first table in ``run`` that found it gives the evidence), and the message.

    Raises:
        KeyError: ``reply`` or a language of ``run`` has no table.
    """
    return triage_layered(text, tables, reply=reply, run=run, unchecked_notice=unchecked_notice)
