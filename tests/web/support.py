"""Helpers shared by the browser tests: start ``backcare serve``, ask on the page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMERGENCY = "my back went into spasm and now I can't pee and my groin is numb"
SCRIPT_QUESTION = "Is <script>window.__pwned = 1</script> heat good for a spasm?"
SCRIPT_ANSWER = (
    "Warmth helps. <script>window.__pwned = 2</script>\n\n"
    '- <img src="x" onerror="window.__pwned = 3"> is only text here'
)


@dataclass
class Server:
    """A running ``backcare serve``."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    console: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp: Path, *extra: str) -> Iterator[Server]:
    port = _free_port()
    data_dir = tmp / "data"
    log = tmp / "server.log"
    env = {**os.environ, "BACKCARE_DATA_DIR": str(data_dir)}
    env.pop("BACKCARE_KB", None)
    command = [
        sys.executable,
        "-m",
        "backcare",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"backcare serve exited with {process.returncode}:\n"
                    f"{log.read_text(errors='replace')}"
                )
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"backcare serve did not answer /readyz within 60 s:\n"
                    f"{log.read_text(errors='replace')}"
                )
            time.sleep(0.2)
        assert f"backcare is serving on {url}" in log.read_text(errors="replace")
        yield Server(url=url, data_dir=data_dir, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ask(page: object, server: Server, question: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(server.url + "/")
    page.get_by_label("Your question, or what is happening").fill(question)
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#ask-status")).to_have_text("Answer ready.")
