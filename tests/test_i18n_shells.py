"""Languages in the shells: `lang` in replies, `--lang` in the CLI, `lang` in the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backcare import Backcare, evaluate, read_cases
from backcare.api import create_app
from backcare.cli import app

runner = CliRunner()
URDU = "میرے کمر میں بہت درد ہے اور میں پیشاب نہیں کر سکتا"


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def client(fake_backcare: Backcare) -> Iterator[TestClient]:
    with TestClient(create_app(fake_backcare)) as test_client:
        yield test_client


def test_a_reply_names_its_language_and_what_detection_found(fake_backcare: Backcare) -> None:
    reply = fake_backcare.ask("no puedo orinar desde ayer y me duele la espalda")
    assert reply.lang == "es" and reply.triage.lang == "es"
    assert reply.language is not None and reply.language.code == "es" and reply.language.reliable
    assert reply.triage.level.value == "emergency"


@pytest.mark.usefixtures("clean_env")
class TestCli:
    def test_triage_detects_the_language(self) -> None:
        code, out, _ = _run("triage", "--json", "nie czuję krocza")
        body = json.loads(out)
        assert code == 0 and body["level"] == "emergency" and body["lang"] == "pl"

    def test_triage_lang_overrides_the_reply_language(self) -> None:
        code, out, _ = _run("triage", "--json", "--lang", "fr", "my back hurts and I can't pee")
        body = json.loads(out)
        assert code == 0 and body["lang"] == "fr" and body["level"] == "emergency"
        assert body["message"].startswith("Cela peut être une urgence")

    def test_an_unknown_lang_is_a_clear_error(self) -> None:
        code, _, err = _run("triage", "--lang", "xx", "back pain")
        assert code == 2 and "no red-flag rules in language 'xx'" in err

    def test_an_unchecked_language_is_shown_loudly(self) -> None:
        code, out, _ = _run("triage", URDU)
        assert code == 0 and "WARNING SIGNS NOT CHECKED" in out and "999" in out


class TestApi:
    def test_ask_carries_lang(self, client: TestClient) -> None:
        body = client.post("/v1/ask", json={"q": "Ich habe Fieber und Rückenschmerzen"}).json()
        assert body["lang"] == "de" and body["language"]["code"] == "de"
        assert body["triage"]["level"] == "urgent"

    def test_triage_takes_a_lang(self, client: TestClient) -> None:
        response = client.post("/v1/triage", json={"q": "back pain and fever", "lang": "ar"})
        body = response.json()
        assert response.status_code == 200 and body["lang"] == "ar" and body["level"] == "urgent"

    def test_a_lang_without_rules_is_refused_by_the_schema(self, client: TestClient) -> None:
        response = client.post("/v1/ask", json={"q": "back pain", "lang": "xx"})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"

    def test_an_unsupported_language_reply_says_unchecked(self, client: TestClient) -> None:
        body = client.post("/v1/triage", json={"q": URDU}).json()
        assert body["checked"] is False and "NOT checked" in body["message"]


def test_the_api_schema_names_exactly_the_supported_languages() -> None:
    from typing import get_args

    from backcare import SUPPORTED_LANGUAGES
    from backcare.api import LangCode

    assert set(get_args(LangCode)) == set(SUPPORTED_LANGUAGES)


def test_eval_scores_each_language_on_its_own(fake_backcare: Backcare, tmp_path: Path) -> None:
    rows = [
        {"q": "No puedo orinar desde ayer", "level": "emergency", "lang": "es"},
        {"q": "No tengo fiebre, solo la espalda rígida", "level": "self_care", "lang": "es"},
        {"q": "nie czuję krocza od rana", "level": "emergency", "lang": "pl"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    report = evaluate(fake_backcare, read_cases(path), name="set")
    assert report.by_lang is not None and set(report.by_lang) == {"es", "pl"}
    spanish = report.by_lang["es"]
    assert (spanish.n, spanish.under_triaged_emergencies, spanish.lang_detected) == (2, 0, 1.0)
    assert report.as_dict()["by_lang"]["pl"]["triage_at_least"] == 1.0


def test_the_arabic_rules_are_generated_from_their_source() -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "tuning" / "fold_arabic_rules.py"
    spec = importlib.util.spec_from_file_location("fold_arabic_rules", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = module.FOLDER
    source = (folder / "red_flags.src.yaml").read_text(encoding="utf-8")
    generated = (folder / "red_flags.yaml").read_text(encoding="utf-8")
    assert generated.endswith(module.fold_rules(source)), "run tuning/fold_arabic_rules.py"
