"""The PostgreSQL server goes away mid-request and comes back.

A throw-away cluster of this module's own (``tests/diary/backends.py`` starts
it, so the session's shared server is never disturbed) holds the diary and
the feedback. Threads keep asking questions, logging diary check-ins and
rating answers while the server is stopped with ``pg_ctl stop -m immediate``
(connections cut in the middle of whatever they were doing) and started
again on the same port. Throughout:

- questions are answered (200): they need no database;
- a diary or feedback write gets 201, or a clear 503 ``storage_unavailable``,
  never a 500; readiness says ``not_ready`` while the server is away;
- writes resume once it is back (pooled connections are re-checked);
- every write answered 201 is in the database afterwards: no row is lost.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backcare import Backcare, SqlDiaryStore, SqlFeedbackStore
from tests.diary.backends import NOW, PostgresServer, _binary, _start, _stop

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _as_postgres() -> list[str]:
    if os.geteuid() == 0:
        return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
    return []


def _restart(server: PostgresServer) -> None:
    options = (
        f"-p {server.port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={server.folder} -c fsync=off -c max_connections=50"
    )
    subprocess.run(
        [*_as_postgres(), _binary("pg_ctl"), "-D", str(server.folder / "data"), "-o", options,
         "-l", str(server.folder / "server.log"), "-w", "-t", "60", "start"],
        check=True, capture_output=True, timeout=90,
    )  # fmt: skip


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    folder = Path(tempfile.mkdtemp(prefix="backcare-pg-fault-"))
    try:
        try:
            server = _start(folder)
        except (OSError, RuntimeError, KeyError, subprocess.SubprocessError) as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"cannot start PostgreSQL: {exc}")
            pytest.skip(f"cannot start PostgreSQL: {exc}")
        yield PostgresServer(server.host, server.port, server.user, folder, itertools.count(1))
    finally:
        _stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_api_rides_out_a_postgres_outage(
    fake_backcare: Backcare, own_postgres: PostgresServer
) -> None:
    from backcare.api import create_app

    url = own_postgres.new_database()
    diary = SqlDiaryStore(url)
    feedback = SqlFeedbackStore(url)
    _, token = diary.add_user("frank", maintainer=False, now=NOW)
    auth = {"authorization": f"Bearer {token}"}
    app = create_app(fake_backcare, feedback=feedback, diary=diary, clock=lambda: NOW)

    phase = "before"
    seen: Counter[tuple[str, str, int]] = Counter()
    accepted_checkins: list[str] = []
    accepted_ratings: list[str] = []
    problems: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    counter = itertools.count()

    with TestClient(app) as client:
        episode = client.post("/v1/diary/episodes", json={"note": "outage test"}, headers=auth)
        assert episode.status_code == 201, episode.text
        episode_id = episode.json()["id"]

        def record(kind: str, status: int, body: str) -> None:
            with lock:
                seen[(phase, kind, status)] += 1
                if status >= 500 and status != 503:
                    problems.append(f"{kind} {status} during {phase}: {body[:200]}")
                if status == 503 and "storage_unavailable" not in body and "not_ready" not in body:
                    problems.append(f"{kind} 503 without the code: {body[:200]}")

        def worker() -> None:
            while not stop.is_set():
                n = next(counter)
                answer = client.post("/v1/ask", json={"q": f"back spasm question {n}"})
                record("ask", answer.status_code, answer.text)
                note = f"check-in {n}"
                response = client.post(
                    f"/v1/diary/episodes/{episode_id}/checkins",
                    json={"pain": n % 11, "notes": note},
                    headers=auth,
                )
                record("checkin", response.status_code, response.text)
                if response.status_code == 201:
                    with lock:
                        accepted_checkins.append(note)
                question = f"rating {n}"
                rating = client.post("/v1/feedback", json={"q": question, "rating": "helpful"})
                record("feedback", rating.status_code, rating.text)
                if rating.status_code == 201:
                    with lock:
                        accepted_ratings.append(question)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            phase = "outage"
            _stop(own_postgres.folder)  # -m immediate: connections cut mid-request
            time.sleep(1.5)
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["error"]["code"] == "not_ready"
            me = client.get("/v1/me", headers=auth)
            assert me.status_code == 503, me.text
            assert me.json()["error"]["code"] == "storage_unavailable"
            _restart(own_postgres)
            phase = "after"
            time.sleep(2.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

        assert client.get("/readyz").status_code == 200, "ready again"
        checkins = client.get(f"/v1/diary/episodes/{episode_id}/checkins", headers=auth)
        assert checkins.status_code == 200
        stored_notes = {item["notes"] for item in checkins.json()}

    stored_ratings = {row.query for row in feedback.recent(limit=100_000)}
    diary.close()
    feedback.close()

    summary = dict(sorted(seen.items()))
    assert problems == [], summary
    for current in ("before", "outage", "after"):
        assert seen[(current, "ask", 200)] > 0, summary
        assert (
            sum(n for (p, kind, _), n in seen.items() if p == current and kind == "ask")
            == (seen[(current, "ask", 200)])
        ), f"every question was answered during {current}: {summary}"
    assert seen[("outage", "checkin", 503)] > 0, f"the outage was felt: {summary}"
    assert seen[("after", "checkin", 201)] > 0, f"diary writes resumed: {summary}"
    assert seen[("after", "feedback", 201)] > 0, f"feedback writes resumed: {summary}"
    lost = [note for note in accepted_checkins if note not in stored_notes]
    lost += [question for question in accepted_ratings if question not in stored_ratings]
    assert lost == [], f"{len(lost)} acknowledged rows lost"
    print(
        f"outage survived: {summary}; acknowledged {len(accepted_checkins)} check-ins and "
        f"{len(accepted_ratings)} ratings; lost 0"
    )
