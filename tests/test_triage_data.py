"""Checks on the labelled triage sets in ``eval/triage`` and on their generator.

The sets are what the red-flag layers are fitted on (``*_fit``) and judged on
(``*_test``). They must parse, carry valid labels that agree with the red-flag
rules' levels, be large enough, keep fit and test apart, measure over-triage
(enough self-care and doctor lines), and be exactly what the generator writes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "eval" / "triage"
GENERATOR = REPO / "tuning" / "triage_phrasings.py"
LEVELS = ("emergency", "urgent", "doctor", "self_care")
FIT = (
    "generated_fit.jsonl",
    "handwritten_fit.jsonl",
    "handwritten_fit2.jsonl",
    "handwritten_fit3.jsonl",  # dev only (round 5), but never in a test file either
    "handwritten_fit4.jsonl",  # round 6: self-care look-alikes, all of it fit
    "handwritten_dev5.jsonl",  # dev only (round 7), but never in a test file either
    "handwritten_fit6.jsonl",  # round 7: the classes of error, all of it fit
    "handwritten_blind8.jsonl",  # dev since round 8 (its misses were read by class)
    "handwritten_blind9.jsonl",  # dev since round 9 (its misses were read by class)
    "handwritten_blind10.jsonl",  # dev since round 10 (its misses were read by class)
)
TEST = (
    "generated_test.jsonl",
    "handwritten_test.jsonl",
    "handwritten_blind11.jsonl",  # the eleventh blind set, never tuned on
    "handwritten_blind12.jsonl",  # the twelfth blind set, never tuned on
)


def fold(text: str) -> str:
    """Lower case with whitespace folded: how two messages are compared."""
    return " ".join(text.lower().split())


def read(name: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{name}:{number}: blank line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{name}:{number}: not an object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict[str, Any]]]:
    return {name: read(name) for name in (*FIT, *TEST)}


@pytest.fixture(scope="module")
def rule_levels() -> dict[str, str]:
    """Rule id -> level, from the pack's red-flag rules (ids and levels only)."""
    raw = yaml.safe_load((REPO / "content" / "red_flags.yaml").read_text(encoding="utf-8"))
    return {rule["id"]: rule["level"] for rule in raw["rules"]}


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("triage_phrasings", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_lines_are_well_formed(
    sets: dict[str, list[dict[str, Any]]], rule_levels: dict[str, str]
) -> None:
    for name, rows in sets.items():
        for row in rows:
            assert set(row) == {"q", "level", "flag", "kind"}, (name, row)
            assert isinstance(row["q"], str) and row["q"].strip(), (name, row)
            assert row["level"] in LEVELS, (name, row)
            assert isinstance(row["kind"], str) and row["kind"], (name, row)
            flag = row["flag"]
            if row["level"] == "self_care":
                assert flag is None, f"{name}: a self_care line names a flag: {row}"
                continue
            # The label is the level of the most urgent flag present, so the
            # named flag must be a rule at exactly that level.
            assert flag in rule_levels, f"{name}: unknown flag {flag!r}: {row}"
            assert rule_levels[flag] == row["level"], f"{name}: level disagrees with rule: {row}"


def test_sizes(sets: dict[str, list[dict[str, Any]]]) -> None:
    generated = len(sets["generated_fit.jsonl"]) + len(sets["generated_test.jsonl"])
    assert generated >= 3000
    assert len(sets["generated_test.jsonl"]) >= 1000
    assert len(sets["handwritten_test.jsonl"]) >= 300
    assert 80 <= len(sets["handwritten_fit.jsonl"]) <= 120


def test_no_duplicates_and_fit_never_meets_test(sets: dict[str, list[dict[str, Any]]]) -> None:
    for name, rows in sets.items():
        counts = Counter(fold(row["q"]) for row in rows)
        assert not [q for q, n in counts.items() if n > 1], f"{name} repeats messages"
    fit = {fold(row["q"]) for name in FIT for row in sets[name]}
    test = {fold(row["q"]) for name in TEST for row in sets[name]}
    assert not sorted(fit & test), f"messages in both fit and test: {sorted(fit & test)[:5]}"


def test_over_triage_is_measurable(sets: dict[str, list[dict[str, Any]]]) -> None:
    for name, rows in sets.items():
        levels = Counter(row["level"] for row in rows)
        calm = (levels["self_care"] + levels["doctor"]) / len(rows)
        assert calm >= 1 / 3, f"{name}: only {calm:.0%} self_care/doctor lines"
        assert levels["self_care"] / len(rows) >= 0.2, f"{name}: too few self_care lines"
        negated = sum(row["kind"].startswith("negated") for row in rows if row["flag"] is None)
        assert negated >= 0.05 * len(rows), f"{name}: too few negated self_care lines"


def test_every_emergency_and_urgent_family_is_covered(
    sets: dict[str, list[dict[str, Any]]], rule_levels: dict[str, str]
) -> None:
    # crisis (self-harm) is CONTENT.md section 1.7, not a section 3 red flag.
    serious = {r for r, lvl in rule_levels.items() if lvl in {"emergency", "urgent"}} - {"crisis"}
    for name in ("generated_fit.jsonl", "generated_test.jsonl"):
        flags = Counter(row["flag"] for row in sets[name])
        thin = {family: flags[family] for family in serious if flags[family] < 10}
        assert not thin, f"{name}: families with fewer than 10 lines: {thin}"
    emergencies = {r for r, lvl in rule_levels.items() if lvl == "emergency"} - {"crisis"}
    written = Counter(row["flag"] for row in sets["handwritten_test.jsonl"])
    assert not {f for f in emergencies if written[f] < 5}


def test_generated_sets_cover_the_kinds_asked_for(sets: dict[str, list[dict[str, Any]]]) -> None:
    wanted = {
        "lay", "clinical", "euphemism", "non_native", "misspelled", "typo", "time", "negated",
        "negated_mixed", "other_person", "history", "narrative", "combined", "self_care", "decoy",
    }  # fmt: skip
    for name in ("generated_fit.jsonl", "generated_test.jsonl"):
        kinds = Counter(row["kind"] for row in sets[name])
        assert not {kind for kind in wanted if kinds[kind] < 10}, (name, kinds)


def test_generator_reproduces_the_files(tmp_path: Path) -> None:
    gen = load_generator()
    assert gen.main(["--check"]) == 0, "run: python tuning/triage_phrasings.py"
    # --check must notice a change: write to a scratch folder, edit one line.
    gen.OUT_DIR = tmp_path
    gen.ROOT = tmp_path
    assert gen.main([]) == 0
    path = tmp_path / "generated_test.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[1:]), encoding="utf-8")
    assert gen.main(["--check"]) == 1


def test_generator_splits_wordings_apart() -> None:
    gen = load_generator()
    for family in gen.WORDINGS:
        fit = {w for w, _ in gen.symptom_items(family, "fit")}
        test = {w for w, _ in gen.symptom_items(family, "test")}
        assert fit and test and not fit & test, family
    for pool in (gen.FRAMES, gen.CONTEXT_FRAMES, gen.FILLERS, gen.SPASM, gen.NEG_FORMS):
        assert not set(gen.part(pool, "fit")) & set(gen.part(pool, "test"))


def test_pronouns_follow_the_subject() -> None:
    gen = load_generator()
    wording = "{I} {keep|keeps} tripping because {my} toes drag and {Im} scared"
    assert gen.render(wording) == "I keep tripping because my toes drag and I'm scared"
    assert gen.render(wording, "she") == "she keeps tripping because her toes drag and she's scared"
