"""Server mode: diary and review routes behind bearer tokens, on SQLite and PostgreSQL.

The isolation tests try every diary route with one user's token against
another user's episode: each answers exactly as for an id that does not exist,
and the other user's diary is unchanged afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backcare import (
    Backcare,
    DiaryError,
    Encoder,
    EpisodePatch,
    KnowledgePack,
    NewCheckIn,
    NewEpisode,
    SqlDiaryStore,
    SqlFeedbackStore,
    User,
)
from backcare.api import create_app

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def _clock() -> dt.datetime:
    return NOW


class Server:
    """The app over one database, with users made through the store."""

    def __init__(self, client: TestClient, store: SqlDiaryStore, feedback: SqlFeedbackStore):
        self.client = client
        self.store = store
        self.feedback = feedback

    def user(self, name: str, *, maintainer: bool = False) -> tuple[User, dict[str, str]]:
        user, token = self.store.add_user(name, maintainer=maintainer, now=NOW)
        return user, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(fake_backcare: Backcare, diary_url: str) -> Iterator[Server]:
    store = SqlDiaryStore(diary_url)
    feedback = SqlFeedbackStore(diary_url)
    app = create_app(fake_backcare, feedback=feedback, diary=store, clock=_clock)
    with TestClient(app) as client:
        yield Server(client, store, feedback)
    feedback.close()
    store.close()


def _error(response: Any, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    body: dict[str, dict[str, str]] = response.json()
    assert body["error"]["code"] == code
    return body["error"]


# Every diary route, with a body where it needs one; {id} is filled in per test.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/me", None),
    ("POST", "/v1/diary/episodes", {"onset": "2026-11-20T08:00:00+00:00"}),
    ("GET", "/v1/diary/episodes", None),
    ("GET", "/v1/diary/episodes/{id}", None),
    ("PATCH", "/v1/diary/episodes/{id}", {"note": "changed"}),
    ("DELETE", "/v1/diary/episodes/{id}", None),
    ("POST", "/v1/diary/episodes/{id}/checkins", {"pain": 3}),
    ("GET", "/v1/diary/episodes/{id}/checkins", None),
    ("GET", "/v1/diary/summary", None),
    ("GET", "/v1/diary/export", None),
    ("POST", "/v1/diary/import", {"format": "backcare-diary", "version": 1, "episodes": []}),
    ("GET", "/v1/review", None),
]
BY_ID = [route for route in ROUTES if "{id}" in route[1]]


def test_the_route_table_lists_every_diary_route(fake_backcare: Backcare) -> None:
    paths = create_app(fake_backcare, diary=SqlDiaryStore("sqlite://")).openapi()["paths"]
    served = {
        (method.upper(), path.replace("{episode_id}", "{id}"))
        for path, operations in paths.items()
        if path.startswith(("/v1/diary", "/v1/me", "/v1/review"))
        for method in operations
    }
    assert served == {(method, path) for method, path, _ in ROUTES}


def test_without_a_diary_store_there_are_no_diary_routes(fake_backcare: Backcare) -> None:
    with TestClient(create_app(fake_backcare)) as client:
        _error(client.get("/v1/diary/episodes"), 404, "not_found")


class TestAuth:
    def test_every_route_needs_a_valid_token(self, server: Server) -> None:
        server.user("alice")  # a user exists, so a wrong token is really wrong
        for headers in (
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": "Basic dXNlcjpwYXNz"},
            {"Authorization": "Bearer "},
            {"Authorization": "bearer"},
        ):
            for method, path, body in ROUTES:
                response = server.client.request(
                    method, path.format(id=1), json=body, headers=headers
                )
                _error(response, 401, "unauthorized")
                assert response.headers["www-authenticate"] == "Bearer"

    def test_review_needs_a_maintainer(self, server: Server) -> None:
        _, person = server.user("pat")
        _, maintainer = server.user("max", maintainer=True)
        _error(server.client.get("/v1/review", headers=person), 403, "forbidden")
        assert server.client.get("/v1/review", headers=maintainer).status_code == 200

    def test_me_says_who_the_token_belongs_to(self, server: Server) -> None:
        user, headers = server.user("alice")
        assert server.client.get("/v1/me", headers=headers).json()["name"] == "alice"
        assert user.name == "alice"


class TestIsolation:
    def _victim(self, server: Server) -> tuple[User, int]:
        bob, _ = server.user("bob")
        episode = server.store.start_episode(
            bob.id, NewEpisode(onset=NOW - dt.timedelta(days=40), note="bob's")
        )
        server.store.add_checkin(
            bob.id, episode.id, NewCheckIn(at=NOW - dt.timedelta(days=39), pain=8, notes="b")
        )
        return bob, episode.id

    def _snapshot(self, server: Server, user: User) -> tuple[Any, ...]:
        return (server.store.episodes(user.id), server.store.checkins(user.id))

    @pytest.mark.parametrize("method, path, body", BY_ID)
    def test_another_users_episode_is_404_like_a_missing_one(
        self, server: Server, method: str, path: str, body: dict[str, Any] | None
    ) -> None:
        bob, bobs = self._victim(server)
        _, alice = server.user("alice")
        before = self._snapshot(server, bob)
        theirs = server.client.request(method, path.format(id=bobs), json=body, headers=alice)
        missing = server.client.request(
            method, path.format(id=bobs + 1000), json=body, headers=alice
        )
        error = _error(theirs, 404, "not_found")
        assert error["message"] == _error(missing, 404, "not_found")["message"].replace(
            str(bobs + 1000), str(bobs)
        )
        assert self._snapshot(server, bob) == before

    def test_listing_summary_and_export_show_only_your_own_rows(self, server: Server) -> None:
        bob, _ = self._victim(server)
        _, alice = server.user("alice")
        before = self._snapshot(server, bob)
        client = server.client
        assert client.get("/v1/diary/episodes", headers=alice).json() == []
        summary = client.get("/v1/diary/summary", headers=alice).json()
        assert summary["episodes"] == [] and summary["warnings"] == []
        exported = client.get("/v1/diary/export", headers=alice).json()
        assert exported["episodes"] == []
        assert "bob's" not in client.get("/v1/diary/export?format=csv", headers=alice).text
        # Alice's own writes stay hers.
        created = client.post("/v1/diary/episodes", json={}, headers=alice).json()
        client.post(f"/v1/diary/episodes/{created['id']}/checkins", json={"pain": 2}, headers=alice)
        body = {
            "format": "backcare-diary",
            "version": 1,
            "episodes": [{"onset": "2026-01-01T00:00:00+00:00", "end": None, "note": ""}],
        }
        assert client.post("/v1/diary/import", json=body, headers=alice).status_code == 201
        assert len(client.get("/v1/diary/episodes", headers=alice).json()) == 2
        assert self._snapshot(server, bob) == before

    def test_a_token_cannot_reach_rows_through_a_forged_body(self, server: Server) -> None:
        bob, bobs = self._victim(server)
        _, alice = server.user("alice")
        forged = {"pain": 1, "episode_id": bobs, "user_id": bob.id}
        mine = server.client.post("/v1/diary/episodes", json={}, headers=alice).json()["id"]
        response = server.client.post(
            f"/v1/diary/episodes/{mine}/checkins", json=forged, headers=alice
        )
        _error(response, 422, "invalid_request")
        assert len(server.store.checkins(bob.id)) == 1


class TestDiaryRoutes:
    def test_a_whole_episode_through_the_api(self, server: Server) -> None:
        _, headers = server.user("alice")
        client = server.client
        created = client.post(
            "/v1/diary/episodes",
            json={"onset": "2026-11-20T09:00:00+01:00", "note": "lifting"},
            headers=headers,
        )
        assert created.status_code == 201
        episode = created.json()
        assert episode["onset"] == "2026-11-20T08:00:00Z" and episode["end"] is None
        path = f"/v1/diary/episodes/{episode['id']}"
        checkin = client.post(
            f"{path}/checkins",
            json={"pain": 7, "where": ["lower back"], "helped": ["heat"], "notes": "sore"},
            headers=headers,
        )
        assert checkin.status_code == 201
        assert checkin.json()["at"] == "2026-11-28T09:30:00Z", "defaults to the clock"
        assert [c["pain"] for c in client.get(f"{path}/checkins", headers=headers).json()] == [7]
        _error(
            client.post("/v1/diary/episodes", json={}, headers=headers), 409, "conflict"
        )  # one is open
        ended = client.patch(path, json={"end": "2026-11-27T00:00:00Z"}, headers=headers).json()
        assert ended["end"] == "2026-11-27T00:00:00Z" and ended["note"] == "lifting"
        assert client.patch(path, json={"end": None}, headers=headers).json()["end"] is None
        assert client.get(path, headers=headers).json()["id"] == episode["id"]
        assert client.delete(path, headers=headers).status_code == 204
        _error(client.get(path, headers=headers), 404, "not_found")

    @pytest.mark.parametrize(
        "body",
        [
            {"pain": 11},
            {"pain": -1},
            {"pain": 3, "at": "2026-11-20T08:00:00"},  # no time zone
            {"pain": 3, "notes": "nul \u0000 byte"},
            {"pain": 3, "where": ["a;b"]},
            {"pain": 3, "notes": "x" * 2001},
            {},
        ],
    )
    def test_bad_checkins_are_422(self, server: Server, body: dict[str, Any]) -> None:
        user, headers = server.user("alice")
        episode = server.store.start_episode(user.id, NewEpisode(onset=NOW))
        response = server.client.post(
            f"/v1/diary/episodes/{episode.id}/checkins", json=body, headers=headers
        )
        _error(response, 422, "invalid_request")
        assert server.store.checkins(user.id) == []

    def test_an_end_before_the_onset_is_422(self, server: Server) -> None:
        user, headers = server.user("alice")
        episode = server.store.start_episode(user.id, NewEpisode(onset=NOW))
        path = f"/v1/diary/episodes/{episode.id}"
        response = server.client.patch(path, json={"end": "2020-01-01T00:00:00Z"}, headers=headers)
        _error(response, 422, "invalid_argument")
        body = {"onset": "2026-11-20T00:00:00Z", "end": "2026-11-01T00:00:00Z"}
        _error(
            server.client.post("/v1/diary/episodes", json=body, headers=headers),
            422,
            "invalid_request",
        )

    def test_summary_shows_warnings_with_their_data(self, server: Server) -> None:
        user, headers = server.user("alice")
        episode = server.store.start_episode(user.id, NewEpisode(onset=NOW - dt.timedelta(days=35)))
        for days, pain, notes in ((34, 7, ""), (2, 7, "now I can't pee properly")):
            server.store.add_checkin(
                user.id,
                episode.id,
                NewCheckIn(at=NOW - dt.timedelta(days=days), pain=pain, notes=notes),
            )
        summary = server.client.get("/v1/diary/summary", headers=headers).json()
        rules = [w["rule"] for w in summary["warnings"]]
        assert rules == ["red_flag", "not_improving"]
        assert summary["warnings"][0]["level"] == "emergency"
        assert summary["warnings"][1]["evidence"]
        assert summary["open_episode_id"] == episode.id

    @pytest.mark.parametrize("format, media", [("json", "application/json"), ("csv", "text/csv")])
    def test_export_then_import_round_trips(self, server: Server, format: str, media: str) -> None:
        alice_user, alice = server.user("alice")
        _, bob = server.user("bob")
        episode = server.store.start_episode(
            alice_user.id, NewEpisode(onset=NOW - dt.timedelta(days=9), note='a, "b"\nc')
        )
        server.store.update_episode(alice_user.id, episode.id, EpisodePatch(end=NOW))
        server.store.add_checkin(
            alice_user.id,
            episode.id,
            NewCheckIn(at=NOW, pain=4, where=("lower back",), triggers=("cold", "stairs")),
        )
        exported = server.client.get(f"/v1/diary/export?format={format}", headers=alice)
        assert exported.headers["content-type"].startswith(media)
        assert "attachment" in exported.headers["content-disposition"]
        imported = server.client.post(
            "/v1/diary/import",
            content=exported.content,
            headers={**bob, "Content-Type": media},
        )
        assert imported.status_code == 201 and imported.json() == {"episodes": 1, "checkins": 1}
        again = server.client.get(f"/v1/diary/export?format={format}", headers=bob)
        assert again.content == exported.content

    @pytest.mark.parametrize(
        "content, media, status, code",
        [
            (b"{}", "application/json", 422, "invalid_diary_file"),
            (b"a,b\n", "text/csv", 422, "invalid_diary_file"),
            (b"hello", "text/plain", 415, "unsupported_media_type"),
            (b"\xff\xfe", "text/csv", 422, "bad_json"),
        ],
    )
    def test_bad_imports_are_refused(
        self, server: Server, content: bytes, media: str, status: int, code: str
    ) -> None:
        _, headers = server.user("alice")
        response = server.client.post(
            "/v1/diary/import", content=content, headers={**headers, "Content-Type": media}
        )
        _error(response, status, code)


class TestReview:
    def test_abstained_questions_are_logged_and_clustered(
        self, server: Server, fake_backcare: Backcare
    ) -> None:
        _, maintainer = server.user("max", maintainer=True)
        asked = ["what is the capital of France?"] * 3 + ["What is the capital of France"]
        asked += ["how do I bake sourdough bread"]
        for question in asked:
            reply = server.client.post("/v1/ask", json={"q": question}).json()
            assert reply["status"] == "abstained"
        rows = server.feedback.abstained()
        assert {row.query for row in rows} >= {"what is the capital of France?"}
        assert all(row.kb == "backcare-pack@1" for row in rows)
        report = server.client.get("/v1/review", headers=maintainer).json()
        assert report["abstained_total"] == 5
        top = report["unanswered"][0]
        assert top["count"] == 4 and "capital of France" in top["question"]
        # Each cluster names the entry it most likely belongs to, for `review accept`.
        assert len(top["id"]) == 12
        assert fake_backcare.kb.index_of(top["proposal"]["entry_id"]) is not None

    def test_worst_rated_answers_come_first(self, server: Server) -> None:
        _, maintainer = server.user("max", maintainer=True)
        for entry_id, rating in [
            ("immediate", "wrong"),
            ("immediate", "not_helpful"),
            ("duration", "not_helpful"),
            ("duration", "helpful"),
            ("sleep", "helpful"),
        ]:
            body = {"q": f"question about {entry_id}", "entry_id": entry_id, "rating": rating}
            assert server.client.post("/v1/feedback", json=body).status_code == 201
        report = server.client.get("/v1/review?top=5", headers=maintainer).json()
        assert [e["entry_id"] for e in report["worst_rated"]] == ["immediate", "duration"]
        assert report["worst_rated"][0]["wrong"] == 1
        assert report["worst_rated"][0]["examples"] == ["question about immediate"]


def test_a_database_that_goes_down_is_503(fake_backcare: Backcare) -> None:
    class DownStore(SqlDiaryStore):
        def episodes(self, user_id: int) -> list[Any]:
            raise DiaryError("connection refused by db.internal:5432")

    store = DownStore("sqlite://")
    _, token = store.add_user("alice", maintainer=False, now=NOW)
    with TestClient(create_app(fake_backcare, diary=store)) as client:
        response = client.get("/v1/diary/episodes", headers={"Authorization": f"Bearer {token}"})
        error = _error(response, 503, "storage_unavailable")
        assert "db.internal" not in error["message"]


def test_the_openapi_schema_documents_bearer_auth(fake_backcare: Backcare) -> None:
    app = create_app(fake_backcare, diary=SqlDiaryStore("sqlite://"))
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operation = schema["paths"]["/v1/diary/episodes"]["get"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "401" in operation["responses"]


def test_a_failing_log_of_unanswered_questions_never_fails_the_reply(
    fake_backcare: Backcare, caplog: pytest.LogCaptureFixture
) -> None:
    class DownLog(SqlFeedbackStore):
        def add_abstained(self, item: Any) -> int:
            raise DiaryError("database down at db.internal")

    with TestClient(create_app(fake_backcare, feedback=DownLog("sqlite://"))) as client:
        reply = client.post("/v1/ask", json={"q": "what is the capital of France?"})
    assert reply.status_code == 200 and reply.json()["status"] == "abstained"
    assert "could not log an unanswered question" in caplog.text
    assert "capital" not in caplog.text, "the question is not logged above DEBUG"


def test_review_honours_the_knowledge_bases_decisions(
    tmp_path: Path, fake_encoder: Encoder, pack: KnowledgePack
) -> None:
    # `backcare review --kb DIR` leaves accepted clusters out and never proposes a
    # rejected entry again; GET /v1/review over the same knowledge base must agree.
    from backcare import reject_proposal

    kb, app, headers = _review_app(tmp_path, fake_encoder, pack, "kb")
    with TestClient(app) as client:
        first = client.get("/v1/review", headers=headers).json()["unanswered"][0]
        reject_proposal(kb, first["id"], first["proposal"]["entry_id"])
        again = client.get("/v1/review", headers=headers).json()["unanswered"][0]
    assert again["id"] == first["id"]
    assert again["proposal"]["entry_id"] != first["proposal"]["entry_id"]


def test_review_proposes_only_for_questions_asked_of_its_knowledge_base(
    tmp_path: Path, fake_encoder: Encoder, pack: KnowledgePack
) -> None:
    # A server over an ingested FAQ shares its database with one over the pack: the
    # pack's unanswered questions are their own clusters, with nothing proposed
    # from the FAQ's entries.
    _, app, headers = _review_app(tmp_path, fake_encoder, pack, pack.label, pack.label, "kb")
    with TestClient(app) as client:
        report = client.get("/v1/review", headers=headers).json()
    clusters = {c["kb"]: c for c in report["unanswered"]}
    assert [(c["kb"], c["count"]) for c in report["unanswered"]] == [(pack.label, 2), ("kb", 1)]
    assert clusters[pack.label]["proposal"] is None
    assert clusters["kb"]["proposal"]["entry_id"]


def _review_app(
    tmp_path: Path, fake_encoder: Encoder, pack: KnowledgePack, *asked_of: str
) -> tuple[Path, Any, dict[str, str]]:
    """A server over the seed FAQ (knowledge base ``kb``) and a maintainer's headers.

    Its feedback store holds "back spasm jogging ok?" unanswered once per label
    in ``asked_of``.
    """
    from backcare import Abstained, ingest_to_kb

    kb = tmp_path / "kb"
    ingest_to_kb(
        [Path(__file__).parent / "ingest" / "cases" / "back-spasms-faq.txt"], kb, fake_encoder
    )
    backcare = Backcare.open(fake_encoder, kb_dir=kb, pack=pack)
    assert backcare.kb_label == "kb"
    store = SqlDiaryStore("sqlite://")
    feedback = SqlFeedbackStore("sqlite://")
    for label in asked_of:
        feedback.add_abstained(Abstained(at=NOW, query="back spasm jogging ok?", kb=label))
    _, token = store.add_user("max", maintainer=True, now=NOW)
    app = create_app(backcare, feedback=feedback, diary=store, clock=_clock)
    return kb, app, {"Authorization": f"Bearer {token}"}
