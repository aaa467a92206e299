"""Two replicas behind real nginx on one PostgreSQL: compose.yaml's topology, without containers.

``tests/topology.py`` starts Debian's nginx with the shipped
``deploy/nginx/backcare.conf.template`` in front of two ``backcare serve``
processes (the real model and pack) that share a throw-away PostgreSQL
cluster and trust only nginx's address. Through the proxy:

- questions are answered, and both replicas take a share;
- a diary written through one replica reads back through the other;
- spoofed ``X-Forwarded-For`` and ``Forwarded`` headers do not change who the
  replicas think the client is, and each client has its own rate limit;
- a replica killed (SIGKILL) mid-load costs no acknowledged write, and nginx
  routes around it: once it is gone every request is answered.
"""

from __future__ import annotations

import itertools
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backcare import SqlDiaryStore
from tests.diary.backends import NOW, PostgresServer
from tests.topology import Topology, client, nginx_missing, topology

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.nginx]

RATE, BURST = 5, 10


@pytest.fixture(scope="module")
def deployed(postgres: PostgresServer) -> Iterator[tuple[Topology, str]]:
    """nginx and two replicas (rate limit 5/s, burst 10) on a fresh database."""
    if reason := nginx_missing():
        pytest.skip(reason)
    url = postgres.new_database()
    with topology(url, rate_limit=str(RATE), rate_burst=str(BURST)) as deployed:
        yield deployed, url


def _asks_counted(metrics: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "backcare_http_requests_total" and sample.labels["route"] == "/v1/ask"
    )


def _access_records(deployed: Topology) -> list[dict[str, object]]:
    records = []
    for replica in deployed.replicas:
        for line in replica.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("logger") == "backcare.access":
                    records.append({**record, "replica": replica.name})
    return records


def test_questions_are_answered_through_the_proxy_by_both_replicas(
    deployed: tuple[Topology, str],
) -> None:
    top, _ = deployed
    with client(top.url, "127.0.0.2", timeout=30) as http:
        replies = [
            http.post("/v1/ask", json={"q": f"how long do back spasms last {n}"}) for n in range(8)
        ]
        assert http.get("/metrics").status_code == 404, "metrics are not public"
    assert [r.status_code for r in replies] == [200] * 8
    assert {r.json()["status"] for r in replies} == {"answered"}
    assert all(len(r.headers["x-request-id"]) == 32 for r in replies)  # nginx's $request_id
    for replica in top.replicas:
        with client(replica.url, "127.0.0.2") as direct:
            assert _asks_counted(direct.get("/metrics").text) > 0, f"{replica.name} idle"


def test_a_diary_written_through_one_replica_reads_back_through_the_other(
    deployed: tuple[Topology, str],
) -> None:
    top, url = deployed
    store = SqlDiaryStore(url)
    _, token = store.add_user("replicated", maintainer=False, now=NOW)
    store.close()
    auth = {"authorization": f"Bearer {token}"}
    first, second = top.replicas
    with client(first.url, "127.0.0.3") as one, client(second.url, "127.0.0.3") as other:
        episode = one.post("/v1/diary/episodes", json={"note": "lifting a box"}, headers=auth)
        assert episode.status_code == 201, episode.text
        episode_id = episode.json()["id"]
        checkin = other.post(
            f"/v1/diary/episodes/{episode_id}/checkins",
            json={"pain": 6, "notes": "worse after sitting"},
            headers=auth,
        )
        assert checkin.status_code == 201, checkin.text
        assert one.get(f"/v1/diary/episodes/{episode_id}", headers=auth).json()["note"] == (
            "lifting a box"
        )
        notes = [c["notes"] for c in one.get(
            f"/v1/diary/episodes/{episode_id}/checkins", headers=auth
        ).json()]  # fmt: skip
        assert notes == ["worse after sitting"]
    with client(top.url, "127.0.0.3") as proxied:
        # Whichever replica answers, the same diary.
        for _ in range(4):
            listed = proxied.get("/v1/diary/episodes", headers=auth).json()
            assert [e["id"] for e in listed] == [episode_id]


@pytest.mark.parametrize(
    "header",
    [
        {"x-forwarded-for": "203.0.113.9"},
        {"x-forwarded-for": "127.0.0.1, 203.0.113.9, 127.0.0.1"},
        {"forwarded": "for=203.0.113.9"},
        {"forwarded": 'for="[2001:db8::9]:1", for=127.0.0.1'},
    ],
)
def test_spoofed_proxy_headers_do_not_change_the_client(
    deployed: tuple[Topology, str], header: dict[str, str]
) -> None:
    top, _ = deployed
    with client(top.url, "127.0.0.4") as http:
        response = http.get("/healthz", headers={**header, "x-request-id": "chosen-by-client"})
    request_id = response.headers["x-request-id"]
    assert request_id != "chosen-by-client", "nginx sets the request id"
    deadline = time.monotonic() + 5
    while not (mine := [r for r in _access_records(top) if r["request_id"] == request_id]):
        assert time.monotonic() < deadline, "the replica logged the request"
        time.sleep(0.1)
    assert [r["client"] for r in mine] == ["127.0.0.4"]


