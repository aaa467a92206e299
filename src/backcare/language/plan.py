"""Which red-flag rule sets run on a message, and which language the reply speaks.

Triage never relies on identification: every language's rules run on every
message; the detected language only chooses the wording of the reply.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from backcare.language.tables import DEFAULT_LANGUAGE
from backcare.model import DetectedLanguage

__all__ = ["TriagePlan", "triage_plan"]


@dataclass(frozen=True)
class TriagePlan:
    """Which red-flag rule sets to run on a message, and in which language to reply.

    Attributes:
        reply: the language of the reply (rule messages, level actions).
        run: every rule set to check the message against; the most urgent wins.
        unchecked: the message's language when backcare has no rules for it
            (the reply must say warning signs could not be checked), else None.
    """

    reply: str
    run: tuple[str, ...]
    unchecked: str | None


def triage_plan(
    detected: DetectedLanguage, available: Collection[str], *, override: str | None = None
) -> TriagePlan:
    """Decide the rule sets for a message and the language of the reply.

    Every available set runs, always: a mixed message ("me duele, can't pee")
    or a misidentified one must never lose a flag, and identification does
    name wrong languages on short text. The sets cost about 0.1 ms each, and
    each also knows the English denials, so English text does not trip them.
    Identification only chooses the wording: the reply speaks the
    ``override`` (``--lang``, the web page's picker) if given, else the
    detected language when it is reliable and has rules, else English; and a
    reliably detected language without rules makes the reply say so.

    Args:
        detected: what ``detect_language`` found.
        available: languages with rule sets (must include ``DEFAULT_LANGUAGE``).
        override: a language the person chose, one of ``available``.

    Raises:
        ValueError: ``override`` is not one of ``available``.
    """
    if override is not None and override not in available:
        known = ", ".join(sorted(available))
        raise ValueError(f"no red-flag rules in language {override!r}; choose one of: {known}")
    served = detected.reliable and detected.code in available
    reply = override or (detected.code if served else DEFAULT_LANGUAGE)
    wanted = [reply, *([detected.code] if served else []), DEFAULT_LANGUAGE, *sorted(available)]
    unchecked = detected.code if detected.reliable and not served else None
    return TriagePlan(reply=reply, run=tuple(dict.fromkeys(wanted)), unchecked=unchecked)
