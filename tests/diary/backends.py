"""Diary backends for tests: every store test runs on SQLite and on a real PostgreSQL server.

``tests/conftest.py`` imports the fixtures (``postgres``, ``diary_url``,
``diary_store``), so the diary, API and CLI tests share one server.

The PostgreSQL server is Debian's ``postgresql`` package (``make system-deps``
installs it), run as a throw-away cluster: ``initdb`` into a temporary folder
(owned by the ``postgres`` user when the tests run as root, since PostgreSQL
refuses to run as root), ``pg_ctl start`` on a free port on 127.0.0.1 with its
unix socket in that folder, and ``pg_ctl stop -m immediate`` plus removing the
folder at the end of the session. Each test gets a database of its own.

When the server cannot be started the PostgreSQL tests are skipped with the
reason; under ``CI=true`` they fail instead, so CI never passes without them.
"""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backcare import SqlDiaryStore

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


@dataclass
class PostgresServer:
    """A running throw-away cluster: where it listens and how to make databases in it."""

    host: str
    port: int
    user: str
    folder: Path
    _count: itertools.count[int]

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database of this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"diary_{next(self._count)}"
        dsn = f"host={self.host} port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _binary(name: str) -> str:
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0,
    )
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} is not under /usr/lib/postgresql/*/bin; "
            "run `make system-deps` (apt-get install postgresql)"
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(folder: Path) -> PostgresServer:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL will not run as root: run it as the user the Debian package made.
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
    data = folder / "data"
    user = "backcare"
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = _free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
        # The tests kill clients, not the server; an fsync per commit only slows them.
        "-c fsync=off -c full_page_writes=off -c max_connections=50"
    )
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "server.log"),
         "-w", "-t", "60", "start"],
        check=True, capture_output=True, timeout=90,
    )  # fmt: skip
    return PostgresServer("127.0.0.1", port, user, folder, itertools.count(1))


def _stop(folder: Path) -> None:
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, _binary("pg_ctl"), "-D", str(folder / "data"), "stop", "-m", "immediate"],
        capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of our own for the whole session, stopped and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="backcare-pg-"))
    started = False
    try:
        try:
            server = _start(folder)
            started = True
        except (OSError, RuntimeError, KeyError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            reason = f"cannot start PostgreSQL: {exc} {detail.decode(errors='replace')[-500:]}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
        yield server
    finally:
        if started:
            _stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def diary_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'backcare.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def diary_store(diary_url: str) -> Iterator[SqlDiaryStore]:
    """A migrated, empty diary store on each backend."""
    opened = SqlDiaryStore(diary_url)
    yield opened
    opened.close()
