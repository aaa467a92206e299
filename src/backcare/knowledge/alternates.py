"""Load the pack's questions asked in other languages (translated alternates).

``i18n/<code>/questions.yaml`` in a pack folder::

    anchors: [word, stem*, ...]     optional: the language's words for "back", "spasm"
    alternates:
      <entry id>:
        - one way a person would ask the entry's question in <code>
        - ...

Only cross-language search reads them (``retrieval/crosslingual.py``): a
question in ``<code>`` is matched against them as well as against the
entry's English questions. The answers stay in English. An entry a language
does not list is matched through its English questions alone, so a partial
translation is valid; an unknown entry id, a blank or repeated phrasing, or a
folder that is not an ISO 639-1 code is an error naming the file and the entry
(``validate.validate_translated_alternates``). ``anchors`` feed the
confidence of cross-language answers (``retrieval/lexicon.py``); a language
without them is not held to naming one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from backcare.errors import PackValidationError
from backcare.knowledge._yaml import read_yaml
from backcare.knowledge.validate import validate_translated_alternates
from backcare.model import FaqEntry

__all__ = [
    "FILE_NAME",
    "TranslatedAlternates",
    "TranslatedQuestions",
    "load_translated_alternates",
]

#: The file each language folder may hold.
FILE_NAME = "questions.yaml"

#: language code → entry id → phrasings in that language.
TranslatedAlternates = Mapping[str, Mapping[str, tuple[str, ...]]]

_CODE = re.compile(r"^[a-z]{2}$")
_ANCHOR = re.compile(r"^[^\s*]+\*?$")


@dataclass(frozen=True)
class TranslatedQuestions:
    """What a pack's ``i18n/*/questions.yaml`` files hold, by language code."""

    alternates: TranslatedAlternates = field(default_factory=dict)
    anchors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def load_translated_alternates(folder: Path, entries: Sequence[FaqEntry]) -> TranslatedQuestions:
    """Read every ``<code>/questions.yaml`` under ``folder`` (a pack's ``i18n/``).

    Raises:
        KnowledgePackError: a file is unreadable.
        PackValidationError: a file is malformed or names an unknown entry,
            or holds a blank or repeated phrasing, or an anchor is not one word
            (optionally ending in ``*``); the message names the file.
    """
    if not folder.is_dir():
        return TranslatedQuestions()
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    anchors: dict[str, tuple[str, ...]] = {}
    for path in sorted(folder.glob(f"*/{FILE_NAME}")):
        code = path.parent.name
        if not _CODE.match(code) or code == "en":
            raise PackValidationError(
                f"{path}: folder {code!r} must be a two-letter ISO 639-1 code other than 'en'"
            )
        found[code], anchors[code] = _read(path)
        problems = validate_translated_alternates(entries, code, found[code])
        if problems:
            listed = "\n  ".join(str(problem) for problem in problems)
            raise PackValidationError(f"{path}: {len(problems)} problem(s):\n  {listed}")
    return TranslatedQuestions(alternates=found, anchors=anchors)


def _read(path: Path) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    data = read_yaml(path)
    raw_anchors = data.get("anchors", []) if isinstance(data, dict) else []
    if not isinstance(raw_anchors, list) or not all(
        isinstance(a, str) and _ANCHOR.match(a) for a in raw_anchors
    ):
        raise PackValidationError(
            f"{path}: field 'anchors': expected a list of single words, each optionally "
            "ending in '*'"
        )
    table = data.get("alternates") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise PackValidationError(
            f"{path}: expected 'alternates:' mapping entry ids to lists of questions"
        )
    result: dict[str, tuple[str, ...]] = {}
    for entry_id, phrasings in table.items():
        if not isinstance(phrasings, list) or not all(isinstance(p, str) for p in phrasings):
            raise PackValidationError(
                f"{path}: entry '{entry_id}': field 'alternates': expected a list of strings"
            )
        result[str(entry_id)] = tuple(phrasings)
    return result, tuple(raw_anchors)
