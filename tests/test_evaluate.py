"""The evaluator: each kind of line is scored over its own lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare import Backcare, ConfigError, EvalCase, evaluate, read_cases


def test_mixed_set_scores_each_kind_separately(fake_backcare: Backcare) -> None:
    cases = [
        EvalCase(q="how long do back spasms last", ok=("duration",)),
        EvalCase(q="qwzx vbnm plokij"),
        EvalCase(q="I can't pee and my back hurts", level="emergency"),
    ]
    report = evaluate(fake_backcare, cases, name="mixed", clock=iter(range(100)).__next__)
    assert report.kind == "retrieval+out_of_scope+triage"
    assert report.n == 3
    assert report.top1 is not None and report.abstention_rate is not None
    assert report.confusion is not None
    assert report.confusion["emergency"]["emergency"] == 1
    assert report.under_triaged_emergencies == 0
    assert report.latency_ms == {"p50": 1000.0, "p95": 1000.0}


def test_read_cases_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"q": "fine"}\n{"q": "x", "level": "soon"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"set.jsonl:2: unknown level"):
        read_cases(path)
    path.write_text('{"q": "fine"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"set.jsonl:2: not a query line"):
        read_cases(path)


def test_empty_set_reports_nothing(fake_backcare: Backcare) -> None:
    assert evaluate(fake_backcare, []).n == 0
