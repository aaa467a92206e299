"""The language codes backcare serves and recognises, and their English names."""

from __future__ import annotations

from lingua import IsoCode639_1
from lingua import Language as LinguaLanguage

__all__ = ["DEFAULT_LANGUAGE", "OTHER_LANGUAGES", "SUPPORTED_LANGUAGES", "language_name"]

DEFAULT_LANGUAGE = "en"

# ISO 639-1 codes with red-flag rules (English first: it is the default).
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pl", "pt", "ar")

# Recognised but not served, so that they get the "warning signs could not be
# checked" notice instead of being read as the nearest supported language:
# languages widely spoken by NHS patients (Urdu, Punjabi, Bengali, Gujarati,
# Romanian, Lithuanian, Bulgarian, Hungarian, Somali, Tamil...) and close
# neighbours of the supported ones (Italian, Catalan, Dutch). Welsh and Tagalog
# are left out: each made lingua name a served language wrongly (an English and
# a Spanish message) on the labelled sets. See docs/languages.md.
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
    "ta",
    "el",
    "lt",
    "bg",
    "hu",
)


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 code ("ur" -> "Urdu"); the code itself if unknown."""
    try:
        language = LinguaLanguage.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return code
    return language.name.title()
