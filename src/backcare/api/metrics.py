"""Prometheus metrics for ``backcare serve`` (``GET /metrics``), with ``prometheus-client``.

Each app has a registry of its own, so apps built in one process (the tests
build hundreds) never clash over metric names. Labels are bounded: routes are
the app's path templates (``/v1/entries/{entry_id:path}``, never the path a
client typed), statuses are HTTP codes, methods the standard ones (any other
is ``OTHER``), and asks are labelled only by the closed sets of reply statuses
and triage levels. No question text is a label.

With ``serve --workers N`` each worker counts its own requests and a scrape
reaches one of them; run one worker per replica and scale with replicas
(docs/deploy.md).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["CONTENT_TYPE", "UNMATCHED_ROUTE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# The label of a request no route matched (a 404), so scanners cannot mint labels.
UNMATCHED_ROUTE = "<unmatched>"
# Seconds. Asks take a few milliseconds when the machine is quiet and tens under
# load (docs/performance.md); the buckets resolve both, and a stalled database.
_LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


# HTTP allows any token as a method, so any other is counted as OTHER, or each
# one a client made up would be a new series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"


class Metrics:
    """The collectors of one app and their text exposition."""

    def __init__(self, *, kb_label: str, kb_entries: int, version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "backcare_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "backcare_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response",
            ["route", "method", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "backcare_http_requests_in_flight",
            "Requests being answered now",
            registry=self.registry,
        )
        self.asks = Counter(
            "backcare_asks",
            "Questions answered by POST /v1/ask, by reply status and triage level",
            ["status", "triage_level"],
            registry=self.registry,
        )
        kb = Gauge(
            "backcare_knowledge_base_info",
            "The knowledge base this replica answers from (always 1; see the labels)",
            ["kb", "entries", "version"],
            registry=self.registry,
        )
        kb.labels(kb=kb_label, entries=str(kb_entries), version=version).set(1)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        labels = (route, method if method in _METHODS else OTHER_METHOD, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def count_ask(self, status: str, triage_level: str) -> None:
        """Count one reply of ``POST /v1/ask``."""
        self.asks.labels(status=status, triage_level=triage_level).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
