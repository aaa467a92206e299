"""The HTTP API through FastAPI's TestClient and httpx's ASGITransport.

Every endpoint, every error code, and the JSON contract of docs/architecture.md section 3.
Most tests use the model-free encoder; ``TestRealModel`` checks real answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcare import (
    Backcare,
    DiaryError,
    Feedback,
    SqlFeedbackStore,
    StoredFeedback,
)
from backcare.api import CONTENT_SECURITY_POLICY, create_app

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
WEB = Path(__file__).resolve().parents[1] / "src" / "backcare" / "web"
EMERGENCY = "my back went into spasm and now I can't pee and my groin is numb"


def _clock() -> dt.datetime:
    return NOW


@pytest.fixture
def store() -> SqlFeedbackStore:
    return SqlFeedbackStore("sqlite://")


@pytest.fixture
def client(fake_backcare: Backcare, store: SqlFeedbackStore) -> Iterator[TestClient]:
    app = create_app(fake_backcare, feedback=store, clock=_clock)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared_client(fake_backcare: Backcare) -> Iterator[TestClient]:
    """One client for property tests (hypothesis cannot use function-scoped fixtures)."""
    with TestClient(create_app(fake_backcare, clock=_clock)) as test_client:
        yield test_client


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- /v1/ask


class TestAsk:
    def test_reply_is_the_json_contract(self, client: TestClient) -> None:
        response = client.post("/v1/ask", json={"q": "what helps a back spasm right now?"})
        assert response.status_code == 200
        reply = response.json()
        # The original contract first, in order; fields added since come after it.
        assert list(reply) == [
            *("query", "status", "triage", "answer", "alternatives", "kb"),
            *("lang", "language"),
        ]
        assert reply["query"] == "what helps a back spasm right now?"
        assert reply["status"] in {"answered", "abstained"}
        assert list(reply["triage"]) == [
            "level",
            "flags",
            "message",
            "lang",
            "languages",
            "checked",
            "follow_up",
        ]
        assert reply["triage"]["level"] in {"emergency", "urgent", "doctor", "self_care"}
        assert reply["kb"] == "backcare-pack@1"
        if reply["status"] == "answered":
            answer = reply["answer"]
            assert list(answer) == ["entry_id", "question", "text", "sources", "confidence"]
            assert 0.0 <= answer["confidence"] <= 1.0
            assert answer["sources"] and set(answer["sources"][0]) == {"title", "url"}
        else:
            assert reply["answer"] is None
        for alt in reply["alternatives"]:
            assert list(alt) == ["entry_id", "question", "score"]

    def test_it_matches_the_facade(self, client: TestClient, fake_backcare: Backcare) -> None:
        body = client.post("/v1/ask", json={"q": "ice or heat for my back", "top_k": 5}).json()
        assert body == json.loads(
            fake_backcare.ask("ice or heat for my back", top_k=5).model_dump_json()
        )

    @pytest.mark.parametrize("top_k", [1, 3, 7])
    def test_top_k_counts_answer_and_alternatives(self, client: TestClient, top_k: int) -> None:
        reply = client.post("/v1/ask", json={"q": "ice or heat for my back", "top_k": top_k})
        body = reply.json()
        assert len(body["alternatives"]) + (body["answer"] is not None) == top_k

    def test_an_emergency_is_triaged_even_when_retrieval_abstains(self, client: TestClient) -> None:
        body = client.post("/v1/ask", json={"q": "xqzv blorp, and I can't pee since last night"})
        assert body.json()["triage"]["level"] == "emergency"
        assert body.json()["triage"]["flags"]

    def test_the_default_top_k_is_three(self, client: TestClient) -> None:
        body = client.post("/v1/ask", json={"q": "how long do back spasms last"}).json()
        assert len(body["alternatives"]) + (body["answer"] is not None) == 3


# ---------------------------------------------------------------- errors


class TestErrors:
    @pytest.mark.parametrize(
        ("q", "code"),
        [
            ("", "empty_query"),
            ("   \n\t ", "empty_query"),
            ("x" * 2001, "query_too_long"),
            ("my back\x00\x01", "not_text"),
        ],
    )
    @pytest.mark.parametrize("path", ["/v1/ask", "/v1/triage"])
    def test_unusable_questions_are_422_with_their_code(
        self, client: TestClient, path: str, q: str, code: str
    ) -> None:
        _error(client.post(path, json={"q": q}), 422, code)

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"q": 42},
            {"q": None},
            {"q": ["a list"]},
            {"q": "ok", "top_k": 0},
            {"q": "ok", "top_k": 51},
            {"q": "ok", "top_k": "three"},
            {"q": "ok", "colour": "blue"},
            ["q", "ok"],
            "just a string",
        ],
    )
    def test_a_malformed_body_is_invalid_request(self, client: TestClient, body: object) -> None:
        error = _error(client.post("/v1/ask", json=body), 422, "invalid_request")
        assert "42" not in error["message"], "the input is not echoed back"

    def test_a_lone_surrogate_is_not_text(self, client: TestClient) -> None:
        """JSON may escape half a UTF-16 pair; it must be refused, never echoed or a 500."""
        response = client.post(
            "/v1/ask",
            content=b'{"q": "\\udcff back"}',
            headers={"content-type": "application/json"},
        )
        _error(response, 422, "not_text")

    def test_a_lone_surrogate_after_much_whitespace_is_not_text(self, client: TestClient) -> None:
        """Whitespace collapses on normalising; what follows it is still checked (was a 500)."""
        body = b'{"q": "' + b" " * 10_000 + b'\\ud800 my back hurts"}'
        for path in ("/v1/ask", "/v1/triage"):
            response = client.post(path, content=body, headers={"content-type": "application/json"})
            _error(response, 422, "not_text")

    def test_broken_json_is_bad_json(self, client: TestClient) -> None:
        response = client.post(
            "/v1/ask", content=b'{"q": "half', headers={"content-type": "application/json"}
        )
        _error(response, 422, "bad_json")

    def test_a_body_without_a_json_content_type_is_refused(self, client: TestClient) -> None:
        response = client.post(
            "/v1/ask", content=b'{"q": "hello"}', headers={"content-type": "text/plain"}
        )
        _error(response, 422, "invalid_request")

    def test_a_body_over_the_limit_is_413(self, fake_backcare: Backcare) -> None:
        with TestClient(create_app(fake_backcare, max_body_bytes=1000)) as small:
            _error(small.post("/v1/ask", json={"q": "x" * 2000}), 413, "body_too_large")
            assert small.post("/v1/ask", json={"q": "x" * 900}).status_code == 200

    def test_a_streamed_body_over_the_limit_is_413(self, fake_backcare: Backcare) -> None:
        """No Content-Length (chunked): the limit still holds while reading."""

        def chunks() -> Iterator[bytes]:
            yield b'{"q": "'
            for _ in range(100):
                yield b"x" * 100
            yield b'"}'

        with TestClient(create_app(fake_backcare, max_body_bytes=1000)) as small:
            response = small.post(
                "/v1/ask", content=chunks(), headers={"content-type": "application/json"}
            )
            _error(response, 413, "body_too_large")

    def test_the_default_limit_is_64_kb(self, client: TestClient) -> None:
        _error(client.post("/v1/ask", json={"q": "x" * 70_000}), 413, "body_too_large")

    def test_an_unknown_path_is_404(self, client: TestClient) -> None:
        _error(client.get("/v1/nothing-here"), 404, "not_found")

    def test_a_wrong_method_is_405(self, client: TestClient) -> None:
        response = client.get("/v1/ask")
        _error(response, 405, "method_not_allowed")
        assert "POST" in response.headers["allow"]

    def test_a_bug_is_a_generic_500_and_is_logged(
        self, fake_backcare: Backcare, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Broken(Backcare):
            def ask(self, text: str, *, top_k: int = 3, **_: Any) -> Any:
                raise RuntimeError("secret internal detail")

        broken = Broken(fake_backcare.pack, fake_backcare.kb, fake_backcare.retriever.encoder)
        caplog.set_level(logging.DEBUG, logger="backcare.api")
        with TestClient(create_app(broken)) as test_client:
            error = _error(test_client.post("/v1/ask", json={"q": "hello"}), 500, "internal_error")
        assert "secret" not in error["message"]
        assert any(record.exc_info for record in caplog.records)

    def test_a_failing_store_is_503(self, fake_backcare: Backcare) -> None:
        class DownStore:
            def add(self, feedback: Feedback) -> int:
                raise DiaryError("database down at db.example:5432")

            def recent(self, limit: int = 100) -> list[StoredFeedback]:
                raise DiaryError("database down")

            def ping(self) -> None:
                raise DiaryError("database down")

        with TestClient(create_app(fake_backcare, feedback=DownStore())) as test_client:
            body = {"q": "ice or heat?", "rating": "helpful"}
            error = _error(test_client.post("/v1/feedback", json=body), 503, "storage_unavailable")
            assert "db.example" not in error["message"], "no internal detail leaks"
            _error(test_client.get("/readyz"), 503, "not_ready")
            assert test_client.get("/healthz").status_code == 200

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        body=st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["q", "top_k", "x", "rating", "onset"]), children, max_size=4
                )
            ),
            max_leaves=10,
        ),
        path=st.sampled_from(["/v1/ask", "/v1/triage", "/v1/feedback", "/v1/careplan"]),
    )
    def test_no_client_input_gives_a_500(
        self, shared_client: TestClient, body: object, path: str
    ) -> None:
        response = shared_client.post(
            path, content=json.dumps(body), headers={"content-type": "application/json"}
        )
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["error"]["code"]

    @settings(max_examples=40, deadline=None)
    @given(raw=st.binary(max_size=200))
    def test_no_raw_bytes_give_a_500(self, shared_client: TestClient, raw: bytes) -> None:
        response = shared_client.post(
            "/v1/ask", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code in {200, 422}, response.text


# ---------------------------------------------------------------- /v1/triage


def test_triage_returns_level_flags_and_message(client: TestClient) -> None:
    body = client.post("/v1/triage", json={"q": EMERGENCY}).json()
    assert list(body) == ["level", "flags", "message", "lang", "languages", "checked", "follow_up"]
    assert body["level"] == "emergency"
    assert {"id", "level", "evidence", "layer"} == set(body["flags"][0])
    assert body["message"]


def test_triage_of_a_plain_spasm_is_self_care(client: TestClient) -> None:
    body = client.post("/v1/triage", json={"q": "my lower back is tight after gardening"}).json()
    assert body["level"] == "self_care"
    assert body["flags"] == []


# ---------------------------------------------------------------- /v1/careplan


class TestCarePlan:
    def test_a_plan_from_the_onset_date(self, client: TestClient) -> None:
        response = client.post("/v1/careplan", json={"onset": "2026-11-26", "age": 40})
        assert response.status_code == 200
        plan = response.json()
        assert plan["onset"] == "2026-11-26"
        assert plan["today"] == "2026-11-28", "the API passes its clock's time"
        assert plan["day"] == 2
        assert plan["days"] and plan["phases"] and plan["headline"]
        assert plan["suppressed"] is False

    def test_an_emergency_in_the_text_suppresses_the_plan(self, client: TestClient) -> None:
        plan = client.post("/v1/careplan", json={"onset": "2026-11-27", "q": EMERGENCY}).json()
        assert plan["suppressed"] is True
        assert plan["triage"]["level"] == "emergency"
        assert plan["days"] == []

    def test_the_plan_as_an_ics_file(self, client: TestClient) -> None:
        response = client.post("/v1/careplan?format=ics", json={"onset": "2026-11-26"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        assert "attachment" in response.headers["content-disposition"]
        assert response.text.startswith("BEGIN:VCALENDAR")
        assert "BEGIN:VEVENT" in response.text

    def test_a_future_onset_is_invalid_care_plan(self, client: TestClient) -> None:
        _error(client.post("/v1/careplan", json={"onset": "2027-01-01"}), 422, "invalid_care_plan")

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"onset": "yesterday"},
            {"onset": "2026-02-30"},
            {"onset": "2026-11-26", "age": -1},
            {"onset": "2026-11-26", "age": 200},
        ],
    )
    def test_bad_fields_are_invalid_request(self, client: TestClient, body: object) -> None:
        _error(client.post("/v1/careplan", json=body), 422, "invalid_request")

    def test_an_unknown_format_is_invalid_request(self, client: TestClient) -> None:
        response = client.post("/v1/careplan?format=pdf", json={"onset": "2026-11-26"})
        _error(response, 422, "invalid_request")


# ---------------------------------------------------------------- /v1/entries


class TestEntries:
    def test_the_listing_pages_through_every_entry(
        self, client: TestClient, fake_backcare: Backcare
    ) -> None:
        first = client.get("/v1/entries", params={"limit": 10}).json()
        assert first["kb"] == "backcare-pack@1"
        assert first["total"] == len(fake_backcare.kb.entries)
        assert first["offset"] == 0 and first["limit"] == 10
        assert len(first["entries"]) == 10
        assert set(first["entries"][0]) == {"id", "question"}
        everything = client.get("/v1/entries", params={"limit": 1000}).json()["entries"]
        assert [e["id"] for e in everything] == [e.id for e in fake_backcare.kb.entries]
        past_end = client.get("/v1/entries", params={"offset": 10_000}).json()
        assert past_end["entries"] == []

    @pytest.mark.parametrize(
        "params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}]
    )
    def test_bad_paging_is_invalid_request(
        self, client: TestClient, params: dict[str, object]
    ) -> None:
        _error(client.get("/v1/entries", params=params), 422, "invalid_request")

    def test_one_entry_in_full(self, client: TestClient) -> None:
        entry = client.get("/v1/entries/immediate").json()
        assert entry["id"] == "immediate"
        assert entry["answer"] and entry["sources"] and entry["alternates"]

    def test_an_unknown_entry_is_404(self, client: TestClient) -> None:
        error = _error(client.get("/v1/entries/no-such-topic"), 404, "not_found")
        assert "no-such-topic" in error["message"]


# ---------------------------------------------------------------- /v1/feedback


class TestFeedback:
    def test_a_rating_is_stored(self, client: TestClient, store: SqlFeedbackStore) -> None:
        response = client.post(
            "/v1/feedback",
            json={
                "q": "  Ice or heat  for a spasm? ",
                "entry_id": "immediate",
                "rating": "helpful",
            },
        )
        assert response.status_code == 201
        receipt = response.json()
        assert receipt["status"] == "recorded"
        [row] = store.recent()
        assert row.id == receipt["id"]
        assert row.at == NOW
        assert row.query == "Ice or heat for a spasm?"
        assert (row.entry_id, row.rating, row.kb) == ("immediate", "helpful", "backcare-pack@1")

    @pytest.mark.parametrize("rating", ["not_helpful", "wrong"])
    def test_an_abstained_reply_can_be_rated(
        self, client: TestClient, store: SqlFeedbackStore, rating: str
    ) -> None:
        body = {"q": "how do I fix my car", "entry_id": None, "rating": rating}
        assert client.post("/v1/feedback", json=body).status_code == 201
        assert store.recent()[0].entry_id is None

    def test_an_unknown_entry_is_refused(self, client: TestClient) -> None:
        body = {"q": "ice?", "entry_id": "made_up", "rating": "helpful"}
        _error(client.post("/v1/feedback", json=body), 422, "unknown_entry")

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"q": "ice?", "rating": "great"}, "invalid_request"),
            ({"q": "ice?"}, "invalid_request"),
            ({"q": "", "rating": "helpful"}, "empty_query"),
            ({"q": "x" * 2001, "rating": "helpful"}, "query_too_long"),
        ],
    )
    def test_bad_feedback_is_422(self, client: TestClient, body: object, code: str) -> None:
        _error(client.post("/v1/feedback", json=body), 422, code)


# ---------------------------------------------------------------- operations


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["version"]


def test_readyz_names_the_knowledge_base(client: TestClient, fake_backcare: Backcare) -> None:
    body = client.get("/readyz").json()
    assert body == {
        "status": "ready",
        "kb": "backcare-pack@1",
        "entries": len(fake_backcare.kb.entries),
    }


class TestOpenApi:
    def test_every_endpoint_is_described(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        assert set(spec["paths"]) >= {
            "/v1/ask",
            "/v1/triage",
            "/v1/careplan",
            "/v1/entries",
            "/v1/entries/{entry_id}",
            "/v1/feedback",
            "/healthz",
            "/readyz",
        }
        assert "/" not in spec["paths"]

    def test_requests_and_replies_have_examples(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        schemas = spec["components"]["schemas"]
        for name in ("AskRequest", "TriageRequest", "CarePlanRequest", "FeedbackRequest"):
            assert schemas[name]["examples"], name
        ask = spec["paths"]["/v1/ask"]["post"]["responses"]
        assert ask["200"]["content"]["application/json"]["example"]["status"] == "answered"
        assert ask["422"]["content"]["application/json"]["example"]["error"]["code"]
        assert "413" in ask

    def test_no_swagger_page_from_a_cdn(self, client: TestClient) -> None:
        _error(client.get("/docs"), 404, "not_found")


# ---------------------------------------------------------------- the page and headers


class TestPageAndHeaders:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/"),
            ("GET", "/static/app.js"),
            ("GET", "/static/app.css"),
            ("GET", "/healthz"),
            ("GET", "/nope"),
            ("POST", "/v1/ask"),
        ],
    )
    def test_security_headers_on_every_response(
        self, client: TestClient, method: str, path: str
    ) -> None:
        response = client.request(method, path, json={"q": "ice?"} if method == "POST" else None)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"

    def test_the_page_and_its_files_are_served(self, client: TestClient) -> None:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<script src="/static/app.js"' in page.text
        assert (
            client.get("/static/app.js")
            .headers["content-type"]
            .startswith(("text/javascript", "application/javascript"))
        )
        assert client.get("/static/app.css").headers["content-type"].startswith("text/css")
        _error(client.get("/static/missing.js"), 404, "not_found")

    def test_no_cors_headers(self, client: TestClient) -> None:
        response = client.options(
            "/v1/ask",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in response.headers

    def test_the_page_has_no_inline_script_style_or_handlers(self) -> None:
        class Checker(HTMLParser):
            problems: list[str] = []

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                names = {name for name, _ in attrs}
                if tag == "script" and "src" not in names:
                    self.problems.append("inline <script>")
                if tag == "style":
                    self.problems.append("inline <style>")
                self.problems += [
                    f"{tag}[{n}]" for n in names if n == "style" or n.startswith("on")
                ]
                if tag in {"script", "link"}:
                    url = dict(attrs).get("src") or dict(attrs).get("href") or ""
                    if url.startswith(("http:", "https:", "//")):
                        self.problems.append(f"external {url}")

        checker = Checker()
        checker.feed((WEB / "index.html").read_text(encoding="utf-8"))
        assert checker.problems == []

    def test_the_script_never_writes_html(self) -> None:
        script = (WEB / "app.js").read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in script


# ---------------------------------------------------------------- concurrency and real model


def test_requests_are_served_concurrently(fake_backcare: Backcare) -> None:
    app = create_app(fake_backcare)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            questions = [f"back spasm question number {n}" for n in range(24)]
            responses = await asyncio.gather(
                *(http.post("/v1/ask", json={"q": q}) for q in questions),
                http.get("/healthz"),
            )
        return [response.status_code for response in responses]

    assert asyncio.run(run()) == [200] * 25


@pytest.fixture(scope="module")
def real_client(real_backcare: Backcare) -> Iterator[TestClient]:
    with TestClient(create_app(real_backcare, clock=_clock)) as test_client:
        yield test_client


class TestRealModel:
    def test_a_real_answer_with_its_source(self, real_client: TestClient) -> None:
        body = real_client.post("/v1/ask", json={"q": "how long do back spasms last"}).json()
        assert body["status"] == "answered"
        assert body["answer"]["entry_id"] == "duration"
        assert body["answer"]["sources"][0]["url"].startswith("https://")

    def test_an_emergency_leads_the_reply(self, real_client: TestClient) -> None:
        body = real_client.post("/v1/ask", json={"q": EMERGENCY}).json()
        assert body["triage"]["level"] == "emergency"

    def test_an_out_of_scope_question_abstains(self, real_client: TestClient) -> None:
        body = real_client.post("/v1/ask", json={"q": "how do I change a car tyre"}).json()
        assert body["status"] == "abstained"
        assert body["answer"] is None
