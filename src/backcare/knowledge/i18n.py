"""Load the pack's red-flag rules in languages other than English.

``i18n/`` in a pack folder::

    i18n/languages.yaml          unchecked: {en: str, es: str, ...}
    i18n/<code>/red_flags.yaml   the red_flags.yaml format (knowledge/rules.py)

``<code>`` is ISO 639-1. Each language's table has its own level actions,
negation cues and patterns, but reuses the English rule ids: a rule id that
English lacks, or a level that differs from the English rule's, is an error,
so a translation can add ways of saying a warning sign but never change what
it means or how urgent it is. ``unchecked`` is the plain statement, per reply
language, that a message in a language without rules could not be checked
for warning signs; ``{language}`` in it becomes that language's English name.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from backcare.errors import PackValidationError
from backcare.knowledge._yaml import read_yaml
from backcare.knowledge.rules import load_red_flags
from backcare.model import RedFlagRules, Source

__all__ = ["DEFAULT_PARTIAL", "DEFAULT_UNCHECKED", "Translations", "load_translations"]

# For packs without an i18n folder: a message in any other language must still
# be told that it was not checked, never given a silent self_care.
DEFAULT_PARTIAL = (
    "Your message seems to be in {language}. backcare only reads warning signs in the languages "
    "it has rules for, so it checked the words it knows: it found the warning sign below, but the "
    "rest of your message could not be checked. If you also have numbness around your bottom or "
    "genitals, trouble peeing or controlling your bowels, weakness in your legs, chest pain or a "
    "fall or accident, call 999 (112 in the EU, 911 in the US) or go to A&E now."
)
DEFAULT_UNCHECKED = (
    "Your message seems to be in {language}, and backcare can only check for warning signs "
    "in the languages it has rules for, so the warning signs in it could NOT be checked. "
    "If you have numbness around your bottom or genitals, trouble peeing or controlling your "
    "bowels, weakness in your legs, chest pain or a fall or accident, call 999 (112 in the "
    "EU, 911 in the US) or go to A&E now."
)

_CODE = re.compile(r"^[a-z]{2}$")
_PLACEHOLDERS = frozenset({"language"})


@dataclass(frozen=True)
class Translations:
    """Red-flag tables by language (English excluded) and the unchecked notices."""

    red_flags: Mapping[str, RedFlagRules] = field(default_factory=dict)
    unchecked: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_UNCHECKED})
    # Round 13: said instead of ``unchecked`` when a served table still raised
    # a sign in such a message (languages.yaml ``partial``; optional).
    partial: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_PARTIAL})


def load_translations(
    folder: Path, english: RedFlagRules, sources: Mapping[int, Source]
) -> Translations:
    """Read and check every language in ``folder`` (a pack's ``i18n/``).

    Args:
        folder: the ``i18n`` folder; a pack without one is English only.
        english: the pack's English table, which the translations must agree with.
        sources: the pack's numbered sources.

    Raises:
        KnowledgePackError: a file is unreadable.
        PackValidationError: a table is invalid, names a rule English lacks,
            changes a rule's level, or a language has no unchecked notice.
    """
    if not folder.is_dir():
        return Translations()
    levels = {rule.id: rule.level for rule in english.rules}
    tables: dict[str, RedFlagRules] = {}
    for path in sorted(folder.glob("*/red_flags.yaml")):
        code = path.parent.name
        if not _CODE.match(code) or code == "en":
            raise PackValidationError(
                f"{path}: folder {code!r} must be a two-letter ISO 639-1 code other than 'en'"
            )
        table = load_red_flags(path, sources)
        for rule in table.rules:
            if rule.id not in levels:
                raise PackValidationError(
                    f"{path}: rule '{rule.id}' is not an English rule; translations reuse "
                    "the ids of red_flags.yaml"
                )
            if rule.level is not levels[rule.id]:
                raise PackValidationError(
                    f"{path}: rule '{rule.id}': level {rule.level.value} differs from the "
                    f"English rule's {levels[rule.id].value}"
                )
        tables[code] = table
    path = folder / "languages.yaml"
    partial = _notices(path, tables, "partial", required=False) or {"en": DEFAULT_PARTIAL}
    return Translations(
        red_flags=tables, unchecked=_notices(path, tables, "unchecked"), partial=partial
    )


def _notices(
    path: Path, tables: Mapping[str, RedFlagRules], key: str, *, required: bool = True
) -> dict[str, str]:
    """The notices under ``key`` of ``path``, one per language ({} when optional and absent)."""
    data = read_yaml(path)
    notices = data.get(key) if isinstance(data, dict) else None
    if notices is None and not required:
        return {}
    if not isinstance(notices, dict):
        raise PackValidationError(f"{path}: expected '{key}:' mapping language codes to text")
    missing = [code for code in ("en", *tables) if not str(notices.get(code) or "").strip()]
    if missing:
        raise PackValidationError(f"{path}: '{key}' needs a notice for: {', '.join(missing)}")
    for code, text in notices.items():
        names = {name for _, name, _, _ in string.Formatter().parse(str(text)) if name}
        if names - _PLACEHOLDERS:
            raise PackValidationError(
                f"{path}: '{key}.{code}': unknown placeholder(s) "
                f"{', '.join(sorted(names - _PLACEHOLDERS))}; only {{language}} is filled in"
            )
    return {str(code): str(text).strip() for code, text in notices.items()}
