"""Security of server mode: hashed tokens compared in constant time, headers, closed CORS.

The rate limit has its own tests (``test_ratelimit.py``), as do logs
(``test_log_privacy.py``) and hostile input (``test_api_fuzz.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backcare import Backcare, DiaryError, Feedback, SqlDiaryStore, StoredFeedback
from backcare.api import CONTENT_SECURITY_POLICY, RateLimit, create_app
from backcare.cli import app as cli_app

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


# ---------------------------------------------------------------- tokens


@pytest.fixture
def users_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "backcare.db"
    monkeypatch.setenv("BACKCARE_DATABASE_URL", f"sqlite:///{db}")
    from backcare.settings import get_settings

    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_users_add_prints_a_token_and_stores_only_its_hash(users_db: Path) -> None:
    result = CliRunner().invoke(cli_app, ["users", "add", "alice"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert len(token) >= 32, "a long random token"
    with sqlite3.connect(users_db) as conn:
        (stored,) = conn.execute("SELECT token_hash FROM users WHERE name = 'alice'").fetchone()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    raw = b"".join(path.read_bytes() for path in users_db.parent.glob("backcare.db*"))
    assert token.encode() not in raw, "the token itself is nowhere in the database"

    listing = CliRunner().invoke(cli_app, ["users", "list"])
    assert listing.exit_code == 0 and "alice" in listing.stdout
    assert token not in listing.stdout and stored not in listing.stdout

    again = CliRunner().invoke(cli_app, ["users", "add", "bob"])
    assert again.stdout.strip().splitlines()[-1] != token, "every user has their own token"


def test_tokens_are_checked_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqlDiaryStore("sqlite://")
    user, token = store.add_user("carol", maintainer=False, now=NOW)
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("backcare.diary.sql.hmac.compare_digest", spy)
    found = store.authenticate(token)
    assert found is not None and found.id == user.id
    assert calls, "the stored hash is compared with hmac.compare_digest"
    assert all(token not in (a, b) for a, b in calls), "hashes are compared, not tokens"
    for wrong in (token[:-1] + ("x" if token[-1] != "x" else "y"), token.upper(), "", "x" * 500):
        assert store.authenticate(wrong) is None
    store.close()


def test_the_api_refuses_a_wrong_token_with_a_challenge(fake_backcare: Backcare) -> None:
    diary = SqlDiaryStore("sqlite://")
    _, token = diary.add_user("dora", maintainer=False, now=NOW)
    with TestClient(create_app(fake_backcare, diary=diary)) as client:
        assert client.get("/v1/me", headers={"authorization": f"Bearer {token}"}).is_success
        for header in ({}, {"authorization": f"Bearer {token}x"}, {"authorization": token}):
            response = client.get("/v1/me", headers=header)
            assert response.status_code == 401, header
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"]["code"] == "unauthorized"
            assert token not in response.text
    diary.close()


# ---------------------------------------------------------------- every kind of response


class _DownFeedback:
    def add(self, feedback: Feedback) -> int:
        raise DiaryError("database down")

    def recent(self, limit: int = 100) -> list[StoredFeedback]:
        raise DiaryError("database down")

    def ping(self) -> None:
        raise DiaryError("database down")

    def add_abstained(self, item: object) -> int:
        raise DiaryError("database down")

    def abstained(self, limit: int = 1000) -> list[object]:
        raise DiaryError("database down")


class _Broken(Backcare):
    def triage(self, text: str | None, *, lang: str | None = None, **_: Any) -> Any:
        raise RuntimeError("a bug")


@pytest.fixture
def clients(fake_backcare: Backcare) -> Iterator[dict[str, Any]]:
    diary = SqlDiaryStore("sqlite://")
    _, token = diary.add_user("erin", maintainer=False, now=NOW)
    broken = _Broken(fake_backcare.pack, fake_backcare.kb, fake_backcare.retriever.encoder)
    apps = {
        "normal": create_app(fake_backcare, diary=diary, max_body_bytes=1_000, clock=lambda: NOW),
        "down": create_app(fake_backcare, feedback=_DownFeedback()),  # type: ignore[arg-type]
        "broken": create_app(broken),
        "limited": create_app(fake_backcare, rate_limit=RateLimit(rate=0.001, burst=1)),
    }
    with (
        TestClient(apps["normal"]) as normal,
        TestClient(apps["down"]) as down,
        TestClient(apps["broken"], raise_server_exceptions=False) as broken_client,
        TestClient(apps["limited"]) as limited,
    ):
        yield {
            "normal": normal,
            "down": down,
            "broken": broken_client,
            "limited": limited,
            "auth": {"authorization": f"Bearer {token}"},
        }
    diary.close()


RESPONSES = [
    # (name, client, method, path, extra request arguments, expected status)
    ("page", "normal", "GET", "/", {}, 200),
    ("page HEAD", "normal", "HEAD", "/", {}, 200),
    ("script", "normal", "GET", "/static/app.js", {}, 200),
    ("stylesheet", "normal", "GET", "/static/app.css", {}, 200),
    ("missing static file", "normal", "GET", "/static/nope.js", {}, 404),
    ("static path traversal", "normal", "GET", "/static/../errors.py", {}, 404),
    ("openapi", "normal", "GET", "/openapi.json", {}, 200),
    ("json answer", "normal", "POST", "/v1/ask", {"json": {"q": "ice or heat?"}}, 200),
    (
        "calendar file",
        "normal",
        "POST",
        "/v1/careplan?format=ics",
        {"json": {"onset": "2026-11-27"}},
        200,
    ),
    ("created", "normal", "POST", "/v1/feedback", {"json": {"q": "x", "rating": "wrong"}}, 201),
    ("created in the diary", "normal", "POST", "/v1/diary/episodes", {"json": {}, "auth": 1}, 201),
    ("no content", "normal", "DELETE", "/v1/diary/episodes/1", {"auth": 1}, 204),
    ("unauthorized", "normal", "GET", "/v1/me", {}, 401),
    ("forbidden", "normal", "GET", "/v1/review", {"auth": 1}, 403),
    ("not found", "normal", "GET", "/v1/entries/nope", {}, 404),
    ("method not allowed", "normal", "PUT", "/v1/ask", {}, 405),
    ("body too large", "normal", "POST", "/v1/ask", {"json": {"q": "x" * 2_000}}, 413),
    ("not json", "normal", "POST", "/v1/ask", {"content": b"q=1"}, 422),
    ("invalid", "normal", "POST", "/v1/ask", {"json": {"q": ""}}, 422),
    ("bug", "broken", "POST", "/v1/triage", {"json": {"q": "hello"}}, 500),
    ("store down", "down", "POST", "/v1/feedback", {"json": {"q": "x", "rating": "wrong"}}, 503),
    ("not ready", "down", "GET", "/readyz", {}, 503),
    ("rate limited", "limited", "GET", "/v1/entries", {"repeat": 2}, 429),
]


@pytest.mark.parametrize(
    ("client", "method", "path", "extra", "status"),
    [row[1:] for row in RESPONSES],
    ids=[row[0] for row in RESPONSES],
)
def test_security_headers_on_every_kind_of_response(
    clients: dict[str, Any],
    client: str,
    method: str,
    path: str,
    extra: dict[str, Any],
    status: int,
) -> None:
    http: TestClient = clients[client]
    kwargs = {k: v for k, v in extra.items() if k not in {"auth", "repeat"}}
    if "auth" in extra:
        kwargs["headers"] = clients["auth"]
    if path == "/v1/diary/episodes/1":
        http.post("/v1/diary/episodes", json={}, headers=clients["auth"])
    response: httpx.Response = http.request(method, path, **kwargs)
    for _ in range(extra.get("repeat", 1) - 1):
        response = http.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    if status >= 400 and method != "HEAD":
        assert set(response.json()) == {"error"}


# ---------------------------------------------------------------- CORS


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/diary/episodes", "/v1/me", "/"])
def test_cors_is_closed(clients: dict[str, Any], path: str) -> None:
    http: TestClient = clients["normal"]
    origin = {"origin": "https://evil.example"}
    preflight = http.options(
        path,
        headers={
            **origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert preflight.status_code in {404, 405}, "no preflight handler answers"
    cross = http.get(path, headers={**origin, **clients["auth"]})
    for response in (preflight, cross):
        assert not any(name.startswith("access-control-") for name in response.headers)
