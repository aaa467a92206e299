"""Operations: Prometheus /metrics, request ids and JSON logs without a person's words."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from backcare import Backcare
from backcare.api import create_app
from backcare.api.logs import JsonFormatter, new_request_id, request_id_var, uvicorn_log_config


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class TestMetrics:
    def test_requests_asks_and_the_knowledge_base_are_counted(
        self, fake_backcare: Backcare
    ) -> None:
        with TestClient(create_app(fake_backcare)) as http:
            for _ in range(3):
                assert (
                    http.post("/v1/ask", json={"q": "how long do back spasms last"}).status_code
                    == 200
                )
            red = http.post("/v1/ask", json={"q": "back spasm and I cannot pee since last night"})
            assert red.json()["triage"]["level"] == "emergency"
            assert http.post("/v1/ask", json={"q": ""}).status_code == 422
            assert http.get("/v1/entries/no-such-entry").status_code == 404
            assert http.get("/no/such/page").status_code == 404
            assert http.post("/v1/ask", content=b"x" * 70_000).status_code == 413
            scraped = http.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        samples = _samples(scraped.text)
        total = "backcare_http_requests_total"
        assert _value(samples, total, route="/v1/ask", method="POST", status="200") == 4
        assert _value(samples, total, route="/v1/ask", method="POST", status="422") == 1
        # Refused before routing, still labelled with the route it was aimed at.
        assert _value(samples, total, route="/v1/ask", method="POST", status="413") == 1
        entry = "/v1/entries/{entry_id:path}"
        assert _value(samples, total, route=entry, method="GET", status="404") == 1
        assert _value(samples, total, route="<unmatched>", method="GET", status="404") == 1
        count = "backcare_http_request_duration_seconds_count"
        assert _value(samples, count, route="/v1/ask", method="POST", status="200") == 4
        asks = "backcare_asks_total"
        assert _value(samples, asks, status="answered", triage_level="self_care") == 3
        emergency = sum(
            value
            for (name, labels), value in samples.items()
            if name == asks and ("triage_level", "emergency") in labels
        )
        assert emergency == 1
        kb = _value(
            samples,
            "backcare_knowledge_base_info",
            kb=fake_backcare.kb_label,
            entries=str(len(fake_backcare.kb.entries)),
            version=__import__("backcare").__version__,
        )
        assert kb == 1
        assert "how long do back spasms last" not in scraped.text

    def test_made_up_methods_cannot_mint_labels(self, fake_backcare: Backcare) -> None:
        # HTTP lets a client send any token as its method; each one was a new series.
        with TestClient(create_app(fake_backcare)) as http:
            for n in range(5):
                assert http.request(f"SCAN{n}", "/healthz").status_code == 405
            scraped = http.get("/metrics")
        samples = _samples(scraped.text)
        methods = {
            dict(labels)["method"]
            for name, labels in samples
            if name == "backcare_http_requests_total"
        }
        assert methods == {"OTHER"}
        total = "backcare_http_requests_total"
        assert _value(samples, total, route="/healthz", method="OTHER", status="405") == 5

    def test_metrics_can_be_turned_off(self, fake_backcare: Backcare) -> None:
        with TestClient(create_app(fake_backcare, metrics=False)) as http:
            assert http.get("/metrics").status_code == 404

    def test_metrics_are_not_in_the_api_schema(self, fake_backcare: Backcare) -> None:
        assert "/metrics" not in create_app(fake_backcare).openapi()["paths"]


class TestRequestIds:
    def test_every_response_carries_one(self, fake_backcare: Backcare) -> None:
        with TestClient(create_app(fake_backcare)) as http:
            ids = {http.get("/healthz").headers["x-request-id"] for _ in range(3)}
        assert len(ids) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)

    def test_a_proxys_sane_id_is_kept_and_a_forged_one_replaced(
        self, fake_backcare: Backcare
    ) -> None:
        with TestClient(create_app(fake_backcare)) as http:
            kept = http.get("/healthz", headers={"x-request-id": "abc-123.def"})
            forged = http.get("/healthz", headers={"x-request-id": 'x" level="error'})
        assert kept.headers["x-request-id"] == "abc-123.def"
        assert forged.headers["x-request-id"] != 'x" level="error'

    @pytest.mark.parametrize("offered", [None, "", "a" * 129, "line\nbreak", "ok_id:1"])
    def test_new_request_id(self, offered: str | None) -> None:
        made = new_request_id(offered)
        assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", made)
        assert (made == offered) == (offered == "ok_id:1")


class TestLogs:
    def test_the_access_log_has_the_route_and_id_but_not_the_question(
        self, fake_backcare: Backcare, caplog: pytest.LogCaptureFixture
    ) -> None:
        marker = f"zq{uuid.uuid4().hex}zq"
        caplog.set_level(logging.INFO)
        with TestClient(create_app(fake_backcare)) as http:
            reply = http.post(
                f"/v1/ask?note={marker}",
                json={"q": f"back spasm {marker}"},
                headers={"x-request-id": "req-1"},
            )
        assert reply.status_code == 200
        access = [r for r in caplog.records if r.name == "backcare.access"]
        assert len(access) == 1
        line = JsonFormatter().format(access[0])
        entry = json.loads(line)
        assert entry["route"] == "/v1/ask" and entry["status"] == 200
        assert entry["method"] == "POST" and entry["duration_ms"] >= 0
        assert entry["level"] == "info" and entry["logger"] == "backcare.access"
        assert entry["request_id"] == "req-1"
        for record in caplog.records:
            if record.levelno >= logging.INFO and record.name.startswith(("backcare", "uvicorn")):
                assert marker not in record.getMessage()
                assert marker not in JsonFormatter().format(record)

    def test_records_inside_a_request_carry_its_id(self) -> None:
        record = logging.makeLogRecord({"name": "backcare.x", "msg": "hello %s", "args": ("you",)})
        token = request_id_var.set("req-42")
        try:
            entry = json.loads(JsonFormatter().format(record))
        finally:
            request_id_var.reset(token)
        assert entry["message"] == "hello you" and entry["request_id"] == "req-42"
        assert "request_id" not in json.loads(JsonFormatter().format(record))

    def test_exceptions_stay_on_one_line(self) -> None:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            import sys

            record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
        line = JsonFormatter().format(record)
        assert "\n" not in line and "RuntimeError: boom" in json.loads(line)["exception"]

    @pytest.mark.parametrize("format", ["json", "text"])
    def test_the_uvicorn_config_loads(self, format: str) -> None:
        config = uvicorn_log_config(format)  # type: ignore[arg-type]
        try:
            logging.config.dictConfig(config)
            assert logging.getLogger("uvicorn.access").handlers == []
        finally:
            for name in ("uvicorn", "uvicorn.access", "backcare"):
                logger = logging.getLogger(name)
                logger.handlers.clear()
                logger.propagate = True
                logger.setLevel(logging.NOTSET)
