"""No personal data in logs: questions and notes never appear in a record at INFO or above.

A real uvicorn server runs in a thread of this process with uvicorn's own
logging left unconfigured, so its access and error records reach ``caplog``
(at DEBUG, from every logger) next to backcare's own. Every request carries a
unique marker in the places a person's words go: the question, the care-plan
text, a rating's question, bodies that are refused, a store that is down and a
bug that quotes the question in its message, and diary notes behind a token.
DEBUG may hold the marker (it is off in production); nothing at INFO or above
may.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from backcare import Backcare, SqlDiaryStore, SqlFeedbackStore, TriageResult
from backcare.api import create_app

MARKER = f"zq{uuid.uuid4().hex}zq"
NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


class _BuggyBackcare(Backcare):
    """Triage fails, quoting the text, when it starts with ``crash``: a bug's message."""

    def triage(
        self,
        text: str | None,
        *,
        lang: str | None = None,
        answers: Mapping[str, bool] | None = None,
    ) -> TriageResult:
        if text is not None and text.startswith("crash"):
            raise RuntimeError(f"triage failed on {text!r}")
        return super().triage(text, lang=lang, answers=answers)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(fake_backcare: Backcare, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """A uvicorn server in a thread over SQLite files; yields (url, feedback db, token)."""
    db = tmp_path / "feedback.db"
    store = SqlFeedbackStore(f"sqlite:///{db}?timeout=0.1")
    diary = SqlDiaryStore(f"sqlite:///{tmp_path / 'diary.db'}")
    _, token = diary.add_user("grace", maintainer=False, now=NOW)
    buggy = _BuggyBackcare(fake_backcare.pack, fake_backcare.kb, fake_backcare.retriever.encoder)
    port = _free_port()
    config = uvicorn.Config(
        create_app(buggy, feedback=store, diary=diary),
        host="127.0.0.1",
        port=port,
        log_config=None,  # leave the records to propagate to caplog
        log_level="debug",
        access_log=True,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", db, token
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
        diary.close()


def test_no_question_or_note_is_logged_above_debug(
    served: tuple[str, Path, str], caplog: pytest.LogCaptureFixture
) -> None:
    url, db, token = served
    auth = {"authorization": f"Bearer {token}"}
    caplog.set_level(logging.DEBUG)
    logging.getLogger("backcare").debug("the marker at DEBUG is allowed: %s", MARKER)
    statuses: list[int] = []
    with httpx.Client(base_url=url, timeout=10) as http:

        def post(path: str, **kwargs: Any) -> None:
            statuses.append(http.post(path, **kwargs).status_code)

        post("/v1/ask", json={"q": f"my back locked up {MARKER} what now?"})
        post("/v1/ask", json={"q": f"can't pee and numb groin {MARKER}"})
        post("/v1/triage", json={"q": f"{MARKER} my legs are weak"})
        post("/v1/careplan", json={"onset": "2026-01-01", "q": f"spasm {MARKER}"})
        post("/v1/feedback", json={"q": f"ice {MARKER}", "rating": "helpful"})
        # Diary notes: an episode, a check-in, a refused one, and a wrong token.
        post("/v1/diary/episodes", json={"note": f"lifting {MARKER}"}, headers=auth)
        checkin = {"pain": 7, "notes": f"sneezed {MARKER}", "triggers": [MARKER]}
        post("/v1/diary/episodes/1/checkins", json=checkin, headers=auth)
        post("/v1/diary/episodes/1/checkins", json={**checkin, "pain": 11}, headers=auth)
        post("/v1/diary/episodes", json={"note": MARKER}, headers={"authorization": MARKER})
        # Refused input: unknown field, wrong type, too long, broken JSON, not JSON.
        post("/v1/ask", json={"q": MARKER, MARKER: MARKER})
        post("/v1/ask", json={"q": [MARKER], "top_k": MARKER})
        post("/v1/ask", json={"q": MARKER * 100})
        post("/v1/ask", content=f'{{"q": "{MARKER}', headers={"content-type": "application/json"})
        post("/v1/ask", content=MARKER, headers={"content-type": "text/plain"})
        post("/v1/feedback", json={"q": MARKER, "entry_id": MARKER, "rating": "wrong"})
        # A bug whose message quotes the question: 500, logged without the message.
        post("/v1/triage", json={"q": f"crash {MARKER}"})
        # The store is locked by another process: 503, logged without the question.
        holder = sqlite3.connect(db)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            post("/v1/feedback", json={"q": f"heat {MARKER}", "rating": "wrong"})
        finally:
            holder.rollback()
            holder.close()
    assert statuses == [200, 200, 200, 200, 201, 201, 201, 422, 401] + [422] * 6 + [500, 503]

    loggers = {record.name for record in caplog.records}
    assert "uvicorn.access" in loggers, "the access log was captured"
    assert "backcare.api" in loggers, "the 500 and the 503 were logged"
    assert any(MARKER in record.getMessage() for record in caplog.records), "DEBUG was seen"
    leaks = [
        f"{record.levelname} {record.name}: {record.getMessage()[:300]}"
        for record in caplog.records
        if record.levelno >= logging.INFO and _mentions(record, MARKER)
    ]
    assert leaks == []


def _mentions(record: logging.LogRecord, marker: str) -> bool:
    """The marker anywhere a handler could print it: message, traceback or stack."""
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        text += f"{exc}{exc.__cause__}{exc.__context__}"
    return marker in text + (record.exc_text or "") + (record.stack_info or "")
