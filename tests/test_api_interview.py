"""The red-flag interview over HTTP: follow_up in replies, answers back, the checklist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backcare import Backcare, KnowledgePack
from backcare.api import create_app

CALF = "shooting pain down to my calf"


@pytest.fixture
def client(fake_backcare: Backcare) -> Iterator[TestClient]:
    with TestClient(create_app(fake_backcare)) as test_client:
        yield test_client


def test_triage_carries_follow_up_and_answers_give_the_final_level(client: TestClient) -> None:
    first = client.post("/v1/triage", json={"q": CALF})
    assert first.status_code == 200
    body = first.json()
    assert body["level"] == "doctor"
    assert [q["id"] for q in body["follow_up"]] == ["both_legs", "leg_weakness"]
    assert set(body["follow_up"][0]) == {"id", "question", "level_if_yes"}
    assert body["flags"][0]["layer"] == "rules"

    answered = client.post("/v1/triage", json={"q": CALF, "answers": {"leg_weakness": True}})
    assert answered.status_code == 200
    final = answered.json()
    assert final["level"] == "emergency"
    assert final["flags"][0] == {
        "id": "leg_weakness",
        "level": "emergency",
        "evidence": final["flags"][0]["evidence"],
        "layer": "answer",
    }
    assert "leg_weakness" in final["flags"][0]["evidence"]
    assert final["message"].startswith("This could be an emergency")
    assert final["follow_up"] == []

    settled = client.post(
        "/v1/triage", json={"q": CALF, "answers": {"both_legs": False, "leg_weakness": False}}
    )
    assert settled.json()["level"] == "doctor"
    assert settled.json()["follow_up"] == []


def test_half_answered_leaves_the_rest_in_follow_up(client: TestClient) -> None:
    body = client.post("/v1/triage", json={"q": CALF, "answers": {"both_legs": False}}).json()
    assert [q["id"] for q in body["follow_up"]] == ["leg_weakness"]


def test_ask_takes_answers_too(client: TestClient) -> None:
    reply = client.post("/v1/ask", json={"q": CALF, "answers": {"both_legs": True}}).json()
    assert reply["triage"]["level"] == "emergency"
    plain = client.post("/v1/ask", json={"q": CALF}).json()
    assert [q["id"] for q in plain["triage"]["follow_up"]] == ["both_legs", "leg_weakness"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"q": CALF, "answers": {"both_leg": True}}, "unknown_question"),
        ({"q": CALF, "answers": {"both_legs": "yes"}}, "invalid_request"),
        ({"q": CALF, "answers": {"both_legs": 1}}, "invalid_request"),
        ({}, "empty_query"),
        ({"answers": {}}, "empty_query"),
        ({"lang": "fr"}, "empty_query"),
    ],
)
def test_bad_answers_are_422_with_a_code(
    client: TestClient, body: dict[str, object], code: str
) -> None:
    response = client.post("/v1/triage", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_the_checklist_and_answers_without_a_message(
    client: TestClient, pack: KnowledgePack
) -> None:
    listed = client.get("/v1/triage/questions")
    assert listed.status_code == 200
    body = listed.json()
    assert body["lang"] == "en"
    assert [q["id"] for q in body["questions"]] == [q.id for q in pack.follow_up.questions]
    spanish = client.get("/v1/triage/questions", params={"lang": "es"}).json()
    assert spanish["questions"][0]["question"] != body["questions"][0]["question"]
    assert client.get("/v1/triage/questions", params={"lang": "xx"}).status_code == 422

    none = {q["id"]: False for q in body["questions"]}
    clear = client.post("/v1/triage", json={"answers": none}).json()
    assert clear["level"] == "self_care"
    assert clear["flags"] == []
    saddle = client.post(
        "/v1/triage", json={"answers": {**none, "saddle_numbness": True}, "lang": "pl"}
    ).json()
    assert saddle["level"] == "emergency"
    assert saddle["lang"] == "pl"
    assert [flag["id"] for flag in saddle["flags"]] == ["saddle_numbness"]


def test_the_schema_documents_answers_and_the_checklist(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/v1/triage/questions" in schema["paths"]
    request = schema["components"]["schemas"]["TriageRequest"]
    assert "answers" in request["properties"]
    assert any("answers" in example for example in request["examples"])
    result = schema["components"]["schemas"]["TriageResult"]
    assert "follow_up" in result["properties"]
