"""The API's outermost observer: a request id, the access log and the request metrics.

It sits outside the error shell, so refused requests (413, 429) and our own
500s are counted and logged like any other, with the route template they were
aimed at: the route is found by matching the request against the router
before the app runs, so a body refused before routing still gets its route.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backcare.api.logs import new_request_id, request_id_var
from backcare.api.metrics import UNMATCHED_ROUTE, Metrics

__all__ = ["ObserveMiddleware", "route_template"]

access_log = logging.getLogger("backcare.access")


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path template of the route ``scope`` is for (``UNMATCHED_ROUTE`` when none)."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED_ROUTE))
        if match is Match.PARTIAL and partial is None:
            partial = route  # the path matches but not the method: a 405 there
    return str(getattr(partial, "path", UNMATCHED_ROUTE)) if partial else UNMATCHED_ROUTE


class ObserveMiddleware:
    """Sets the request id, then logs and counts each HTTP request once it has been answered.

    Args:
        app: the app inside.
        metrics: where requests are counted; None counts nothing.
        routes: the app's routes, to label requests by template.
    """

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics | None, routes: Sequence[BaseRoute]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                offered = value.decode("latin-1")
                break
        request_id = new_request_id(offered)
        token = request_id_var.set(request_id)
        route = route_template(self.routes, scope)
        started = time.perf_counter()
        status = 500  # what the client gets when the app dies before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        if self.metrics is not None:
            self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.in_flight.dec()
                self.metrics.observe_request(route, scope["method"], status, seconds)
            client = scope.get("client")
            access_log.info(
                "%s %s %d %.1f ms",
                scope["method"],
                route,
                status,
                seconds * 1000,
                extra={
                    # Also on the record itself: a handler may format it later, elsewhere.
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)
