"""Identifying a message's language with lingua, and the rule for short or ambiguous text.

``detect_language`` wraps lingua (``lingua-language-detector``, Apache-2.0,
statistical n-gram models shipped inside the wheel: nothing is downloaded).
The detector only weighs the languages backcare has red-flag rules for plus a
few that are common among NHS patients (``tables.py``), so that "this is Urdu,
which we cannot read" can be told apart from "this is short and probably
English".

lingua runs in its low-accuracy mode (trigram models only), loaded for every
script when ``Backcare.open`` calls ``warm_up``: on the labelled sets it missed
fewer unsupported-language messages than the full models and costs about
30 MB and 0.1 s per process instead of about 410 MB and seconds of loading
(``benchmarks/bench_language.py --candidates``, docs/languages.md).

The rule for short or ambiguous text: when lingua's guess has a
confidence below ``MIN_CONFIDENCE`` (or the text has fewer than
``MIN_LETTERS`` letters), the answer is English with ``reliable=False``; so is
a message holding one of the English markers (``markers.py``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from lingua import ConfidenceValue, IsoCode639_1, LanguageDetector, LanguageDetectorBuilder
from lingua import Language as LinguaLanguage

from backcare.language.markers import has_english_marker
from backcare.language.tables import DEFAULT_LANGUAGE, OTHER_LANGUAGES, SUPPORTED_LANGUAGES
from backcare.model import DetectedLanguage

__all__ = [
    "CONFIG",
    "MIN_CONFIDENCE",
    "MIN_LETTERS",
    "IdentifierConfig",
    "LanguageIdentifier",
    "detect_language",
    "warm_up",
]

# Below this, lingua's best guess is a coin toss between related languages
# (measured on the sets in eval/i18n: see docs/languages.md). With low-accuracy
# mode, 0.6 to 0.9 would word 3 to 12 more served-language lines in English and
# miss 0 to 7 more unsupported-language notices, for 1 to 4 fewer served lines
# wrongly told they were not checked (labelled sets, 2026-12-06).
MIN_CONFIDENCE = 0.5
# Fewer letters than this is not enough text to tell languages apart.
MIN_LETTERS = 4

# One short text per script that several recognised languages share.
_WARM_UP_TEXTS = ("warm up", "تجربة", "проверка")


def detect_language(text: str) -> DetectedLanguage:
    """The language ``text`` is written in (see the module docstring for the rule).

    Args:
        text: a message of any length; only its letters matter.

    Returns:
        The best-supported reading of the language; never raises.
    """
    return _identifier().detect(text)


@dataclass(frozen=True)
class IdentifierConfig:
    """How language identification is set up (``benchmarks/bench_language.py`` compares them).

    Attributes:
        languages: ISO 639-1 codes lingua weighs; must include ``DEFAULT_LANGUAGE``.
        low_accuracy: lingua's low-accuracy mode (trigram models only) instead
            of its full models (one- to five-gram).
        lazy: ``warm_up`` loads nothing; lingua loads each script's models on
            the first message that needs them (about 0.1 s in low-accuracy
            mode, 1 to 4 s with the full models: docs/languages.md).
    """

    languages: tuple[str, ...] = (*SUPPORTED_LANGUAGES, *OTHER_LANGUAGES)
    low_accuracy: bool = True
    lazy: bool = False


class LanguageIdentifier:
    """lingua behind the rule for short or ambiguous text; safe to share between threads."""

    def __init__(
        self, config: IdentifierConfig, *, plainly_english: Callable[[str], bool] | None = None
    ) -> None:
        """Set up identification; nothing is loaded until ``warm_up`` or ``detect``.

        Args:
            config: the languages and the mode.
            plainly_english: a cheap test; text it accepts is read as English
                without asking lingua (the lazy candidate of the benchmark).
        """
        self.config = config
        self._plainly_english = plainly_english
        self._lock = threading.Lock()
        self._lingua: LanguageDetector | None = None

    @property
    def loaded(self) -> bool:
        """Whether lingua's detector has been built (by ``warm_up`` or a detection)."""
        return self._lingua is not None

    def warm_up(self) -> None:
        """Build the detector and load every model it can need now (see ``warm_up``).

        lingua loads a language's models the first time a text in its script
        could be that language; one text per script that several recognised
        languages share (Latin, Arabic, Cyrillic) loads them all.
        """
        detector = self._detector()
        for text in _WARM_UP_TEXTS:
            detector.compute_language_confidence_values(text)

    def detect(self, text: str) -> DetectedLanguage:
        """The language of ``text`` (``detect_language``) under this configuration."""
        letters = sum(char.isalpha() for char in text)
        if letters < MIN_LETTERS:
            return _fallback(0.0)
        if self._plainly_english is not None and self._plainly_english(text):
            return DetectedLanguage(
                code=DEFAULT_LANGUAGE, supported=True, confidence=1.0, reliable=True
            )
        values = self._detector().compute_language_confidence_values(text)
        if not values:
            return _fallback(0.0)
        best = values[0]
        code = _code(best)
        if best.value < MIN_CONFIDENCE or (code != DEFAULT_LANGUAGE and has_english_marker(text)):
            english = next(
                (value.value for value in values if _code(value) == DEFAULT_LANGUAGE), 0.0
            )
            return _fallback(english)
        return DetectedLanguage(
            code=code,
            supported=code in SUPPORTED_LANGUAGES,
            confidence=round(best.value, 4),
            reliable=True,
        )

    def _detector(self) -> LanguageDetector:
        # lingua itself loads each language's models on first use, for the
        # script of the text at hand; the builder costs nothing.
        if self._lingua is None:
            with self._lock:
                if self._lingua is None:
                    languages = [_lingua_language(code) for code in self.config.languages]
                    builder = LanguageDetectorBuilder.from_languages(*languages)
                    if self.config.low_accuracy:
                        builder = builder.with_low_accuracy_mode()
                    self._lingua = builder.build()
        return self._lingua


def warm_up() -> None:
    """Load identification's models now (about 0.1 s and 30 MB), so no message waits for them.

    A no-op when the configuration is lazy (``IdentifierConfig.lazy``).
    """
    identifier = _identifier()
    if not identifier.config.lazy:
        identifier.warm_up()


def _fallback(confidence: float) -> DetectedLanguage:
    return DetectedLanguage(
        code=DEFAULT_LANGUAGE, supported=True, confidence=round(confidence, 4), reliable=False
    )


def _code(value: ConfidenceValue) -> str:
    return value.language.iso_code_639_1.name.lower()


# The configuration every process uses: low-accuracy models for all the
# languages above, loaded by ``warm_up``. The full models left 4 of 102
# unsupported-language messages without the notice against 2, and cost about
# 410 MB once every script was seen (``benchmarks/bench_language.py
# --candidates``; the table is in docs/languages.md).
CONFIG = IdentifierConfig()


def _lingua_language(code: str) -> LinguaLanguage:
    return LinguaLanguage.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


@functools.cache
def _identifier() -> LanguageIdentifier:
    """The process's identifier, built on first use with ``CONFIG``."""
    return LanguageIdentifier(CONFIG)
