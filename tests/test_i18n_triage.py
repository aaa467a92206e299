"""Red-flag triage in es, fr, de, pl, pt and ar, and how languages combine.

The per-language sets in eval/i18n are the acceptance sets of issue 17: no
emergency may be under-triaged, and each self_care line (a negation or a
plain strain) must stay self_care.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backcare.errors import PackValidationError, QueryError
from backcare.knowledge.pack import KnowledgePack, load_pack, shipped_pack_dir
from backcare.model import TriageLevel
from backcare.service import prepare_query, triage_text
from backcare.triage import triage

REPO = Path(__file__).resolve().parents[1]
SETS = sorted((REPO / "eval" / "i18n").glob("red_flags_*.jsonl"))
# Written after the rules, first run before any fix (see docs/languages.md).
HOLDOUT = REPO / "eval" / "i18n" / "holdout" / "red_flags_holdout.jsonl"
LANGUAGES = ("es", "fr", "de", "pl", "pt", "ar")
# Fresh sets written for an honest figure (docs/languages.md, "Red-flag test
# sets"). Each was committed before its one run; red_flags_, red_flags2_ and
# red_flags3_ were then used to fix the rules, so they are development sets
# now and must stay at level. The newest fresh set (red_flags4_) is not
# asserted line by line: fixing against it would turn it into a development
# set too.
TEST_DIR = REPO / "eval" / "i18n" / "test"
FIXED_TEST_SETS = [
    *sorted(TEST_DIR.glob("red_flags_*.jsonl")),
    *sorted(TEST_DIR.glob("red_flags2_*.jsonl")),
    *sorted(TEST_DIR.glob("red_flags3_*.jsonl")),
]
FRESH_TEST_SETS = sorted(TEST_DIR.glob("red_flags4_*.jsonl"))
# Emergencies of the fresh set under-triaged at its one run (`backcare eval`
# and the rules with the safety net alone both missed 19 of 36).
FRESH_UNDER_TRIAGED_AT_RUN = 19


def _lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


CASES = [(row["lang"], row) for path in (*SETS, HOLDOUT) for row in _lines(path)]
FIXED_CASES = [(row["lang"], row) for path in FIXED_TEST_SETS for row in _lines(path)]


def test_every_language_has_a_set_of_at_least_forty() -> None:
    rows = [row for path in SETS for row in _lines(path)]
    counts = {code: sum(1 for row in rows if row["lang"] == code) for code in LANGUAGES}
    assert all(count >= 40 for count in counts.values()), counts


@pytest.mark.parametrize(
    "path", sorted(TEST_DIR.glob("red_flags*_*.jsonl")), ids=lambda path: path.name
)
def test_a_fresh_test_set_is_well_formed(path: Path) -> None:
    rows = _lines(path)
    code = path.stem.rsplit("_", 1)[1]
    assert code in LANGUAGES
    assert all(set(row) == {"q", "level", "lang", "kind"} for row in rows), path
    assert all(row["lang"] == code and row["q"].strip() and row["kind"] for row in rows)
    levels = [TriageLevel(row["level"]) for row in rows]
    assert len({row["q"] for row in rows}) == len(rows)
    # The first set per language is issue 17's test set of at least 40.
    minimum = 40 if path.name.startswith("red_flags_") else 10
    assert len(rows) >= minimum
    assert levels.count(TriageLevel.EMERGENCY) >= len(rows) // 2
    assert levels.count(TriageLevel.SELF_CARE) >= 2


def test_every_language_has_a_fresh_set_of_each_round() -> None:
    for prefix in ("red_flags_", "red_flags2_", "red_flags3_", "red_flags4_", "red_flags5_"):
        codes = {p.stem.rsplit("_", 1)[1] for p in TEST_DIR.glob(f"{prefix}*.jsonl")}
        assert codes == set(LANGUAGES), prefix


def test_the_fresh_set_misses_no_more_emergencies_than_at_its_run(pack: KnowledgePack) -> None:
    # A ratchet, not the goal: issue 17 wants 0, and this set's misses are
    # kept as measured so that the set stays an honest test (see SETS above).
    rows = [row for path in FRESH_TEST_SETS for row in _lines(path)]
    emergencies = [row["q"] for row in rows if row["level"] == "emergency"]
    missed = [q for q in emergencies if triage_text(pack, q).level is not TriageLevel.EMERGENCY]
    assert len(emergencies) == 36
    assert len(missed) <= FRESH_UNDER_TRIAGED_AT_RUN, missed


def test_the_pack_has_rules_for_each_language(pack: KnowledgePack) -> None:
    assert set(pack.triage_tables) == {"en", *LANGUAGES}


@pytest.mark.parametrize(
    ("lang", "row"),
    CASES + FIXED_CASES,
    ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(CASES + FIXED_CASES)],
)
def test_set_line(pack: KnowledgePack, lang: str, row: dict[str, str]) -> None:
    result = triage_text(pack, row["q"])
    expected = TriageLevel(row["level"])
    assert result.level.rank >= expected.rank, (row["q"], result.flags)
    if expected is TriageLevel.SELF_CARE:
        assert result.level is TriageLevel.SELF_CARE, (row["q"], result.flags)


def test_few_lines_of_a_supported_language_are_said_to_be_unchecked(pack: KnowledgePack) -> None:
    # Every language's rules run on every message, so a misidentified line keeps
    # its level (test_set_line); it only gets the "could not be checked" notice.
    # Low-accuracy identification gave that notice to 5 of the 300 lines
    # (docs/languages.md); a regression past 2 in one language fails here.
    unchecked: dict[str, list[str]] = {}
    for lang, row in CASES:
        if not triage_text(pack, row["q"]).checked:
            unchecked.setdefault(lang, []).append(row["q"])
    assert all(len(lines) <= 2 for lines in unchecked.values()), unchecked
    assert sum(map(len, unchecked.values())) <= 6, unchecked


@pytest.mark.parametrize(
    ("text", "lang", "flag"),
    [
        ("No puedo orinar desde ayer", "es", "cauda_equina"),
        ("nie czuję krocza", "pl", "saddle_numbness"),
        ("Ich kann seit gestern nicht mehr pinkeln", "de", "cauda_equina"),
        ("je ne sens plus mes jambes", "fr", "both_legs"),
        ("não consigo urinar", "pt", "cauda_equina"),
        ("لا أستطيع التبول", "ar", "cauda_equina"),
    ],
)
def test_an_inability_said_with_a_negation_is_a_flag(
    pack: KnowledgePack, text: str, lang: str, flag: str
) -> None:
    result = triage_text(pack, text, lang=lang)
    assert result.level is TriageLevel.EMERGENCY and flag in [f.id for f in result.flags]
    assert result.lang == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("no tengo fiebre, ni hormigueo ni debilidad", "es"),
        ("pas de fièvre, ni fourmillements ni faiblesse", "fr"),
        ("kein Fieber, kein Kribbeln oder Schwäche", "de"),
        ("nie mam gorączki, mrowienia ani osłabienia", "pl"),
        ("não tenho febre, formigueiro nem fraqueza", "pt"),
        ("لا توجد حمى ولا تنميل ولا ضعف", "ar"),
    ],
)
def test_a_negated_list_is_not_a_flag(pack: KnowledgePack, text: str, lang: str) -> None:
    assert triage_text(pack, text, lang=lang).level is TriageLevel.SELF_CARE


def test_a_mixed_message_keeps_its_english_flag(pack: KnowledgePack) -> None:
    result = triage_text(pack, "me duele mucho la espalda desde ayer and I can't pee")
    assert result.level is TriageLevel.EMERGENCY
    assert "en" in result.languages and "cauda_equina" in [f.id for f in result.flags]


def test_a_chosen_language_words_the_reply_and_english_still_runs(pack: KnowledgePack) -> None:
    result = triage_text(pack, "my back hurts and I can't pee", lang="es")
    assert result.lang == "es" and result.message.startswith("Esto podría ser una urgencia")
    assert "cauda_equina" in [f.id for f in result.flags]


def test_an_unknown_chosen_language_is_a_clear_error(pack: KnowledgePack) -> None:
    with pytest.raises(QueryError) as caught:
        triage_text(pack, "back pain", lang="xx")
    assert caught.value.code == "unknown_lang"


def test_an_unsupported_language_is_never_a_silent_self_care(pack: KnowledgePack) -> None:
    result = triage_text(pack, "میرے کمر میں بہت درد ہے اور میں پیشاب نہیں کر سکتا")
    assert result.checked is False
    assert result.message.startswith("Your message seems to be in Urdu")
    assert "NOT checked" in result.message and "999" in result.message
    assert "Nothing you wrote points to a warning sign" not in result.message


def test_a_pack_without_translations_still_says_unchecked(
    pack: KnowledgePack, tmp_path: Path
) -> None:
    root = tmp_path / "pack"
    shutil.copytree(shipped_pack_dir(), root)
    shutil.rmtree(root / "i18n")
    english_only = load_pack(root)
    result = triage_text(english_only, "No puedo orinar desde ayer y me duele la espalda")
    assert result.checked is False and "999" in result.message


def test_foreign_rule_sets_leave_english_triage_unchanged(pack: KnowledgePack) -> None:
    corpus = REPO / "tests" / "triage_cases.jsonl"
    for row in _lines(corpus):
        query = prepare_query(row["q"])
        alone = triage(query, pack.red_flags)
        combined = triage_text(pack, row["q"])
        # The safety net (issue 14) may add check_* flags; the rules must agree.
        by_rules = [f for f in combined.flags if f.layer == "rules"]
        assert TriageLevel.most_urgent([f.level for f in by_rules]) is alone.level, row["q"]
        assert [f.id for f in by_rules] == [f.id for f in alone.flags], row["q"]


def _broken_translation(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(shipped_pack_dir(), root)
    path = root / "i18n" / "es" / "red_flags.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def test_a_translation_may_not_change_a_rules_level(tmp_path: Path) -> None:
    root = _broken_translation(
        tmp_path, "  - id: both_legs\n    level: emergency", "  - id: both_legs\n    level: doctor"
    )
    with pytest.raises(PackValidationError, match="level doctor differs from the English"):
        load_pack(root)


def test_a_translation_may_not_invent_a_rule(tmp_path: Path) -> None:
    root = _broken_translation(tmp_path, "  - id: both_legs\n", "  - id: both_feet\n")
    with pytest.raises(PackValidationError, match="'both_feet' is not an English rule"):
        load_pack(root)


def test_evidence_keeps_the_persons_own_accents(pack: KnowledgePack) -> None:
    result = triage_text(pack, "Tengo la entrepierna dormida y no noto el papel al limpiarme")
    assert any("entrepierna" in flag.evidence for flag in result.flags)
    arabic = triage_text(pack, "لا أستطيع التبول إطلاقاً")
    assert arabic.flags[0].evidence == "لا أستطيع التبول"


@pytest.mark.parametrize("chosen", ["en", "de", "ar"])
def test_flags_never_depend_on_which_language_is_named(pack: KnowledgePack, chosen: str) -> None:
    """Every rule set runs whatever the detection or the choice, so naming the wrong
    language changes the wording only."""
    result = triage_text(pack, "Je n'arrive pas à relever la pointe du pied droit", lang=chosen)
    assert result.level is TriageLevel.EMERGENCY and result.lang == chosen
    assert "leg_weakness" in [flag.id for flag in result.flags]


@pytest.mark.parametrize(
    ("arabic_digits", "ascii_digits"),
    [
        ("٣٨٫٥ درجة من امبارح وظهري يؤلمني", "38.5 درجة من امبارح وظهري يؤلمني"),
        ("عندي ۳۹ درجه مع ألم أسفل الظهر", "عندي 39 درجه مع ألم أسفل الظهر"),
    ],
)
def test_arabic_indic_digits_read_as_ascii_digits(
    pack: KnowledgePack, arabic_digits: str, ascii_digits: str
) -> None:
    # People type either script; a temperature must not depend on which.
    native = triage_text(pack, arabic_digits)
    ascii_ = triage_text(pack, ascii_digits)
    assert native.level is TriageLevel.URGENT
    assert [flag.id for flag in native.flags] == [flag.id for flag in ascii_.flags]
