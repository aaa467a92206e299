"""The other-language red-flag development lines the triage benchmarks time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVED = ("es", "fr", "de", "pl", "pt", "ar")


def i18n_red_flag_lines(test_prefixes: Sequence[str]) -> list[str]:
    """Messages of the first sets, the hold-out and ``eval/i18n/test/<prefix><code>.jsonl``.

    Only development sets belong in ``test_prefixes`` (``red_flags_`` to
    ``red_flags6_``); the blind seventh set is never timed or read here.
    """
    files = [ROOT / f"eval/i18n/red_flags_{code}.jsonl" for code in SERVED]
    files.append(ROOT / "eval/i18n/holdout/red_flags_holdout.jsonl")
    for prefix in test_prefixes:
        files += [ROOT / f"eval/i18n/test/{prefix}{code}.jsonl" for code in SERVED]
    return [
        json.loads(raw)["q"]
        for path in files
        for raw in path.read_text(encoding="utf-8").splitlines()
        if raw.strip()
    ]
