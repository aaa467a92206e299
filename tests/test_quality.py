"""Quality regressions over the development sets, through the real model.

Oracle-style checks: queries retrieve one of their `ok` ids,
red flags triage at their level or above, out-of-scope questions abstain.
The sets live in ../shared/eval and are never copied into the pack.
"""

from __future__ import annotations

import pytest

from backcare import Backcare, TriageLevel
from tests.conftest import SHARED, read_jsonl

EVAL = SHARED / "eval"


def _rows(name: str) -> list[dict[str, object]]:
    path = EVAL / name
    return read_jsonl(path) if path.exists() else []


def test_dev_queries_top1_at_least_095(real_backcare: Backcare) -> None:
    """Issue 3's bar: top-1 >= 0.95, every query answered (not abstained).

    The bar is on the set, not on each query: a per-query gate would push
    the pack towards memorising the development set.
    """
    rows = _rows("dev_queries.jsonl")
    if not rows:
        pytest.skip("../shared/eval/dev_queries.jsonl is not here")
    misses = []
    for row in rows:
        reply = real_backcare.ask(str(row["q"]))
        if reply.status != "answered" or reply.answer is None:
            misses.append((row["q"], "abstained"))
        elif reply.answer.entry_id not in row["ok"]:  # type: ignore[operator]
            misses.append((row["q"], reply.answer.entry_id))
    assert 1 - len(misses) / len(rows) >= 0.95, misses


@pytest.mark.parametrize("row", _rows("dev_out_of_scope.jsonl"), ids=lambda r: str(r["q"])[:40])
def test_out_of_scope_abstains(real_backcare: Backcare, row: dict[str, object]) -> None:
    reply = real_backcare.ask(str(row["q"]))
    assert reply.status == "abstained", f"answered with {reply.answer}"
    assert reply.answer is None


@pytest.mark.parametrize("row", _rows("dev_red_flags.jsonl"), ids=lambda r: str(r["q"])[:40])
def test_red_flags_reach_their_level(real_backcare: Backcare, row: dict[str, object]) -> None:
    reply = real_backcare.ask(str(row["q"]))
    assert reply.triage.level.rank >= TriageLevel(str(row["level"])).rank


def test_dev_sets_are_present() -> None:
    if not EVAL.exists():
        pytest.skip("../shared/eval is not beside this checkout")
    assert _rows("dev_queries.jsonl"), "dev_queries.jsonl is empty"
