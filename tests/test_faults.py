"""Faults: a feedback database that goes away and comes back, and damaged knowledge bases.

While the database cannot be written the API keeps answering questions, a
rating gets a clear 503 ``storage_unavailable`` (the client knows it was not
kept), readiness says ``not_ready``, and writes resume once the database is
back; every rating answered 201 is in the database (none lost).

A knowledge-base folder that is half-written or damaged is refused when
``backcare serve`` starts: it exits non-zero with a message that names the
problem, and never listens.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backcare import Backcare, Encoder, FaqEntry, KnowledgeBase, SqlFeedbackStore
from backcare.api import create_app

# ---------------------------------------------------------------- the feedback database


def _rows(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT query FROM feedback ORDER BY id")]


def test_the_api_survives_a_database_that_goes_away_and_comes_back(
    fake_backcare: Backcare, tmp_path: Path
) -> None:
    db = tmp_path / "feedback.db"
    # A short busy timeout: a locked database fails fast instead of queueing requests.
    store = SqlFeedbackStore(f"sqlite:///{db}?timeout=0.05")
    outage = threading.Event()
    accepted: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()

    with TestClient(create_app(fake_backcare, feedback=store)) as client:

        def rate(n: int) -> None:
            question = f"rating number {n}"
            response = client.post("/v1/feedback", json={"q": question, "rating": "helpful"})
            with lock:
                statuses[("feedback", response.status_code)] += 1
                if response.status_code == 201:
                    accepted.append(question)
                else:
                    assert response.json()["error"]["code"] == "storage_unavailable"
                    assert "sqlite" not in response.json()["error"]["message"], "no detail leaks"

        def ask(n: int) -> None:
            response = client.post("/v1/ask", json={"q": f"back spasm question {n}"})
            with lock:
                statuses[("ask", response.status_code)] += 1

        def burst(start: int) -> None:
            with ThreadPoolExecutor(max_workers=6) as pool:
                for n in range(start, start + 20):
                    pool.submit(rate, n)
                    pool.submit(ask, n)

        burst(0)
        assert client.get("/readyz").status_code == 200

        # The database goes away: another process holds it locked.
        holder = sqlite3.connect(db, timeout=5)
        holder.execute("BEGIN EXCLUSIVE")
        outage.set()
        try:
            burst(100)
            # (Readiness pings with SELECT 1, which SQLite answers without the lock.)
            assert client.get("/healthz").status_code == 200, "the process is alive"
        finally:
            holder.rollback()
            holder.close()

        # ... and comes back.
        burst(200)
        assert client.get("/readyz").status_code == 200

    store.close()
    assert statuses[("ask", 200)] == 60, statuses
    assert statuses[("feedback", 503)] == 20, "every write in the outage failed clearly"
    assert statuses[("feedback", 201)] == 40, "writes resumed after it"
    assert sorted(_rows(db)) == sorted(accepted), "no accepted rating was lost"
    assert {q for q in _rows(db)} >= {f"rating number {n}" for n in range(200, 220)}


# ---------------------------------------------------------------- damaged knowledge bases


def _version(kb: Path) -> Path:
    return kb / (kb / "CURRENT").read_text(encoding="utf-8").strip()


def _no_current(kb: Path) -> None:
    (kb / "CURRENT").unlink()


def _truncated_vectors(kb: Path) -> None:
    vectors = _version(kb) / "question_vectors.npy"
    data = vectors.read_bytes()
    vectors.write_bytes(data[: len(data) // 2])


def _no_manifest(kb: Path) -> None:
    (_version(kb) / "manifest.json").unlink()


def _current_names_a_missing_version(kb: Path) -> None:
    shutil.rmtree(_version(kb))


def _garbled_entries(kb: Path) -> None:
    (_version(kb) / "entries.jsonl").write_text('{"id": "a", "question": \n', encoding="utf-8")


def _truncated_bm25(kb: Path) -> None:
    for index in (_version(kb) / "bm25_questions").glob("*.npy"):
        index.write_bytes(index.read_bytes()[:20])


DAMAGE = {
    "no CURRENT": (_no_current, "no CURRENT file"),
    "truncated vectors": (_truncated_vectors, "knowledge base is damaged"),
    "no manifest": (_no_manifest, "half-written or damaged (no manifest.json)"),
    "CURRENT names a missing version": (_current_names_a_missing_version, "half-written"),
    "garbled entries": (_garbled_entries, "knowledge base is damaged"),
    "truncated BM25 index": (_truncated_bm25, "damaged"),
}


@pytest.fixture(scope="module")
def good_kb(tmp_path_factory: pytest.TempPathFactory, real_encoder: Encoder) -> Path:
    """A small knowledge base built with the model ``serve`` loads."""
    entries = [
        FaqEntry(id="walk", question="Should I walk with a back spasm?", answer="Short walks."),
        FaqEntry(id="heat", question="Does heat help a back spasm?", answer="Warmth eases it."),
    ]
    folder = tmp_path_factory.mktemp("good") / "kb"
    KnowledgeBase.build("good-kb@1", entries, real_encoder).save(folder)
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(kb: Path, tmp: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    port = _free_port()
    env = {**os.environ, "BACKCARE_DATA_DIR": str(tmp / "data"), "COLUMNS": "300"}
    env.pop("BACKCARE_KB", None)
    command = [sys.executable, "-m", "backcare", "serve", "--port", str(port), "--kb", str(kb)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    return result, port


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_serve_refuses_a_damaged_knowledge_base(good_kb: Path, tmp_path: Path, damage: str) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(good_kb, kb)
    harm, message = DAMAGE[damage]
    harm(kb)
    result, port = _serve(kb, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    error = " ".join(result.stderr.split())
    assert error.startswith("error:"), result.stderr
    assert message in error, result.stderr
    assert "rebuild" in error or "backcare ingest" in error, "the message says how to fix it"
    assert "Traceback" not in result.stderr
    assert "serving" not in result.stdout
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_serve_starts_on_the_undamaged_copy(good_kb: Path) -> None:
    """The damage, not the folder, is what serve refuses."""
    assert KnowledgeBase.load(good_kb).name == "good-kb@1"
