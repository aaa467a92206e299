"""The evaluator: each kind of line is scored over its own lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backcare import Backcare, ConfigError, EvalCase, evaluate, evaluate_triage, read_cases
from backcare.cli import app
from backcare.model import TriageLevel, TriageResult


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


def _stub(levels: dict[str, str]) -> Callable[[str], TriageResult]:
    """A triage function that reaches the level given for each message."""
    return lambda q: TriageResult(level=TriageLevel(levels[q]))


# (message, expected, reached, kind): 2 exact, 2 under (one an emergency),
# 2 over (one a self-care line), so every figure has a known value.
TRIAGE_ROWS = [
    ("e-ok", "emergency", "emergency", "lay"),
    ("e-low", "emergency", "urgent", "lay"),
    ("d-low", "doctor", "self_care", "negated"),
    ("s-ok", "self_care", "self_care", "negated"),
    ("s-high", "self_care", "urgent", "negated"),
    ("u-high", "urgent", "emergency", "lay"),
]


def test_triage_scoring_counts_exact_under_and_over() -> None:
    cases = [EvalCase(q=q, level=expected, tag=kind) for q, expected, _, kind in TRIAGE_ROWS]
    reached = {q: got for q, _, got, _ in TRIAGE_ROWS}
    report = evaluate_triage(_stub(reached), cases, name="six", clock=iter(range(100)).__next__)
    assert report.kind == "triage" and report.triage_n == 6
    assert report.triage_exact == round(2 / 6, 4)
    assert report.triage_at_least == round(4 / 6, 4)
    assert report.confusion is not None
    assert report.confusion["emergency"] == {
        "emergency": 1, "urgent": 1, "doctor": 0, "self_care": 0,
    }  # fmt: skip
    assert report.confusion["self_care"]["urgent"] == 1
    assert report.emergencies == 2 and report.under_triaged_emergencies == 1
    assert report.under_triaged == 2 and report.under_triage_rate == round(2 / 6, 4)
    assert report.under_triaged_by_level == {
        "emergency": 1, "urgent": 0, "doctor": 1, "self_care": 0,
    }  # fmt: skip
    assert report.self_care_n == 2 and report.over_triaged_self_care == 1
    assert report.over_triaged_self_care_share == 0.5
    assert report.over_triaged == 2 and report.over_triage_rate == round(2 / 6, 4)
    # Misses below the expected level stay in `failures` (the contract); the
    # ones above it are listed apart.
    assert [f["q"] for f in report.failures] == ["e-low", "d-low"]
    assert [f["q"] for f in report.over_triaged_lines or []] == ["s-high", "u-high"]
    assert report.triage_by_kind == {
        "lay": {"n": 3, "exact": round(1 / 3, 4), "under": 1, "over": 1},
        "negated": {"n": 3, "exact": round(1 / 3, 4), "under": 1, "over": 1},
    }
    assert report.latency_ms == {"p50": 1000.0, "p95": 1000.0}


def test_triage_only_run_refuses_lines_without_a_level() -> None:
    with pytest.raises(ConfigError, match="no level"):
        evaluate_triage(_stub({}), [EvalCase(q="how long do spasms last", ok=("duration",))])


def test_ask_path_and_triage_path_agree(fake_backcare: Backcare) -> None:
    cases = [
        EvalCase(q="I can't pee and my back hurts", level="emergency", tag="lay"),
        EvalCase(q="back spasm after gardening, no numbness", level="self_care", tag="negated"),
        EvalCase(q="back pain with fever", level="urgent"),
    ]
    through_ask = evaluate(fake_backcare, cases).as_dict()
    alone = evaluate_triage(fake_backcare.triage, cases).as_dict()
    for key in ("confusion", "triage_exact", "under_triaged", "over_triaged", "triage_by_kind"):
        assert through_ask[key] == alone[key], key


def test_read_cases_keeps_the_kind(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    row = {"q": "numb bum", "level": "emergency", "flag": "saddle_numbness", "kind": "lay"}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert read_cases(path) == [EvalCase(q="numb bum", level="emergency", tag="lay")]


@pytest.mark.usefixtures("real_encoder", "clean_env")
def test_cli_eval_prints_the_triage_figures(tmp_path: Path) -> None:
    path = tmp_path / "triage.jsonl"
    rows = [
        {"q": "back spasm and I suddenly can't pee at all", "level": "emergency", "kind": "lay"},
        {"q": "pulled my back lifting a box, walking fine", "level": "self_care", "kind": "plain"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for text in ("triage exact", "exact level:", "under-triaged:", "over-triaged:", "by kind"):
        assert text in result.stdout, text
    result = CliRunner().invoke(app, ["eval", "--json", str(path)])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["triage_n"] == 2 and report["emergencies"] == 1 and report["self_care_n"] == 1
    assert set(report["confusion"]) == {"emergency", "urgent", "doctor", "self_care"}
    assert "over_triaged_self_care_share" in report and "triage_exact" in report
    assert report["over_triaged_lines"] is None, "per-line lists only with --failures"
