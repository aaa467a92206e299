"""The red-flag interview in the CLI: asked on a terminal, `--answers` for scripts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from backcare.cli import app

runner = CliRunner()
CALF = "shooting pain down to my calf on the left"


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand in for a person at a terminal (CliRunner's stdin is not a tty)."""
    monkeypatch.setattr("backcare.cli.ask._stdin_is_terminal", lambda: True)


@pytest.mark.usefixtures("clean_env")
class TestTriage:
    def test_json_carries_the_follow_up_questions(self) -> None:
        code, out, _ = _run("triage", "--json", CALF)
        assert code == 0
        result = json.loads(out)
        assert result["level"] == "doctor"
        assert [q["id"] for q in result["follow_up"]] == ["both_legs", "leg_weakness"]
        assert result["follow_up"][0] == {
            "id": "both_legs",
            "question": "Are both of your legs painful, tingling, numb or weak?",
            "level_if_yes": "emergency",
        }

    def test_answers_for_scripts_give_the_final_level(self) -> None:
        code, out, _ = _run("triage", "--json", "--answers", "both_legs=no,leg_weakness=yes", CALF)
        assert code == 0
        result = json.loads(out)
        assert result["level"] == "emergency"
        assert result["flags"][0]["id"] == "leg_weakness"
        assert result["flags"][0]["layer"] == "answer"
        assert result["follow_up"] == []
        code, out, _ = _run("triage", "--json", "--answers", "both_legs=n, leg_weakness=NO", CALF)
        assert json.loads(out)["level"] == "doctor"

    @pytest.mark.parametrize(
        ("answers", "said"),
        [
            ("both_legs=maybe", "must be yes or no"),
            ("both_legs", "is not id=yes or id=no"),
            ("=yes", "is not id=yes or id=no"),
            ("bothlegs=no", "no follow-up question with id 'bothlegs'"),
        ],
    )
    def test_a_bad_answer_exits_2_and_says_why(self, answers: str, said: str) -> None:
        code, _, err = _run("triage", "--answers", answers, CALF)
        assert code == 2
        assert said in " ".join(err.split())

    def test_without_a_terminal_the_questions_are_listed_not_asked(self) -> None:
        code, out, _ = _run("triage", CALF, stdin="y\n")
        assert code == 0
        assert "SEE A DOCTOR" in out
        assert "(both_legs)" in out and "--answers" in out
        assert "EMERGENCY" not in out  # the "y" on stdin was not taken as an answer

    @pytest.mark.usefixtures("terminal")
    def test_a_terminal_is_asked_each_question_then_shown_the_final_level(self) -> None:
        code, out, _ = _run("triage", CALF, stdin="n\nyes\n")
        assert code == 0
        assert out.index("SEE A DOCTOR") < out.index("numb or weak?") < out.index("walk?")
        final = out[out.index("With your answers:") :]
        assert "EMERGENCY" in final
        assert "999" in final

    @pytest.mark.usefixtures("terminal")
    def test_a_terminal_answer_that_is_not_yes_or_no_is_asked_again(self) -> None:
        code, out, _ = _run("triage", CALF, stdin="dunno\nn\nn\n")
        assert code == 0
        assert "Please answer y (yes) or n (no)." in out
        final = out[out.index("With your answers:") :]
        assert "SEE A DOCTOR" in final
        assert "Questions that would settle" not in final  # all answered

    @pytest.mark.usefixtures("terminal")
    def test_end_of_input_leaves_the_rest_unanswered(self) -> None:
        code, out, _ = _run("triage", CALF, stdin="n\n")
        assert code == 0
        final = out[out.index("With your answers:") :]
        assert "(leg_weakness)" in final and "(both_legs)" not in final

    @pytest.mark.usefixtures("terminal")
    def test_a_plain_message_asks_nothing(self) -> None:
        code, out, _ = _run("triage", "my back locked up this morning", stdin="")
        assert code == 0
        assert "y/n" not in out


@pytest.mark.usefixtures("real_encoder", "clean_env")
class TestAsk:
    def test_json_and_answers(self) -> None:
        code, out, _ = _run("ask", "--json", CALF)
        assert code == 0
        assert [q["id"] for q in json.loads(out)["triage"]["follow_up"]] == [
            "both_legs",
            "leg_weakness",
        ]
        code, out, _ = _run("ask", "--json", "--answers", "both_legs=yes", CALF)
        reply = json.loads(out)
        assert reply["triage"]["level"] == "emergency"
        assert reply["triage"]["follow_up"] == []

    @pytest.mark.usefixtures("terminal")
    def test_a_terminal_settles_the_questions_before_the_answer(self) -> None:
        code, out, _ = _run("ask", CALF, stdin="yes\n")
        assert code == 0
        asked = out.index("numb or weak?")
        # Asked once (a yes meaning an emergency ends the questions), then the
        # final banner comes before the answer.
        assert "walk?" not in out[asked:]
        assert out.index("EMERGENCY", asked) < out.index("confidence")

    def test_jsonl_lines_may_carry_answers(self) -> None:
        lines = [
            json.dumps({"q": CALF, "answers": {"leg_weakness": True}}),
            json.dumps({"q": CALF, "answers": {"leg_weakness": "yes"}}),
            json.dumps({"q": CALF, "answers": {"no_such": False}}),
        ]
        code, out, _ = _run("ask", "--jsonl", stdin="\n".join(lines) + "\n")
        assert code == 0
        first, second, third = (json.loads(line) for line in out.splitlines())
        assert first["triage"]["level"] == "emergency"
        assert second["error"]["code"] == "bad_json"
        assert third["error"]["code"] == "unknown_question"
