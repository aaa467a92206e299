"""The shell middleware: security headers, the body limit and the last-resort 500.

Every response gets the same security headers (``CONTENT_SECURITY_POLICY``
forbids scripts and styles from anywhere but the page itself). A body over
the limit gets a clean 413 whatever the route does with it, and an exception
that escapes everything else becomes the JSON error body of ``errors.py``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backcare.api.errors import ApiError, error_response

__all__ = ["CONTENT_SECURITY_POLICY", "ShellMiddleware"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)
_SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ShellMiddleware:
    """Security headers on every response, the body limit, and the last-resort 500.

    The body is read (up to the limit) before the app sees it, so an
    oversized request gets a clean 413 whatever the route does with it.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_limits = body_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in _SECURITY_HEADERS}
                headers = [h for h in message.get("headers", []) if h[0].lower() not in names]
                message = {**message, "headers": [*headers, *_SECURITY_HEADERS]}
            await send(message)

        if scope["method"] in _BODY_METHODS:
            limit = self.body_limits.get(scope["path"], self.max_body_bytes)
            body = await self._read_body(scope, receive, limit)
            if body is None:
                too_large = ApiError(
                    413, "body_too_large", f"the request body is over {limit:,} bytes; send less"
                )
                await error_response(too_large)(scope, receive, send_with_headers)
                return
            receive = _replay(body, receive)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            await error_response(exc)(scope, receive, send_with_headers)

    async def _read_body(self, scope: Scope, receive: Receive, limit: int) -> bytes | None:
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit():
                if int(value) > limit:
                    return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
