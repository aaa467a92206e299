"""``serve --workers N``: the shared listening socket turns Nagle's algorithm off.

Without TCP_NODELAY every response waited for the client's delayed ACK, about
40 ms (found by ``benchmarks/load.py``: 44 ms for ``/healthz`` with two
workers, 1 ms with one). Accepted connections inherit the listener's option.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import uvicorn

from backcare.cli.serve import _run_workers


def test_the_workers_socket_has_tcp_nodelay(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[socket.socket] = []

    class FakeMultiprocess:
        def __init__(self, config: Any, sockets: list[socket.socket]) -> None:
            seen.extend(sockets)

        def run(self) -> None:
            pass

    monkeypatch.setattr("uvicorn.supervisors.Multiprocess", FakeMultiprocess)
    _run_workers(uvicorn.Config("backcare.cli.serve:_app_factory", host="127.0.0.1", port=0))
    (sock,) = seen
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        sock.listen()
        with socket.create_connection(sock.getsockname()[:2]):
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
