"""``create_app``: the FastAPI app, wired from the routes, the middleware and the error table.

The facade is built once, before the app, so the model and index load at
start-up. The parts live beside this module: ``routes.py`` (the public
routes), ``diary.py`` (the diary and review routes), ``schemas.py`` (wire
types), ``errors.py`` (the one error body and table), ``middleware.py`` and
``ratelimit.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backcare import Backcare, Diary, DiaryStore, FeedbackStore, SqlFeedbackStore, __version__
from backcare.api.diary import diary_router
from backcare.api.errors import ANY_ROUTE, install_error_handlers
from backcare.api.metrics import Metrics
from backcare.api.middleware import ShellMiddleware
from backcare.api.observe import ObserveMiddleware
from backcare.api.proxies import ProxyHeader, ProxyHeadersMiddleware, TrustedProxies
from backcare.api.ratelimit import RateLimit, RateLimitMiddleware
from backcare.api.routes import (
    WEB_DIR,
    add_answer_routes,
    add_care_plan_routes,
    add_entry_routes,
    add_feedback_routes,
    add_operation_routes,
)

__all__ = ["create_app"]


def create_app(
    backcare: Backcare,
    *,
    feedback: FeedbackStore | None = None,
    max_body_bytes: int = 64_000,
    rate_limit: RateLimit | None = None,
    diary: DiaryStore | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    trusted_proxies: TrustedProxies | None = None,
    proxy_header: ProxyHeader = "x-forwarded-for",
    metrics: bool = True,
) -> FastAPI:
    """The FastAPI app serving ``backcare``: the JSON API under ``/v1`` and the page at ``/``.

    Args:
        backcare: the facade, already loaded (the model and index load once).
        feedback: where ratings go; None keeps them in memory (``sqlite://``).
        max_body_bytes: larger request bodies get 413 ``body_too_large``.
        rate_limit: requests each client address (and bearer token) may make;
            over it, 429 ``rate_limited`` with ``Retry-After``. None: no limit.
        diary: serve the diary and review routes (bearer tokens) over this store.
        clock: the current time, for care plans and feedback (tests freeze it).
        trusted_proxies: peers whose ``proxy_header`` names the client's address
            (``backcare.api.proxies``); None or empty: the peer is the client.
        proxy_header: ``x-forwarded-for`` or ``forwarded``: the one header the
            trusted proxies write.
        metrics: serve Prometheus metrics at ``GET /metrics``.
    """
    store: FeedbackStore = SqlFeedbackStore("sqlite://") if feedback is None else feedback
    app = _bare_app()
    counters = _counters(backcare) if metrics else None
    _add_middleware(
        app,
        max_body_bytes=max_body_bytes,
        rate_limit=rate_limit,
        # A whole diary export is larger than any other body; the import reads it to its limit.
        body_limits={"/v1/diary/import": Diary.max_import_bytes} if diary is not None else {},
        counters=counters,
        trusted_proxies=trusted_proxies,
        proxy_header=proxy_header,
    )
    add_answer_routes(app, backcare, store, clock, counters)
    add_care_plan_routes(app, backcare, clock)
    add_entry_routes(app, backcare)
    add_feedback_routes(app, backcare, store, clock)
    add_operation_routes(app, backcare, store, counters)
    if diary is not None:
        app.include_router(
            diary_router(
                Diary(diary, backcare.triage), backcare=backcare, feedback=store, clock=clock
            )
        )
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


def _bare_app() -> FastAPI:
    """The app with its OpenAPI description and error handlers, and no routes yet."""
    app = FastAPI(
        title="backcare",
        version=__version__,
        summary="Fast, sourced, safety-first answers for people with lower back spasms.",
        description=(
            "Every reply leads with red-flag triage. Errors are "
            '`{"error": {"code": "...", "message": "..."}}` with a stable code.'
        ),
        docs_url=None,  # the Swagger page loads scripts from a CDN; the CSP forbids it
        redoc_url=None,
        responses=ANY_ROUTE,
    )
    install_error_handlers(app)
    return app


def _counters(backcare: Backcare) -> Metrics:
    return Metrics(
        kb_label=backcare.kb_label, kb_entries=len(backcare.entries), version=__version__
    )


def _add_middleware(
    app: FastAPI,
    *,
    max_body_bytes: int,
    rate_limit: RateLimit | None,
    body_limits: dict[str, int],
    counters: Metrics | None,
    trusted_proxies: TrustedProxies | None,
    proxy_header: ProxyHeader,
) -> None:
    """Each middleware added wraps the ones before it: the last added runs first."""
    if rate_limit is not None:
        # Added first, so it runs inside the shell: a 429 gets the JSON error and the headers.
        app.add_middleware(RateLimitMiddleware, limit=rate_limit)
    app.add_middleware(ShellMiddleware, max_body_bytes=max_body_bytes, body_limits=body_limits)
    # Outside the shell, so refused requests and 500s are logged and counted too. The
    # routes are read per request, so those included after this are seen.
    app.add_middleware(ObserveMiddleware, metrics=counters, routes=app.router.routes)
    if trusted_proxies:
        # Outermost: everything inside (logs, the rate limit, routes) sees the client.
        app.add_middleware(ProxyHeadersMiddleware, trusted=trusted_proxies, header=proxy_header)
