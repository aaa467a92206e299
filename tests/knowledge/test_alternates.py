"""The pack's translated alternates (content/i18n/*/questions.yaml): shape and validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backcare import KnowledgePack, PackValidationError, load_pack
from backcare.knowledge.pack import shipped_pack_dir
from backcare.knowledge.validate import validate_translated_alternates
from backcare.retrieval.lexicon import anchor_matches, fold_words

LANGUAGES = ("es", "fr", "de", "pl", "pt", "ar")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(shipped_pack_dir(), root)
    return root


def test_every_language_phrases_every_entry(pack: KnowledgePack) -> None:
    alternates = pack.translated_questions.alternates
    assert set(alternates) == set(LANGUAGES)
    ids = {entry.id for entry in pack.entries}
    for code in LANGUAGES:
        assert set(alternates[code]) == ids, code
        assert all(len(phrasings) >= 4 for phrasings in alternates[code].values()), code


def test_no_translated_alternate_is_a_test_question(pack: KnowledgePack) -> None:
    # The test sets are measured once; a phrasing copied from them would fit them.
    asked = {
        " ".join(json.loads(line)["q"].casefold().strip(" ?¿!.").split())
        for path in sorted((REPO / "eval" / "i18n").glob("questions_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert asked, "no test sets found"
    copied = [
        text
        for table in pack.translated_questions.alternates.values()
        for phrasings in table.values()
        for text in phrasings
        if " ".join(text.casefold().strip(" ?¿!.").split()) in asked
    ]
    assert copied == []


def test_every_anchor_is_a_word_of_its_languages_phrasings(pack: KnowledgePack) -> None:
    translated = pack.translated_questions
    for code, anchors in translated.anchors.items():
        assert anchors, code
        words = {
            word
            for phrasings in translated.alternates[code].values()
            for text in phrasings
            for word in fold_words(text)
        }
        unused = [a for a in anchors if not any(anchor_matches(a, w) for w in words)]
        assert unused == [], (code, unused)


def test_validation_names_unknown_entries_blanks_and_repeats(pack: KnowledgePack) -> None:
    problems = validate_translated_alternates(
        pack.entries,
        "es",
        {"nope": ["hola"], "sleep": ["¿Cómo duermo?", "  "], "stop": ["¿cómo  DUERMO?"]},
    )
    found = {(p.entry_id, p.field, p.message) for p in problems}
    assert ("nope", "alternates.es", "unknown entry id") in found
    assert ("sleep", "alternates.es", "holds a blank phrasing") in found
    assert any(p.entry_id == "stop" and "also under 'sleep'" in p.message for p in problems)
    assert validate_translated_alternates(pack.entries, "es", {"sleep": ["¿Cómo duermo?"]}) == []


def _edit(pack_copy: Path, code: str, old: str, new: str) -> Path:
    path = pack_copy / "i18n" / code / "questions.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_an_unknown_entry_is_refused_with_file_and_entry(pack_copy: Path) -> None:
    _edit(pack_copy, "pl", "  cant_move:\n", "  cant_moove:\n")
    with pytest.raises(PackValidationError) as info:
        load_pack(pack_copy)
    message = str(info.value)
    assert "pl/questions.yaml" in message and "entry 'cant_moove'" in message
    assert "alternates.pl" in message


def test_a_repeated_phrasing_is_refused(pack_copy: Path) -> None:
    first = load_pack(pack_copy).translated_questions.alternates["de"]["sleep"][0]
    _edit(pack_copy, "de", "  stop:\n", f"  stop:\n    - {first}\n")
    with pytest.raises(PackValidationError, match="also under 'sleep'"):
        load_pack(pack_copy)


def test_a_malformed_file_is_refused(pack_copy: Path) -> None:
    _edit(pack_copy, "fr", "anchors: [", "anchors: [deux mots, ")
    with pytest.raises(PackValidationError, match="field 'anchors'"):
        load_pack(pack_copy)
    shutil.copy(
        shipped_pack_dir() / "i18n" / "fr" / "questions.yaml",
        pack_copy / "i18n" / "fr" / "questions.yaml",
    )
    _edit(pack_copy, "fr", "  cure:\n", "  cure: une seule phrase\n  cure_old:\n")
    with pytest.raises(PackValidationError, match="expected a list of strings"):
        load_pack(pack_copy)


def test_a_folder_that_is_not_a_language_code_is_refused(pack_copy: Path) -> None:
    (pack_copy / "i18n" / "spanish").mkdir()
    shutil.copy(
        pack_copy / "i18n" / "es" / "questions.yaml",
        pack_copy / "i18n" / "spanish" / "questions.yaml",
    )
    with pytest.raises(PackValidationError, match="ISO 639-1"):
        load_pack(pack_copy)


def test_a_pack_without_translations_has_none(pack_copy: Path) -> None:
    for code in LANGUAGES:
        (pack_copy / "i18n" / code / "questions.yaml").unlink()
    loaded = load_pack(pack_copy)
    assert loaded.translated_questions.alternates == {}
    assert loaded.translated_questions.anchors == {}


def test_translations_change_the_content_hash(pack: KnowledgePack, pack_copy: Path) -> None:
    # The cross-language vectors are cached under the hash: an edit must rebuild them.
    _edit(pack_copy, "pt", "  sleep:\n", "  sleep:\n    - como devo dormir com lumbago\n")
    assert load_pack(pack_copy).content_hash != pack.content_hash
