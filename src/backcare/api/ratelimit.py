"""Per-client rate limiting for server mode: an in-memory token bucket per key.

Each request takes one token from the bucket of its client address and, when
it carries ``Authorization: Bearer ...``, one from the bucket of that token
too; a client with an empty bucket gets 429 ``rate_limited`` with
``Retry-After``. Buckets refill at ``rate`` tokens a second up to ``burst``.

The state lives in one process: with ``serve --workers N`` or N replicas
behind a proxy each process keeps its own buckets, so a client may get up to
N times the rate (a round-robin proxy spreads one client evenly). That bounds
abuse of one replica, which is the point; a limit shared across replicas
belongs in the load balancer (nginx's ``limit_req``, docs/deploy.md).

Behind a reverse proxy the address is the proxy's unless the proxy is in
``BACKCARE_TRUSTED_PROXIES``, in which case ``backcare.api.proxies`` has already
put the client's address in the ASGI scope.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["EXEMPT_PATHS", "RateLimit", "RateLimitMiddleware", "RateLimited", "TokenBuckets"]

# Health probes and metric scrapes come from the load balancer and the monitor,
# often and from one address.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(frozen=True)
class RateLimit:
    """How fast each client may send requests.

    Args:
        rate: tokens added to each bucket per second (the sustained request rate).
        burst: the bucket's size: requests a quiet client may send at once.
        max_keys: buckets kept at most; the least recently used go first, so a
            flood of new addresses cannot exhaust memory.
    """

    rate: float
    burst: int
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(
                f"rate must be a positive number of requests a second, not {self.rate}"
            )
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1 request, not {self.burst}")
        if self.max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {self.max_keys}")


class RateLimited(HTTPException):
    """A client has used up its bucket; ``retry_after`` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            detail=f"too many requests; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class TokenBuckets:
    """Token buckets by key, safe to share between threads.

    Args:
        limit: the rate, burst and key budget.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        # key -> (tokens, time of the last update); least recently used first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, *keys: str) -> float:
        """Take one token from every key's bucket, or none when any is empty.

        Returns:
            0.0 when the request may go ahead; otherwise the seconds until each
            empty bucket holds a token again.
        """
        rate, burst = self.limit.rate, float(self.limit.burst)
        with self._lock:
            now = self._clock()
            levels = []
            for key in keys:
                tokens, then = self._buckets.get(key, (burst, now))
                levels.append(min(burst, tokens + max(0.0, now - then) * rate))
            wait = max((1.0 - level) / rate for level in levels) if levels else 0.0
            taken = 1.0 if wait <= 0 else 0.0
            for key, level in zip(keys, levels, strict=True):
                self._buckets[key] = (level - taken, now)
                self._buckets.move_to_end(key)
            while len(self._buckets) > self.limit.max_keys:
                self._buckets.popitem(last=False)
        return max(0.0, wait)


class RateLimitMiddleware:
    """ASGI middleware that raises ``RateLimited`` for a client over its limit.

    The API's outer middleware turns the exception into its JSON error, so a
    429 carries the security headers like every other response.
    """

    def __init__(
        self, app: ASGIApp, *, limit: RateLimit, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.buckets = TokenBuckets(limit, clock=clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in EXEMPT_PATHS:
            wait = self.buckets.take(*_keys(scope))
            if wait > 0:
                raise RateLimited(max(1, math.ceil(wait)))
        await self.app(scope, receive, send)


def _keys(scope: Scope) -> list[str]:
    client = scope.get("client")
    keys = [f"addr:{client[0] if client else 'unknown'}"]
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            # Keyed by a digest, so no bearer token is kept in memory by this module.
            digest = hashlib.sha256(value[7:].strip()).hexdigest()[:32]
            keys.append(f"token:{digest}")
            break
    return keys