def test_each_client_has_its_own_rate_limit_behind_the_proxy(
    deployed: tuple[Topology, str],
) -> None:
    top, _ = deployed
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    with client(top.url, "127.0.0.5") as greedy:
        for n in range(80):
            statuses[
                greedy.get("/v1/entries", headers={"x-forwarded-for": f"10.9.9.{n}"}).status_code
            ] += 1
    elapsed = time.monotonic() - started
    with client(top.url, "127.0.0.6") as patient:
        assert patient.get("/v1/entries").status_code == 200, "another client is not limited"
    assert set(statuses) == {200, 429}, statuses
    # Each replica keeps its own buckets, and nginx alternates: a client gets up to
    # twice one replica's burst (docs/deploy.md), never the unlimited 80.
    ceiling = len(top.replicas) * (BURST + RATE * elapsed) + 1
    assert BURST < statuses[200] <= ceiling, (statuses, elapsed)
    print(f"one client, 80 requests in {elapsed:.2f} s through 2 replicas: {dict(statuses)}")


def test_a_replica_killed_mid_load_loses_no_acknowledged_write(
    postgres: PostgresServer,
) -> None:
    if reason := nginx_missing():
        pytest.skip(reason)
    url = postgres.new_database()
    store = SqlDiaryStore(url)
    _, token = store.add_user("load", maintainer=False, now=NOW)
    store.close()
    auth = {"authorization": f"Bearer {token}"}
    with topology(url, rate_limit="0") as top:
        with client(top.url, "127.0.0.7") as http:
            episode = http.post("/v1/diary/episodes", json={"note": "load"}, headers=auth)
        episode_id = episode.json()["id"]
        phase = "before"
        seen: Counter[tuple[str, str, int]] = Counter()
        acknowledged: list[str] = []
        problems: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        counter = itertools.count()

        def worker(source: str) -> None:
            with client(top.url, source, timeout=30) as http:
                while not stop.is_set():
                    n = next(counter)
                    note = f"check-in {n}"
                    try:
                        response = http.post(
                            f"/v1/diary/episodes/{episode_id}/checkins",
                            json={"pain": n % 11, "notes": note},
                            headers=auth,
                        )
                        status = response.status_code
                        ask = http.post("/v1/ask", json={"q": f"back spasm help {n}"}).status_code
                    except Exception as exc:  # noqa: BLE001 - counted as a problem below
                        with lock:
                            problems.append(f"{phase}: {type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        seen[(phase, "checkin", status)] += 1
                        seen[(phase, "ask", ask)] += 1
                        if status == 201:
                            acknowledged.append(note)

        threads = [threading.Thread(target=worker, args=(f"127.0.1.{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            # Kill only once both kinds of request have been answered: on a busy
            # machine the first ones can take longer than a fixed pause.
            deadline = time.monotonic() + 60
            while (
                time.monotonic() < deadline
                and min(seen[("before", "checkin", 201)], seen[("before", "ask", 200)]) < 20
            ):
                time.sleep(0.1)
            phase = "kill"
            top.replicas[0].stop(signal.SIGKILL)
            time.sleep(1.0)  # nginx marks it down after its first failure
            phase = "after"
            time.sleep(3.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        survivor = top.replicas[1]
        with client(survivor.url, "127.0.0.7") as direct:
            stored = {
                c["notes"]
                for c in direct.get(
                    f"/v1/diary/episodes/{episode_id}/checkins", headers=auth
                ).json()
            }
        nginx_errors = top.nginx_log()

    summary = dict(sorted(seen.items()))
    assert problems == [], (problems[:5], summary)
    for kind, good in (("checkin", 201), ("ask", 200)):
        assert seen[("before", kind, good)] > 0, summary
        assert seen[("after", kind, good)] > 0, summary
        # Routed around: once the replica is gone, every request is answered.
        after = sum(n for (p, k, _), n in seen.items() if p == "after" and k == kind)
        assert seen[("after", kind, good)] == after, summary
        # Only a request in flight on the killed replica may fail, with nginx's 502.
        statuses = {s for (_, k, s) in seen if k == kind}
        assert statuses <= {good, 502}, summary
    lost = [note for note in acknowledged if note not in stored]
    assert lost == [], f"{len(lost)} acknowledged check-ins lost"
    killed = f"127.0.0.1:{top.replicas[0].port}"
    noticed = [line for line in nginx_errors.splitlines() if "[error]" in line and killed in line]
    assert noticed, "nginx saw the replica go and stopped sending to it"
    print(f"replica killed: {summary}; {len(acknowledged)} check-ins acknowledged, 0 lost")
