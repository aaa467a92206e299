"""Which language a message is written in, offline, and what triage does with it.

- ``tables.py``: the codes backcare serves and recognises, and their names.
- ``markers.py``: English words that settle a message as English.
- ``identify.py``: lingua behind the rule for short or ambiguous text
  (``detect_language``, ``warm_up``).
- ``plan.py``: which red-flag rule sets run, and the reply's language
  (``triage_plan``). Triage never relies on identification: every language's
  rules run on every message; the language only chooses the reply's wording.
"""

from backcare.language.identify import (
    CONFIG,
    MIN_CONFIDENCE,
    MIN_LETTERS,
    IdentifierConfig,
    LanguageIdentifier,
    detect_language,
    warm_up,
)
from backcare.language.markers import ENGLISH_MARKERS
from backcare.language.plan import TriagePlan, triage_plan
from backcare.language.tables import (
    DEFAULT_LANGUAGE,
    OTHER_LANGUAGES,
    SUPPORTED_LANGUAGES,
    language_name,
)

__all__ = [
    "CONFIG",
    "DEFAULT_LANGUAGE",
    "ENGLISH_MARKERS",
    "MIN_CONFIDENCE",
    "MIN_LETTERS",
    "OTHER_LANGUAGES",
    "SUPPORTED_LANGUAGES",
    "IdentifierConfig",
    "LanguageIdentifier",
    "TriagePlan",
    "detect_language",
    "language_name",
    "triage_plan",
    "warm_up",
]
