"""`backcare serve` on SIGTERM: stops accepting, finishes the request in flight, exits 0.

A real server process (the shipped pack and the real model, as deployed)
receives the first half of a request body, then SIGTERM, then the rest: the
request is answered in full, a new connection is refused meanwhile, and the
process exits once it has shut down. Its stderr is the structured log: one JSON object a
line, the access record with the request id, no question text.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from backcare.settings import Settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"serve did not get ready:\n{log.read_text()[-3000:]}")


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path, settings: Settings) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "BACKCARE_DATA_DIR": str(tmp_path),
        "BACKCARE_CACHE_DIR": str(settings.cache_dir),
        "BACKCARE_SHUTDOWN_GRACE": "20",
        "BACKCARE_LOG_FORMAT": "json",
    }
    env.pop("BACKCARE_KB", None)
    env.pop("BACKCARE_DATABASE_URL", None)
    command = [sys.executable, "-m", "backcare", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=out, stderr=out, env=env)
    url = f"http://127.0.0.1:{port}"
    marker = f"zq{uuid.uuid4().hex}zq"
    try:
        _wait_ready(url, process, log)
        body = json.dumps({"q": f"back spasm {marker}", "rating": "helpful"}).encode()
        head = (
            f"POST /v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Request-ID: in-flight-1\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head + body[:10])
            time.sleep(0.5)  # the server has the headers: the request is in flight
            process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert process.poll() is None, "exited with a request in flight"
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{url}/healthz", timeout=2)  # no longer accepting
            conn.sendall(body[10:])
            response = b""
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                response += chunk
        status_line = response.split(b"\r\n", 1)[0]
        assert status_line == b"HTTP/1.1 201 Created", response[:300]
        assert b'"status":"recorded"' in response
        # uvicorn re-raises SIGTERM once it has shut down, so the exit status is
        # what a supervisor expects of a process it stopped (143 in a shell).
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    access = [r for r in records if r["logger"] == "backcare.access"]
    assert any(
        r["request_id"] == "in-flight-1" and r["route"] == "/v1/feedback" and r["status"] == 201
        for r in access
    ), access
    assert marker not in log.read_text()
    assert any(
        "shutdown" in r["message"].lower() for r in records if r["logger"] == "uvicorn.error"
    )
