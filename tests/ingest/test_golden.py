"""Every document in ``cases/`` read and compared with its ``.expected.json``.

Run ``pytest tests/ingest --update-golden`` to rewrite the expected files after
an intended change, then review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backcare.ingest import detect_format, read_bytes

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(p for p in CASES_DIR.iterdir() if not p.name.endswith(".expected.json"))


def expected_path(case: Path) -> Path:
    """``name.ext`` -> ``name.expected.json``."""
    return case.with_name(f"{case.stem}.expected.json")


def snapshot(case: Path) -> dict[str, Any]:
    """What the readers make of one case, as plain JSON data."""
    fmt = detect_format(case)
    result = read_bytes(case.read_bytes(), format=fmt, file=case.name)
    return {
        "format": fmt,
        "entries": [
            entry.model_dump(mode="json", exclude_defaults=True) for entry in result.entries
        ],
        "items": [item.model_dump(mode="json", exclude_none=True) for item in result.items],
    }


def test_every_case_has_a_golden_file() -> None:
    stems = [p.stem for p in CASES]
    assert len(stems) == len(set(stems)), "two cases share a name; golden files would clash"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden(case: Path, request: pytest.FixtureRequest) -> None:
    actual = snapshot(case)
    golden = expected_path(case)
    if request.config.getoption("--update-golden", default=False):
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", "utf-8")
        return
    if not golden.exists():
        pytest.fail(f"{golden.name} is missing: run pytest tests/ingest --update-golden")
    assert actual == json.loads(golden.read_text("utf-8"))
