"""Checks over the raw knowledge-pack YAML in ``content/``.

These tests read the YAML directly (``yaml.safe_load``) so that they guard the
content itself, independent of the loader: own words (no copying from the seed
page, no eval queries as alternates), citations that resolve, links between
entries that resolve, and the medication safety wording.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
ENTRIES_DIR = CONTENT / "entries"
SHARED = Path(__file__).resolve().parents[3] / "shared"
SEED_PAGE = SHARED / "seeds" / "back-spasms-faq.txt"
EVAL_DIR = SHARED / "eval"

SEED_IDS = {
    "immediate",
    "duration",
    "go_away",
    "seizes",
    "sleep",
    "worried",
    "walk",
    "stretch",
    "night",
    "feel",
    "muscle_disc",
    "cant_move",
    "treat",
    "cure",
    "medication",
    "stop",
}
NEW_IDS = {
    "exercise_return",
    "work",
    "driving",
    "pregnancy",
    "prevention",
    "posture",
    "massage",
    "manual_therapy",
    "hydration",
    "imaging",
}
DRUG_NAMES = ("ibuprofen", "naproxen", "paracetamol", "codeine", "diazepam")
SHINGLE = 8  # consecutive words that count as copying

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def words(text: str) -> list[str]:
    """Case-fold, drop apostrophes (``can't`` -> ``cant``), split on anything else."""
    folded = _APOSTROPHES.sub("", text.casefold())
    return [w for w in _NON_WORD.split(folded) if w]


def normalised(text: str) -> str:
    return " ".join(words(text))


def shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    toks = words(text)
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def copied_runs(text: str, reference: str, n: int = SHINGLE) -> list[str]:
    """Runs of ``n`` or more consecutive words that ``text`` shares with ``reference``."""
    return sorted(" ".join(run) for run in shingles(text, n) & shingles(reference, n))


def load_entries() -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(ENTRIES_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            entries[path.stem] = yaml.safe_load(fh)
    return entries


def load_source_ids() -> set[int]:
    with (CONTENT / "sources.yaml").open(encoding="utf-8") as fh:
        return set(yaml.safe_load(fh)["sources"])


def pack_texts(entry: dict[str, Any]) -> list[str]:
    return [entry["question"], *entry.get("alternates", []), entry["answer"]]


ENTRIES = load_entries()


def _require_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"shared project folder not found at {SHARED}; own-words checks need it")


# 1. Own words: nothing copied from the seed page -------------------------------------


def test_copy_detector_flags_a_copied_sentence() -> None:
    seed_sentence = "Most episodes of back spasms last for only a few days."
    copied = "As they say, most EPISODES of back-spasms last for only a few days!"
    runs = copied_runs(copied, seed_sentence)
    assert "most episodes of back spasms last for only" in runs
    assert len(runs) == 4  # an 11-word copy holds four 8-word runs


def test_copy_detector_flags_a_sentence_lifted_from_the_seed_page() -> None:
    _require_shared()
    if not SEED_PAGE.is_file():
        pytest.skip(f"seed page not found at {SEED_PAGE}")
    seed = SEED_PAGE.read_text(encoding="utf-8")
    longest_line = max(seed.splitlines(), key=len)
    lifted = f"Our advice: {longest_line.lower()} That is all."
    assert copied_runs(lifted, seed)


def test_copy_detector_ignores_short_shared_phrases() -> None:
    reference = "put the pillow between your knees at night"
    own = "a pillow between your knees can help"
    assert copied_runs(own, reference) == []


def test_pack_shares_no_long_run_with_the_seed_page() -> None:
    _require_shared()
    if not SEED_PAGE.is_file():
        pytest.skip(f"seed page not found at {SEED_PAGE}")
    seed = SEED_PAGE.read_text(encoding="utf-8")
    problems = {
        entry_id: runs
        for entry_id, entry in ENTRIES.items()
        if (runs := [r for text in pack_texts(entry) for r in copied_runs(text, seed)])
    }
    assert problems == {}


# 2. Eval queries are not alternates -------------------------------------------------


def _queries(files: list[Path]) -> set[str]:
    queries = set()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.add(normalised(json.loads(line)["q"]))
    return queries


def _pack_questions_in(queries: set[str]) -> list[tuple[str, str]]:
    return [
        (entry_id, text)
        for entry_id, entry in ENTRIES.items()
        for text in [entry["question"], *entry.get("alternates", [])]
        if normalised(text) in queries
    ]


def test_no_alternate_is_an_eval_query() -> None:
    _require_shared()
    files = sorted(EVAL_DIR.glob("*.jsonl"))
    if not files:
        pytest.skip(f"no eval sets found in {EVAL_DIR}")
    assert _pack_questions_in(_queries(files)) == []


def test_no_alternate_is_a_tuning_query() -> None:
    files = sorted((REPO / "tuning").glob("*.jsonl"))
    if not files:
        pytest.skip("no tuning sets in tuning/")
    assert _pack_questions_in(_queries(files)) == []


# 3. Structure --------------------------------------------------------------------


def test_all_topics_present() -> None:
    assert len(ENTRIES) >= 26
    assert SEED_IDS <= set(ENTRIES), sorted(SEED_IDS - set(ENTRIES))
    assert NEW_IDS <= set(ENTRIES), sorted(NEW_IDS - set(ENTRIES))


def test_seed_ids_match_the_eval_seed_list() -> None:
    _require_shared()
    seed_file = EVAL_DIR / "seed_entries.json"
    if not seed_file.is_file():
        pytest.skip(f"{seed_file} not found")
    assert set(json.loads(seed_file.read_text(encoding="utf-8"))) == SEED_IDS


def test_sources_file_shape() -> None:
    with (CONTENT / "sources.yaml").open(encoding="utf-8") as fh:
        sources = yaml.safe_load(fh)["sources"]
    assert sorted(sources) == list(range(1, 44))
    for number, source in sources.items():
        assert set(source) == {"title", "url"}, number
        assert source["title"].strip() and "\u2020" not in source["title"], number
        assert str(source["url"]).startswith(("http://", "https://")), number


@pytest.mark.parametrize("entry_id", sorted(ENTRIES))
def test_entry_shape(entry_id: str) -> None:
    entry = ENTRIES[entry_id]
    source_ids = load_source_ids()
    assert entry["id"] == entry_id
    assert isinstance(entry["question"], str) and entry["question"].strip()
    assert isinstance(entry["answer"], str) and entry["answer"].strip()
    alternates = entry["alternates"]
    assert 3 <= len(alternates) <= 10
    assert all(isinstance(a, str) and a.strip() for a in alternates)
    assert len({normalised(a) for a in alternates}) == len(alternates), "duplicate alternates"
    assert entry["sources"], "every entry cites at least one source"
    assert set(entry["sources"]) <= source_ids
    related = entry["related"]
    assert related and set(related) <= set(ENTRIES) and entry_id not in related
    assert isinstance(entry["last_reviewed"], dt.date)


def test_alternates_belong_to_one_entry_only() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for entry_id, entry in ENTRIES.items():
        for text in [entry["question"], *entry["alternates"]]:
            key = normalised(text)
            if key in owner and owner[key] != entry_id:
                clashes.append((key, owner[key], entry_id))
            owner[key] = entry_id
    assert clashes == []


@pytest.mark.parametrize("entry_id", sorted(ENTRIES))
def test_answer_length_and_help_line(entry_id: str) -> None:
    answer = ENTRIES[entry_id]["answer"].strip()
    assert 80 <= len(words(answer)) <= 220
    last_line = answer.splitlines()[-1]
    assert last_line.startswith("When to get help: ")


# 4. Medication safety wording ----------------------------------------------------


@pytest.mark.parametrize("entry_id", sorted(ENTRIES))
def test_drug_answers_point_to_label_or_pharmacist(entry_id: str) -> None:
    entry = ENTRIES[entry_id]
    text = " ".join(pack_texts(entry)).casefold()
    if entry_id == "medication" or any(drug in text for drug in DRUG_NAMES):
        answer = entry["answer"].casefold()
        assert "label" in answer or "pharmacist" in answer
