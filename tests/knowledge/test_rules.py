"""Loading the red-flag and care-plan tables: the shipped files and every kind of mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from backcare.errors import KnowledgePackError, PackValidationError
from backcare.knowledge.rules import load_careplan, load_red_flags
from backcare.model import Source, TriageLevel

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"

# CONTENT.md section 3: every rule and its level.
CONTENT_RULES = {
    "saddle_numbness": "emergency",
    "cauda_equina": "emergency",
    "both_legs": "emergency",
    "leg_weakness": "emergency",
    "major_trauma": "emergency",
    "chest_breathless": "emergency",
    "aortic": "emergency",
    "fever_unwell": "urgent",
    "infection_risk": "urgent",
    "cancer_history": "urgent",
    "weight_loss": "urgent",
    "night_rest_pain": "urgent",
    "thoracic": "urgent",
    "fracture_risk": "urgent",
    "lump_deformity": "urgent",
    "pregnancy_labour": "urgent",
    "age_new_pain": "doctor",
    "not_improving": "doctor",
    "below_knee": "doctor",
    "recurrent_spasms": "doctor",
    "stenosis_pattern": "doctor",
    "not_coping": "doctor",
}

SOURCES = {n: Source(title=f"source {n}", url=f"https://example.org/{n}") for n in range(1, 44)}


def test_shipped_red_flags_cover_content_md() -> None:
    rules = load_red_flags(CONTENT / "red_flags.yaml", SOURCES)
    by_id = {rule.id: rule for rule in rules.rules}
    for rule_id, level in CONTENT_RULES.items():
        assert by_id[rule_id].level is TriageLevel(level), rule_id
    assert by_id["crisis"].level is TriageLevel.EMERGENCY
    for rule in rules.rules:
        assert rule.sources, f"{rule.id} cites no source"
    assert "ambulance" in (by_id["aortic"].action or "")
    assert "maternity unit" in (by_id["pregnancy_labour"].action or "")
    first_sentence = rules.levels[TriageLevel.EMERGENCY].split(". ")[0]
    assert "999" in first_sentence and "A&E now" in first_sentence


def test_shipped_sources_resolve_when_the_sources_file_is_there() -> None:
    path = CONTENT / "sources.yaml"
    if not path.exists():
        pytest.skip("content/sources.yaml is not written yet")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
    sources = {int(number): Source.model_validate(item) for number, item in raw.items()}
    assert load_red_flags(CONTENT / "red_flags.yaml", sources).rules
    assert load_careplan(CONTENT / "careplan.yaml", sources).phases


def test_shipped_careplan_follows_content_md_phases() -> None:
    table = load_careplan(CONTENT / "careplan.yaml", SOURCES)
    spans = [(phase.start_day, phase.end_day) for phase in table.phases]
    assert spans == [(0, 2), (3, 13), (14, 41), (42, None)]
    assert table.see_doctor_after_days == 28
    assert all(phase.sources for phase in table.phases)


MINIMAL_FLAGS = {
    "levels": {
        "emergency": "Call 999 or go to A&E now.",
        "urgent": "Get seen today.",
        "doctor": "Book a GP.",
        "self_care": "Self-care.",
    },
    "language": {
        "negation_window": 4,
        "negation_cues": ["\\bno\\b"],
        "scope_breaks": ["[.,]"],
        "post_negation": "^ is fine",
        "other_people": "\\bmy dad\\b",
        "first_person": "\\bi\\b",
        "duration_context": "\\bback\\b",
    },
    "vocab": {"pee": "pee|wee"},
    "rules": [
        {
            "id": "cauda_equina",
            "level": "emergency",
            "description": "trouble peeing",
            "message": "Get help.",
            "sources": [1],
            "patterns": ["\\bcant {{pee}}\\b"],
        }
    ],
}


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _flags_with(**changes: object) -> dict[str, object]:
    rule = dict(MINIMAL_FLAGS["rules"][0], **changes)  # type: ignore[index]
    return dict(MINIMAL_FLAGS, rules=[rule])


def test_minimal_red_flags_load_and_expand_vocab(tmp_path: Path) -> None:
    rules = load_red_flags(_write(tmp_path, "red_flags.yaml", MINIMAL_FLAGS), SOURCES)
    assert rules.rules[0].patterns == (("\\bcant (?:pee|wee)\\b",),)
    assert rules.rules[0].sources == (SOURCES[1],)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_flags_with(patterns=["\\bcant (pee"]), ["cauda_equina", "patterns", "bad regex"]),
        (_flags_with(patterns=["{{nope}}"]), ["cauda_equina", "patterns", "unknown vocab"]),
        (_flags_with(sources=[99]), ["cauda_equina", "sources", "99"]),
        (_flags_with(sources="1"), ["cauda_equina", "sources"]),
        (_flags_with(level="panic"), ["cauda_equina", "level"]),
        (_flags_with(message=""), ["cauda_equina", "message"]),
        (_flags_with(unless=["\\bfine\\b"]), ["cauda_equina", "unless"]),
        (_flags_with(level="self_care"), ["cauda_equina", "self_care"]),
        (_flags_with(patterns=[]), ["cauda_equina", "patterns"]),
        (_flags_with(colour="red"), ["cauda_equina", "colour"]),
        (dict(MINIMAL_FLAGS, levels={"emergency": "x"}), ["levels", "urgent"]),
        (dict(MINIMAL_FLAGS, rules=[]), ["rules"]),
        (dict(MINIMAL_FLAGS, language={"negation_window": 3}), ["language", "negation_cues"]),
        (
            dict(MINIMAL_FLAGS, rules=MINIMAL_FLAGS["rules"] * 2),  # type: ignore[operator]
            ["unique", "cauda_equina"],
        ),
        ([1, 2], ["mapping"]),
    ],
)
def test_red_flag_problems_name_file_rule_and_field(
    tmp_path: Path, data: object, expected: list[str]
) -> None:
    path = _write(tmp_path, "red_flags.yaml", data)
    with pytest.raises(PackValidationError) as info:
        load_red_flags(path, SOURCES)
    message = str(info.value)
    assert str(path) in message
    for word in expected:
        assert word in message


def test_yaml_syntax_errors_are_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "red_flags.yaml"
    path.write_text("rules: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(PackValidationError) as info:
        load_red_flags(path, SOURCES)
    assert str(path) in str(info.value)
    assert isinstance(info.value.__cause__, yaml.YAMLError)


def test_missing_file_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgePackError):
        load_careplan(tmp_path / "careplan.yaml", SOURCES)


def _careplan() -> dict[str, object]:
    data = yaml.safe_load((CONTENT / "careplan.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["phases"][1].update(start_day=4),
            ["care-plan table", "days_3_to_14", "day 4"],
        ),
        (lambda d: d["phases"][-1].update(end_day=60), ["open-ended"]),
        (lambda d: d["phases"][0].pop("do"), ["first_72_hours", "do"]),
        (lambda d: d["phases"][2].update(sources=[123]), ["weeks_2_to_6", "sources", "123"]),
        (lambda d: d.pop("see_doctor_after_days"), ["see_doctor_after_days"]),
        (lambda d: d["age_notes"][0].update(max_age="old"), ["under_16", "max_age"]),
        (lambda d: d.update(phases=[]), ["phases"]),
    ],
)
def test_careplan_problems_name_file_phase_and_field(
    tmp_path: Path, change: object, expected: list[str]
) -> None:
    data = _careplan()
    change(data)  # type: ignore[operator]
    path = _write(tmp_path, "careplan.yaml", data)
    with pytest.raises(PackValidationError) as info:
        load_careplan(path, SOURCES)
    message = str(info.value)
    assert str(path) in message
    for word in expected:
        assert word in message


SEED_PAGE = REPO.parent / "shared" / "seeds" / "back-spasms-faq.txt"


def _shingles(text: str, size: int = 8) -> set[tuple[str, ...]]:
    words = re.sub(r"[^a-z0-9 ]+", " ", re.sub(r"['\u2019`]", "", text.lower())).split()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return []


@pytest.mark.skipif(not SEED_PAGE.exists(), reason="shared/seeds is not beside the repo")
@pytest.mark.parametrize("name", ["red_flags.yaml", "careplan.yaml"])
def test_tables_are_in_our_own_words(name: str) -> None:
    """CONTENT.md 1.1: no run of 8 words shared with the seed page."""
    seed = _shingles(SEED_PAGE.read_text(encoding="utf-8"))
    data = yaml.safe_load((CONTENT / name).read_text(encoding="utf-8"))
    shared = seed & _shingles("\n".join(_strings(data)))
    assert not shared, [" ".join(words) for words in sorted(shared)]
