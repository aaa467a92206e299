"""Which language a message is written in, offline and in well under a millisecond.

``detect_language`` wraps lingua (``lingua-language-detector``, Apache-2.0,
statistical n-gram models shipped inside the wheel: nothing is downloaded).
The detector only weighs the languages backcare has red-flag rules for plus a
few that are common among NHS patients, so that "this is Urdu, which we cannot
read" can be told apart from "this is short and probably English".

The rule for short or ambiguous text: when lingua's best guess has a
confidence below ``MIN_CONFIDENCE`` (or the text has fewer than
``MIN_LETTERS`` letters), the answer is English with ``reliable=False``.
English is the pack's own language. Triage never relies on the answer: every
language's rules run on every message (``triage_plan``); the language only
chooses the wording of the reply.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

from lingua import ConfidenceValue, IsoCode639_1, LanguageDetector, LanguageDetectorBuilder
from lingua import Language as LinguaLanguage

from backcare.model import DetectedLanguage

__all__ = [
    "DEFAULT_LANGUAGE",
    "MIN_CONFIDENCE",
    "MIN_LETTERS",
    "OTHER_LANGUAGES",
    "SUPPORTED_LANGUAGES",
    "TriagePlan",
    "detect_language",
    "language_name",
    "triage_plan",
    "warm_up",
]

DEFAULT_LANGUAGE = "en"

# ISO 639-1 codes with red-flag rules (English first: it is the default).
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pl", "pt", "ar")

# Recognised but not served: languages widely spoken by NHS patients (Urdu,
# Punjabi, Bengali, Gujarati, Romanian, Somali...) and close neighbours of the
# supported ones (Italian, Catalan, Dutch), so that they are not forced onto
# the nearest supported language. Each extra language costs detection time.
OTHER_LANGUAGES: tuple[str, ...] = (
    "it",
    "ca",
    "nl",
    "ro",
    "ru",
    "uk",
    "tr",
    "fa",
    "ur",
    "pa",
    "bn",
    "gu",
    "hi",
    "so",
    "zh",
)

# Below this, lingua's best guess is a coin toss between related languages
# (measured on the eval sets in content/i18n: see docs/languages.md).
MIN_CONFIDENCE = 0.5
# Fewer letters than this is not enough text to tell languages apart.
MIN_LETTERS = 4


def detect_language(text: str) -> DetectedLanguage:
    """The language ``text`` is written in (see the module docstring for the rule).

    Args:
        text: a message of any length; only its letters matter.

    Returns:
        The best-supported reading of the language; never raises.
    """
    letters = sum(char.isalpha() for char in text)
    if letters < MIN_LETTERS:
        return _fallback(0.0)
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return _fallback(0.0)
    best = values[0]
    code = _code(best)
    if best.value < MIN_CONFIDENCE:
        english = next((value.value for value in values if _code(value) == DEFAULT_LANGUAGE), 0.0)
        return _fallback(english)
    return DetectedLanguage(
        code=code,
        supported=code in SUPPORTED_LANGUAGES,
        confidence=round(best.value, 4),
        reliable=True,
    )


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


def warm_up() -> None:
    """Load the detector's models now (about 1.7 s), so no message waits for them."""
    _detector().compute_language_confidence_values("warm up")


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 code ("ur" -> "Urdu"); the code itself if unknown."""
    try:
        language = LinguaLanguage.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return code
    return language.name.title()


def _fallback(confidence: float) -> DetectedLanguage:
    return DetectedLanguage(
        code=DEFAULT_LANGUAGE, supported=True, confidence=round(confidence, 4), reliable=False
    )


def _code(value: ConfidenceValue) -> str:
    return value.language.iso_code_639_1.name.lower()


@functools.cache
def _detector() -> LanguageDetector:
    """Built once per process; lingua loads the models on first use (``warm_up``).

    The full models, not lingua's low-accuracy mode: on the 447 labelled
    messages (the six language sets, the held-out set and the English triage
    and retrieval sets) low-accuracy mode named a wrong language with
    confidence >= MIN_CONFIDENCE 11 times ("Je n'arrive pas à relever la
    pointe du pied" as English, 0.85), the full models never. The price is
    the first call (1.7 s instead of 85 ms) and memory (about 390 MB peak
    instead of 60 MB): benchmarks/bench_language.py --modes.
    """
    languages = [
        LinguaLanguage.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in (*SUPPORTED_LANGUAGES, *OTHER_LANGUAGES)
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()
