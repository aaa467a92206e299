"""compose.yaml's topology without containers: Debian's nginx in front of `backcare serve` replicas.

The replicas are real ``backcare serve`` processes (the shipped pack, the real
model) on free loopback ports, sharing one PostgreSQL database; nginx runs in
the foreground (``daemon off``) from a folder of its own, with the shipped
``deploy/nginx/backcare.conf.template`` rendered into it, so the proxy
settings under test are the ones deployed. ``benchmarks/load.py --nginx``
uses the same machinery.

nginx comes from ``make system-deps`` (apt-get install nginx; the Debian
service is never started). Every process is stopped when its context ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx" / "backcare.conf.template"
NGINX = "/usr/sbin/nginx"
# nginx connects to the replicas from this address, the one they trust; clients
# use other loopback addresses, so a replica can tell them from the proxy.
PROXY_ADDRESS = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_missing() -> str | None:
    """Why nginx cannot run here, or None."""
    if not os.access(NGINX, os.X_OK):
        return f"{NGINX} is missing: run `make system-deps` (apt-get install nginx)"
    return None


@dataclass
class Replica:
    """One ``backcare serve`` process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Its own address, bypassing the proxy."""
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the exit status (killed after ``timeout``)."""
        if self.alive():
            self.process.send_signal(sig)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@dataclass
class Topology:
    """nginx in front of replicas: where to send requests, and the parts to poke at."""

    url: str
    replicas: list[Replica]
    nginx: subprocess.Popen[bytes]
    folder: Path
    env: dict[str, str] = field(default_factory=dict)

    def nginx_log(self) -> str:
        """What nginx wrote (access records on stdout, errors on stderr)."""
        path = self.folder / "nginx.out"
        return path.read_text(errors="replace") if path.exists() else ""


def render_nginx(upstreams: list[int], listen: int) -> str:
    """The shipped template with these replica ports and this listening port."""
    servers = " ".join(
        f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in upstreams
    )
    text = TEMPLATE.read_text(encoding="utf-8")
    return text.replace("${BACKCARE_UPSTREAMS}", servers).replace(
        "${BACKCARE_LISTEN}", f"127.0.0.1:{listen}"
    )


def _main_config(folder: Path, site: Path) -> str:
    # As root, nginx's workers would switch to "nobody", who cannot write here.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {name}_temp_path {folder / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log stderr warn;\nevents {{ worker_connections 4096; }}\n"
        f"http {{\n{temp}\n    include {site};\n}}\n"
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    """Until ``url/readyz`` answers 200 three times in a row."""
    deadline = time.monotonic() + timeout
    ready = 0
    while ready < 3:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"{url} did not get ready:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            ok = httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            ok = False
        ready = ready + 1 if ok else 0
        time.sleep(0.1 if ok else 0.3)


def start_replica(name: str, folder: Path, env: Mapping[str, str]) -> Replica:
    """``backcare serve`` on a free port with ``env``; returns once it is ready."""
    port = free_port()
    log = folder / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "backcare",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=dict(env))
    replica = Replica(name, port, process, log)
    try:
        wait_ready(replica.url, process, log)
    except BaseException:
        replica.stop(signal.SIGKILL)
        raise
    return replica


def replica_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a replica: the shared database, trusting the proxy's address."""
    env = {
        **os.environ,
        "BACKCARE_DATABASE_URL": database_url,
        "BACKCARE_DATA_DIR": str(data_dir),
        "BACKCARE_TRUSTED_PROXIES": PROXY_ADDRESS,
        "BACKCARE_LOG_FORMAT": "json",
        "BACKCARE_THREADS": os.environ.get("BACKCARE_THREADS", "1"),
    }
    env.pop("BACKCARE_KB", None)
    env.update({f"BACKCARE_{name.upper()}": value for name, value in settings.items()})
    return env


def start_nginx(folder: Path, ports: list[int]) -> tuple[str, subprocess.Popen[bytes]]:
    """nginx in the foreground on a free port, proxying to ``ports``; returns (url, process)."""
    listen = free_port()
    site = folder / "backcare.conf"
    site.write_text(render_nginx(ports, listen), encoding="utf-8")
    config = folder / "nginx.conf"
    config.write_text(_main_config(folder, site), encoding="utf-8")
    out = (folder / "nginx.out").open("wb")
    command = [NGINX, "-p", str(folder), "-c", str(config), "-e", "stderr", "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    url = f"http://127.0.0.1:{listen}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            text = (folder / "nginx.out").read_text(errors="replace")
            raise RuntimeError(f"nginx did not start:\n{text[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return url, process
        except httpx.TransportError:
            pass
        time.sleep(0.1)


@contextlib.contextmanager
def topology(database_url: str, *, replicas: int = 2, **settings: str) -> Iterator[Topology]:
    """nginx in front of ``replicas`` ``backcare serve`` processes on ``database_url``.

    Args:
        database_url: the shared PostgreSQL database.
        replicas: how many replicas.
        settings: more ``BACKCARE_*`` settings for every replica (lower-case
            names, e.g. ``rate_limit="5"``).
    """
    folder = Path(tempfile.mkdtemp(prefix="backcare-topology-"))
    env = replica_env(database_url, folder / "data", **settings)
    started: list[Replica] = []
    nginx: subprocess.Popen[bytes] | None = None
    try:
        # One at a time: the first migrates the schema the others then find.
        for n in range(1, replicas + 1):
            started.append(start_replica(f"replica-{n}", folder, env))
        url, nginx = start_nginx(folder, [replica.port for replica in started])
        yield Topology(url, started, nginx, folder, env)
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
        for replica in started:
            replica.stop()
        shutil.rmtree(folder, ignore_errors=True)


def client(url: str, source: str, **options: object) -> httpx.Client:
    """An HTTP client whose connections come from loopback address ``source`` (127.x.y.z)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=url, transport=transport, **options)  # type: ignore[arg-type]
