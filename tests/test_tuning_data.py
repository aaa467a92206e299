"""Checks on the hand-written tuning data in ``tuning/``.

The tuning sets are what the fusion weights and the abstention threshold are fitted on. They must
be well formed, cover every topic, and stay independent of the development sets in
``shared/eval`` (which are for checking only).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
TUNING = REPO / "tuning"
SHARED = Path(__file__).resolve().parents[2] / "shared"
EVAL = SHARED / "eval"

TOPIC_IDS = frozenset(
    {
        "immediate", "duration", "go_away", "seizes", "sleep", "worried", "walk", "stretch",
        "night", "feel", "muscle_disc", "cant_move", "treat", "cure", "medication", "stop",
        "exercise_return", "work", "driving", "pregnancy", "prevention", "posture", "massage",
        "manual_therapy", "hydration", "imaging",
    }
)  # fmt: skip
MIN_IN_SCOPE = 300
MIN_OUT_OF_SCOPE = 150
MIN_PER_TOPIC = 10

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Case-fold, strip punctuation and collapse whitespace."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.casefold())).strip()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number}: blank line"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number}: not JSON ({exc})")
        assert isinstance(row, dict), f"{path.name}:{number}: expected an object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def in_scope() -> list[dict[str, Any]]:
    return read_jsonl(TUNING / "in_scope.jsonl")


@pytest.fixture(scope="module")
def out_of_scope() -> list[dict[str, Any]]:
    return read_jsonl(TUNING / "out_of_scope.jsonl")


def test_in_scope_lines_are_well_formed(in_scope: list[dict[str, Any]]) -> None:
    assert len(in_scope) >= MIN_IN_SCOPE
    for row in in_scope:
        assert set(row) == {"q", "ok"}, row
        assert isinstance(row["q"], str) and normalise(row["q"]), row
        ok = row["ok"]
        assert isinstance(ok, list) and ok, row
        assert len(set(ok)) == len(ok), f"repeated id in {row}"
        unknown = set(ok) - TOPIC_IDS
        assert not unknown, f"unknown ids {sorted(unknown)} in {row}"


def test_out_of_scope_lines_are_well_formed(out_of_scope: list[dict[str, Any]]) -> None:
    assert len(out_of_scope) >= MIN_OUT_OF_SCOPE
    for row in out_of_scope:
        assert set(row) == {"q"}, row
        assert isinstance(row["q"], str) and normalise(row["q"]), row


def test_every_topic_has_enough_queries(in_scope: list[dict[str, Any]]) -> None:
    best = Counter(row["ok"][0] for row in in_scope)
    short = {topic: best[topic] for topic in TOPIC_IDS if best[topic] < MIN_PER_TOPIC}
    assert not short, f"topics with fewer than {MIN_PER_TOPIC} queries: {short}"


def test_no_duplicate_queries(
    in_scope: list[dict[str, Any]], out_of_scope: list[dict[str, Any]]
) -> None:
    counts = Counter(normalise(row["q"]) for row in [*in_scope, *out_of_scope])
    duplicates = sorted(q for q, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate queries: {duplicates}"


def test_no_query_copied_from_shared_eval(
    in_scope: list[dict[str, Any]], out_of_scope: list[dict[str, Any]]
) -> None:
    if not EVAL.is_dir():
        pytest.skip(f"shared eval sets not found at {EVAL}; cannot check for copies")
    dev: set[str] = set()
    for path in sorted(EVAL.glob("*.jsonl")):
        dev |= {normalise(row["q"]) for row in read_jsonl(path)}
    seeds = EVAL / "seed_entries.json"
    if seeds.is_file():
        dev |= {normalise(q) for q in json.loads(seeds.read_text(encoding="utf-8")).values()}
    assert dev, f"no queries found in {EVAL}"
    copied = sorted({normalise(row["q"]) for row in [*in_scope, *out_of_scope]} & dev)
    assert not copied, f"tuning queries that equal shared/eval queries: {copied}"
