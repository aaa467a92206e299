"""The CLI through typer's CliRunner, with the real model from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backcare import Backcare
from backcare.cli import app

runner = CliRunner()


def _run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("real_encoder", "clean_env")
class TestAsk:
    def test_json_prints_the_contract(self) -> None:
        code, out, _ = _run("ask", "--json", "how long do back spasms last")
        assert code == 0
        reply = json.loads(out)
        assert reply["status"] == "answered"
        assert reply["answer"]["entry_id"] == "duration"
        assert len(reply["alternatives"]) == 2

    def test_readable_output_shows_answer_and_sources(self) -> None:
        code, out, _ = _run("ask", "which sleeping position is best with a sore lower back")
        assert code == 0
        assert "Sources:" in out
        assert "confidence" in out

    def test_emergency_banner_comes_before_the_answer(self) -> None:
        code, out, _ = _run("ask", "my back went and now I can't pee, what helps the spasm?")
        assert code == 0
        assert "confidence" in out, "the spasm question should still be answered"
        assert out.index("EMERGENCY") < out.index("confidence")
        assert out.index("999") < out.index("confidence")

    def test_empty_question_exits_2_with_a_message(self) -> None:
        code, _, err = _run("ask", "   ")
        assert code == 2
        assert "empty" in err

    def test_huge_question_exits_2(self) -> None:
        code, _, err = _run("ask", "back " * 20_000)
        assert code == 2
        assert "limit" in err

    def test_json_error_object_for_a_bad_question(self) -> None:
        code, out, _ = _run("ask", "--json", "")
        assert code == 2
        assert json.loads(out)["error"]["code"] == "empty_query"

    def test_missing_question_is_explained(self) -> None:
        code, _, err = _run("ask")
        assert code == 2
        assert "needs a question" in err

    def test_top_k(self) -> None:
        code, out, _ = _run("ask", "--json", "--top-k", "5", "ice or heat for back spasm")
        reply = json.loads(out)
        assert len(reply["alternatives"]) + (reply["answer"] is not None) == 5


@pytest.mark.usefixtures("real_encoder", "clean_env")
def test_jsonl_goes_on_after_bad_lines() -> None:
    lines = [
        "what helps a back spasm right now",
        '{"q": "how long will my back spasm last"}',
        '{"q": broken json',
        "",
        '{"no_q": 1}',
        "   \t",
        '{"q": ""}',
        "x" * 3000,
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe binary \x00\n" + b"last line ok\n"
    code, out, _ = _run("ask", "--jsonl", stdin=stdin)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    codes = [row.get("error", {}).get("code") for row in rows]
    assert codes == [
        None,
        None,
        "bad_json",
        "empty_query",
        "bad_json",
        "empty_query",
        "empty_query",
        "query_too_long",
        "not_text",
        None,
    ]
    assert rows[1]["answer"]["entry_id"] == "duration"


def test_help_lists_every_command() -> None:
    code, out, _ = _run("--help")
    assert code == 0
    for command in ("ask", "eval", "index", "model"):
        assert command in out


@pytest.mark.parametrize("command", ["ask", "eval", "index build", "model build"])
def test_every_command_has_help(command: str) -> None:
    code, out, _ = _run(*command.split(), "--help")
    assert code == 0
    assert len(out.strip().splitlines()) > 3


@pytest.mark.usefixtures("real_encoder", "clean_env")
@pytest.mark.parametrize("question", ["\udcff back spasm", "\ud800 back spasm"])
def test_json_error_for_undecodable_argv(question: str) -> None:
    # A shell passes bytes that are not UTF-8 as surrogates: the JSON error must still print.
    code, out, _ = _run("ask", "--json", question)
    assert code == 2
    error = json.loads(out)
    assert error["error"]["code"] == "not_text"
    assert error["query"].startswith("\ufffd")


@pytest.mark.usefixtures("real_encoder", "clean_env")
def test_jsonl_goes_on_after_an_escaped_lone_surrogate() -> None:
    # JSON may spell a lone surrogate as \ud800; that line gets an error, the next its reply.
    stdin = '{"q": "\\ud800 back spasm"}\nhow long will my back spasm last\n'
    code, out, _ = _run("ask", "--jsonl", stdin=stdin)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["error"]["code"] == "not_text"
    assert rows[0]["query"] == "\ufffd back spasm"
    assert rows[1]["answer"]["entry_id"] == "duration"


@pytest.mark.usefixtures("real_encoder", "clean_env")
def test_index_build_stores_the_calibration(tmp_path: Path) -> None:
    # Without it every process that opens the index recalibrates (160 searches) at start.
    from backcare import KnowledgeBase
    from backcare.retrieval.calibration import MANIFEST_KEY

    code, out, err = _run("index", "build", "--out", str(tmp_path / "kb"))
    assert code == 0, err
    assert "indexed" in out
    calibration = KnowledgeBase.load(tmp_path / "kb").manifest.get(MANIFEST_KEY)
    assert isinstance(calibration, dict)
    assert calibration["relevance_mean"] is not None


@pytest.mark.parametrize("entry_id", ["step[/]2", "faq[bold]", "[/dim]x"])
def test_readable_reply_prints_any_entry_id(fake_backcare: Backcare, entry_id: str) -> None:
    # An ingested file chooses its ids; printed as markup, "[/]" in one broke the output.
    from backcare.cli._common import console
    from backcare.cli._render import render_reply

    reply = fake_backcare.ask("how long do back spasms last", top_k=3)
    odd = tuple(alt.model_copy(update={"entry_id": entry_id}) for alt in reply.alternatives)
    assert odd, "the reply needs an alternative to print"
    with console.capture() as captured:
        render_reply(reply.model_copy(update={"alternatives": odd}))
    assert f"({entry_id}, " in captured.get()


@pytest.mark.usefixtures("real_encoder", "clean_env")
def test_jsonl_refuses_a_lang_that_is_not_text() -> None:
    # POST /v1/ask refuses it (422); the line must not be answered as if lang were absent.
    stdin = '{"q": "how long will my back spasm last", "lang": 3}\n'
    code, out, _ = _run("ask", "--jsonl", stdin=stdin)
    assert code == 0
    row = json.loads(out)
    assert row["error"]["code"] == "bad_json"
    assert "lang" in row["error"]["message"]
