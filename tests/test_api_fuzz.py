"""Schemathesis over the API's own OpenAPI schema: no 500s, no response off the schema.

The app runs in process (``schemathesis.openapi.from_asgi``) on the model-free
encoder, with the diary routes on an in-memory store and every request
carrying a maintainer's bearer token (so the fuzzing reaches past the 401),
and well over 1,000 generated requests take seconds. Hypothesis is
derandomized and keeps no example database, so every run sends the same
requests and a failure reproduces.

Schemathesis' built-in checks run on every response (not a server error;
status code, content type, headers and body as documented; schema-invalid
requests refused) except ``positive_data_acceptance``: a request can match the
schema and still be unanswerable (a question that is blank after normalising,
an onset date in the future, an entry id that does not exist), which JSON
Schema cannot say. In its place ``_check_semantic_rejection`` allows such a
request to be refused only with one of those specific codes or by a custom
validator, never by a plain field constraint that the schema does not show
(that would mean the schema and the validation disagree).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from backcare import Backcare, SqlDiaryStore, SqlFeedbackStore
from backcare.api import CONTENT_SECURITY_POLICY, create_app

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
# Per operation and generation mode: 20-odd operations x 2 modes (those that
# take no input have no negative mode) come to about 2,000 requests.
EXAMPLES = 60
MINIMUM_REQUESTS = 1_000
# Codes for a request that matches the schema but cannot be answered.
SEMANTIC_CODES = {
    "empty_query",
    "query_too_long",
    "not_text",
    "unknown_entry",
    "invalid_care_plan",
    "invalid_diary_file",
    # answers keyed by a question id the bank does not have
    "unknown_question",
}
# pydantic's prefix for a custom validator's message (an episode that ends before
# it starts, a control character in a note): semantic, though the code is generic.
CUSTOM_VALIDATOR = "Value error, "
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@dataclass
class Tally:
    """What the run sent and got back."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    def fail(self, key: str, detail: str) -> None:
        self.failures.setdefault(key, detail[:2000])


@dataclass
class Target:
    """The loaded schema (its ``app`` is the app under test) and a valid token."""

    schema: Any
    token: str


@pytest.fixture(scope="module")
def target(fake_backcare: Backcare) -> Iterator[Target]:
    store = SqlFeedbackStore("sqlite://")
    diary = SqlDiaryStore("sqlite://")
    _, token = diary.add_user("fuzzer", maintainer=True, now=NOW)
    app = create_app(fake_backcare, feedback=store, diary=diary, clock=lambda: NOW)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    loaded.config.checks.update(excluded_check_names=["positive_data_acceptance"])
    yield Target(loaded, token)
    diary.close()
    store.close()


@pytest.fixture(scope="module")
def schema(target: Target) -> Any:
    return target.schema


def _check_semantic_rejection(mode: GenerationMode, response: Any) -> str | None:
    if mode is not GenerationMode.POSITIVE or response.status_code != 422:
        return None
    error = response.json()["error"]
    code = error["code"]
    if code == "invalid_request" and CUSTOM_VALIDATOR in error["message"]:
        return None
    if code not in SEMANTIC_CODES:
        return f"a schema-valid request was refused with {code!r}: {response.text}"
    return None


def _check_shell(response: Any) -> str | None:
    for name, value in SECURITY_HEADERS.items():
        got = response.headers.get(name)
        # schemathesis' Response keeps every header as a list of values.
        got = got if isinstance(got, str) or got is None else ",".join(got)
        if got != value:
            return f"{name} is {got!r}"
    if response.status_code >= 400:
        body = response.json()
        if set(body) != {"error"} or set(body["error"]) != {"code", "message"}:
            return f"error body is not {{error: {{code, message}}}}: {response.text}"
    return None


def _fuzz(operation: Any, mode: GenerationMode, tally: Tally, token: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(
            generation_mode=mode, headers={"Authorization": f"Bearer {token}"}
        )
    )
    def run(case: Any) -> None:
        response = case.call()
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        tally.by_operation[operation.label] += 1
        key = f"{operation.label} [{mode.value}] {response.status_code}"
        try:
            case.validate_response(response)
        except (AssertionError, ExceptionGroup) as exc:
            tally.fail(key, f"{case.as_curl_command()}\n{exc}")
        for problem in (_check_semantic_rejection(mode, response), _check_shell(response)):
            if problem:
                tally.fail(key, f"{case.as_curl_command()}\n{problem}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to break: the health probes take no parameters and no body
        # (or only the Authorization header, which every case carries valid).
        assert (
            mode is GenerationMode.NEGATIVE
            and not operation.body
            and all(p.name == "Authorization" for p in operation.iter_parameters())
        ), f"{operation.label}: no {mode.value} cases could be generated"


def test_generated_requests_get_no_500_and_only_documented_responses(target: Target) -> None:
    tally = Tally()
    for result in target.schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, tally, target.token)
    summary = (
        f"{tally.requests} requests; statuses {dict(sorted(tally.statuses.items()))}; "
        f"per operation {dict(tally.by_operation)}"
    )
    print(summary)
    assert tally.failures == {}, "\n\n".join(f"{k}: {v}" for k, v in tally.failures.items())
    assert not [status for status in tally.statuses if status >= 500], summary
    assert tally.requests >= MINIMUM_REQUESTS, summary
    operations = sum(1 for _ in target.schema.get_all_operations())
    assert len(tally.by_operation) == operations >= 8, "every operation was fuzzed"


def test_every_error_response_in_the_schema_is_the_error_body(schema: Any) -> None:
    """No FastAPI default (``HTTPValidationError``) is left where we answer ``ErrorBody``."""
    raw = schema.raw_schema
    assert "HTTPValidationError" not in raw["components"]["schemas"]
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorBody", (method, path, status)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_an_undocumented_method_is_405_with_the_error_body(schema: Any, method: str) -> None:
    from fastapi.testclient import TestClient

    with TestClient(schema.app) as client:
        for path, operations in schema.raw_schema["paths"].items():
            if method.lower() in operations:
                continue
            url = path.replace("{entry_id}", "immediate").replace("{episode_id}", "1")
            response = client.request(method, url, json={} if method != "GET" else None)
            assert response.status_code == 405, (method, path, response.text)
            assert response.json()["error"]["code"] == "method_not_allowed"
            assert _check_shell(response) is None
