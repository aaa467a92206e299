"""Rate limiting: token buckets per client address and per bearer token."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from backcare import Backcare
from backcare.api import CONTENT_SECURITY_POLICY, RateLimit, create_app
from backcare.api.ratelimit import TokenBuckets
from backcare.cli import _rate_limit
from backcare.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestTokenBuckets:
    def test_a_burst_then_the_rate(self) -> None:
        clock = FakeClock()
        buckets = TokenBuckets(RateLimit(rate=2, burst=3), clock=clock)
        assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
        assert buckets.take("a") == pytest.approx(0.5)
        clock.now += 0.5
        assert buckets.take("a") == 0
        assert buckets.take("a") > 0

    def test_a_refused_request_takes_nothing(self) -> None:
        clock = FakeClock()
        buckets = TokenBuckets(RateLimit(rate=1, burst=1), clock=clock)
        assert buckets.take("a") == 0
        for _ in range(5):
            assert buckets.take("a") > 0
        clock.now += 1
        assert buckets.take("a") == 0, "hammering while limited does not dig a deeper hole"

    def test_keys_are_independent_but_a_request_needs_every_key(self) -> None:
        buckets = TokenBuckets(RateLimit(rate=1, burst=1), clock=FakeClock())
        assert buckets.take("addr:1", "token:x") == 0
        assert buckets.take("addr:2") == 0
        assert buckets.take("addr:3", "token:x") > 0, "the token's bucket is empty"
        assert buckets.take("addr:3") == 0, "and the refusal took nothing from addr:3"

    def test_the_number_of_buckets_is_bounded(self) -> None:
        buckets = TokenBuckets(RateLimit(rate=1, burst=1, max_keys=100), clock=FakeClock())
        for n in range(1000):
            buckets.take(f"addr:{n}")
        assert len(buckets) == 100

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"rate": 0, "burst": 1},
            {"rate": float("inf"), "burst": 1},
            {"rate": float("nan"), "burst": 1},
            {"rate": 1, "burst": 0},
            {"rate": 1, "burst": 1, "max_keys": 0},
        ],
    )
    def test_nonsense_limits_are_refused(self, kwargs: dict[str, float]) -> None:
        with pytest.raises(ValueError, match="must be"):
            RateLimit(**kwargs)  # type: ignore[arg-type]


def _call(app: object, client: str, *requests: tuple[str, str, str | None]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            out = []
            for method, path, token in requests:
                headers = {"authorization": f"Bearer {token}"} if token else {}
                body = {"q": "ice or heat?"} if method == "POST" else None
                out.append(await http.request(method, path, json=body, headers=headers))
            return out

    return asyncio.run(run())


class TestMiddleware:
    @pytest.fixture
    def app(self, fake_backcare: Backcare) -> object:
        return create_app(fake_backcare, rate_limit=RateLimit(rate=0.01, burst=2))

    def test_over_the_limit_is_429_with_retry_after(self, app: object) -> None:
        responses = _call(app, "10.0.0.1", *[("POST", "/v1/ask", None)] * 3)
        assert [r.status_code for r in responses] == [200, 200, 429]
        limited = responses[2]
        assert limited.json() == {
            "error": {"code": "rate_limited", "message": "too many requests; try again in 100 s"}
        }
        assert limited.headers["retry-after"] == "100"
        assert limited.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert limited.headers["x-content-type-options"] == "nosniff"

    def test_each_address_has_its_own_bucket(self, app: object) -> None:
        assert [r.status_code for r in _call(app, "10.0.0.1", *[("GET", "/", None)] * 3)] == [
            200,
            200,
            429,
        ]
        assert _call(app, "10.0.0.2", ("GET", "/", None))[0].status_code == 200

    def test_a_token_is_limited_from_any_address(self, app: object) -> None:
        assert _call(app, "10.0.0.1", ("GET", "/v1/entries", "tok-A"))[0].status_code == 200
        assert _call(app, "10.0.0.2", ("GET", "/v1/entries", "tok-A"))[0].status_code == 200
        assert _call(app, "10.0.0.3", ("GET", "/v1/entries", "tok-A"))[0].status_code == 429
        assert _call(app, "10.0.0.4", ("GET", "/v1/entries", "tok-B"))[0].status_code == 200

    def test_health_probes_are_never_limited(self, app: object) -> None:
        responses = _call(
            app, "10.0.0.9", *[("GET", "/healthz", None), ("GET", "/readyz", None)] * 5
        )
        assert {r.status_code for r in responses} == {200}

    def test_no_limit_unless_asked(self, fake_backcare: Backcare) -> None:
        with TestClient(create_app(fake_backcare)) as client:
            assert {client.get("/v1/entries").status_code for _ in range(60)} == {200}

    def test_429_is_in_the_schema_of_every_route(self, fake_backcare: Backcare) -> None:
        schema = create_app(fake_backcare).openapi()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                assert "429" in operation["responses"], f"{method.upper()} {path}"
                assert "Retry-After" in operation["responses"]["429"]["headers"]


class TestSettings:
    def test_serve_limits_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("BACKCARE_RATE_LIMIT", raising=False)
        monkeypatch.delenv("BACKCARE_RATE_BURST", raising=False)
        limit = _rate_limit(Settings())
        assert limit == RateLimit(rate=20.0, burst=40)

    def test_the_environment_sets_or_turns_off_the_limit(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("BACKCARE_RATE_LIMIT", "5")
        monkeypatch.setenv("BACKCARE_RATE_BURST", "7")
        assert _rate_limit(Settings()) == RateLimit(rate=5.0, burst=7)
        monkeypatch.setenv("BACKCARE_RATE_LIMIT", "0")
        assert _rate_limit(Settings()) is None
