"""One ingest at a time per knowledge base: a second waits or fails clearly, and loses nothing."""

from __future__ import annotations

import contextlib
import fcntl
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backcare import Encoder, IngestError, KnowledgeBase, ingest_to_kb
from backcare.cli import app
from backcare.ingest.build import LOCK_FILE

HOLD = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
handle.write("pid 4242 on elsewhere since now"); handle.flush()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _faq(path: Path, prefix: str, count: int) -> Path:
    rows = [
        {"question": f"{prefix} question number {n}?", "answer": f"{prefix} answer {n}."}
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@contextlib.contextmanager
def _held(lock: Path, seconds: float, *, kill: bool = True) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock for ``seconds`` (killed on leaving, unless not)."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        try:
            yield holder
        finally:
            if kill:
                holder.kill()
            holder.wait()


def test_a_second_ingest_fails_at_once_with_who_holds_it(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    kb = tmp_path / "kb"
    ingest_to_kb([_faq(tmp_path / "a.jsonl", "alpha", 3)], kb, fake_encoder)
    before = (kb / "CURRENT").read_text()
    with _held(kb / LOCK_FILE, 30):
        started = time.monotonic()
        with pytest.raises(IngestError, match=r"another ingest is running .*pid 4242.*--wait"):
            ingest_to_kb([_faq(tmp_path / "b.jsonl", "beta", 3)], kb, fake_encoder)
        assert time.monotonic() - started < 5
    assert (kb / "CURRENT").read_text() == before
    assert len(KnowledgeBase.load(kb).entries) == 3


def test_a_second_ingest_waits_when_asked(tmp_path: Path, fake_encoder: Encoder) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    with _held(kb / LOCK_FILE, 1.0, kill=False):
        ingest_to_kb([_faq(tmp_path / "a.jsonl", "alpha", 2)], kb, fake_encoder, wait=60)
    assert len(KnowledgeBase.load(kb).entries) == 2


def test_a_killed_holder_leaves_no_lock(tmp_path: Path, fake_encoder: Encoder) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    with _held(kb / LOCK_FILE, 60):
        pass
    ingest_to_kb([_faq(tmp_path / "a.jsonl", "alpha", 2)], kb, fake_encoder)
    with (kb / LOCK_FILE).open() as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again after the run


def test_concurrent_ingests_are_serialised_and_keep_every_entry(
    tmp_path: Path, fake_encoder: Encoder
) -> None:
    kb = tmp_path / "kb"
    ingest_to_kb([_faq(tmp_path / "seed.jsonl", "seed", 2)], kb, fake_encoder)
    files = [_faq(tmp_path / f"f{n}.jsonl", f"file{n}", 20) for n in range(4)]
    errors: list[BaseException] = []

    def run(file: Path) -> None:
        try:
            ingest_to_kb([file], kb, fake_encoder, wait=120)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(file,)) for file in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    entries = KnowledgeBase.load(kb).entries
    assert len(entries) == 2 + 4 * 20, "no run's entries were lost"
    versions = [p.name for p in kb.iterdir() if not p.name.startswith(".") and p.is_dir()]
    assert len(versions) == 1, versions  # the live one; nothing half-written left


def test_the_cli_says_another_ingest_is_running(
    tmp_path: Path, fake_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    monkeypatch.setattr("backcare.cli.kb.default_encoder", lambda *a, **k: fake_encoder)
    with _held(kb / LOCK_FILE, 30):
        result = CliRunner().invoke(
            app,
            ["ingest", str(_faq(tmp_path / "a.jsonl", "alpha", 2)), "--kb", str(kb)],
            env={"COLUMNS": "500"},
        )
    assert result.exit_code == 1
    assert "another ingest is running on this knowledge base" in result.stderr
    assert not (kb / "CURRENT").exists()
