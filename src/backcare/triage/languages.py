"""Triage against several languages' rule sets at once; the most urgent wins.

Each language is a ``RedFlagRules`` table run by the one rule engine
(``backcare.triage.triage``) with that language's cues. The rule ids are the
English ones, so a flag means the same whichever language found it, and the
reply is worded in one language: the rule's own message in the reply
language when it has one, else the message of the table that fired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from backcare.model import RedFlagRule, RedFlagRules, TriageFlag, TriageLevel, TriageResult
from backcare.triage import triage

__all__ = ["triage_languages"]


def triage_languages(
    text: str,
    tables: Mapping[str, RedFlagRules],
    *,
    reply: str,
    run: Sequence[str],
    unchecked_notice: str | None = None,
) -> TriageResult:
    """Check ``text`` against the tables named in ``run`` and word the result in ``reply``.

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
    wording = {rule.id: rule for rule in tables[reply].rules}
    fired: dict[str, tuple[TriageFlag, RedFlagRule]] = {}
    for code in run:
        table = tables[code]
        for flag in triage(text, table).flags:
            if flag.id not in fired:
                own = next(rule for rule in table.rules if rule.id == flag.id)
                fired[flag.id] = (flag, wording.get(flag.id, own))
    # Most urgent first; the order found breaks ties (stable sort).
    ordered = sorted(fired.values(), key=lambda pair: -pair[0].level.rank)
    level = TriageLevel.most_urgent([flag.level for flag, _ in ordered])
    lines = [unchecked_notice] if unchecked_notice else []
    # "Nothing you wrote points to a warning sign" would contradict the notice.
    if not (unchecked_notice and level is TriageLevel.SELF_CARE):
        lines.append(tables[reply].levels[level])
    lines += [rule.action for _, rule in ordered if rule.action]
    lines += [f"- {rule.message}" for _, rule in ordered]
    return TriageResult(
        level=level,
        flags=tuple(flag for flag, _ in ordered),
        message="\n".join(lines),
        lang=reply,
        languages=tuple(dict.fromkeys(run)),
        checked=unchecked_notice is None,
    )
