"""The HTTP API and the web page: a thin FastAPI shell over the ``Backcare`` facade.

Routes parse the request, call the facade and return its pydantic types, so
``POST /v1/ask`` answers with exactly the JSON contract of docs/architecture.md.
Every error, expected or not, leaves through ``_error_response`` (one table,
one handler, as datasette's ``handle_exception.py``) as
``{"error": {"code": "...", "message": "..."}}``: 422 for bad input, 413 for
a body over the limit, 404 for an unknown path or entry, and 500 only for our
own bugs (logged, with a generic message).

The facade is built once, before the app, so the model and index load at
start-up; blocking endpoints are plain ``def`` and run in the threadpool, so
requests are served concurrently.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backcare import (
    Abstained,
    Backcare,
    BackcareError,
    CarePlan,
    CarePlanError,
    ConfigError,
    Diary,
    DiaryConflictError,
    DiaryError,
    DiaryFormatError,
    DiaryStore,
    EntryNotFoundError,
    FaqEntry,
    Feedback,
    FeedbackError,
    FeedbackStore,
    FollowUp,
    QueryError,
    Reply,
    SqlFeedbackStore,
    StorageUnavailableError,
    TriageResult,
    __version__,
    care_plan_to_ics,
    prepare_query,
)
from backcare.api_diary import diary_router
from backcare.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from backcare.metrics import Metrics
from backcare.observe import ObserveMiddleware
from backcare.proxies import ProxyHeader, ProxyHeadersMiddleware, TrustedProxies
from backcare.ratelimit import RateLimit, RateLimitMiddleware

__all__ = ["CONTENT_SECURITY_POLICY", "RateLimit", "TrustedProxies", "create_app"]

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"

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


# ---------------------------------------------------------------- wire types


# The languages the shipped pack has red-flag rules for (backcare.SUPPORTED_LANGUAGES;
# tests/test_i18n_shells.py keeps the two equal), so the schema names them.
LangCode = Literal["en", "es", "fr", "de", "pl", "pt", "ar"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


_MAX_ANSWERS = 100

Answers = Annotated[
    dict[str, StrictBool] | None,
    Field(
        max_length=_MAX_ANSWERS,
        description="Answers to follow-up questions: question id (from `follow_up` or "
        "GET /v1/triage/questions) to true (yes) or false (no). The result is then the "
        "final one; questions left unanswered stay in `follow_up`.",
    ),
]


class AskRequest(_Request):
    """A question to answer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"q": "my back locked up this morning, what now?"}]},
    )

    q: str = Field(description="The question, in the person's own words (up to 2,000 characters).")
    top_k: int = Field(
        default=3, ge=1, le=50, description="How many entries come back in all (answer first)."
    )
    lang: LangCode | None = Field(
        default=None,
        description="Reply in this language (ISO 639-1: en, es, fr, de, pl, pt, ar) instead "
        "of the one detected; warning signs are still checked in the detected language too.",
    )
    answers: Answers = None


class TriageRequest(_Request):
    """A message to check for red flags, answers to follow-up questions, or both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"q": "my back hurts and I can't pee since last night"},
                {
                    "q": "shooting pain down to my calf",
                    "answers": {"both_legs": False, "leg_weakness": True},
                },
                {"answers": {"chest_pain": False, "saddle_numbness": True}, "lang": "en"},
            ]
        },
    )

    q: str | None = Field(
        default=None,
        description="What is happening, in the person's own words. May be left out when "
        "`answers` holds the warning-sign checklist answered before any message.",
    )
    lang: LangCode | None = Field(
        default=None,
        description="Reply in this language (ISO 639-1: en, es, fr, de, pl, pt, ar) instead "
        "of the one detected; warning signs are still checked in the detected language too.",
    )
    answers: Answers = None


class WarningSigns(BaseModel):
    """The warning-sign checklist: every follow-up question, most urgent first."""

    lang: str
    questions: list[FollowUp]


class CarePlanRequest(_Request):
    """When the spasm started, and optionally who and what, for a day-by-day plan."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"onset": "2026-11-25", "age": 42}]},
    )

    onset: dt.date = Field(description="The day the spasm started (YYYY-MM-DD).")
    age: int | None = Field(default=None, ge=0, le=130, description="The person's age in years.")
    q: str | None = Field(
        default=None, description="What is happening; red flags in it change the plan."
    )


class FeedbackRequest(_Request):
    """A rating of one reply."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"q": "ice or heat for a back spasm?", "entry_id": "immediate", "rating": "helpful"}
            ]
        },
    )

    q: str = Field(description="The question that was answered.")
    entry_id: str | None = Field(
        default=None, max_length=200, description="The entry shown; null when the reply abstained."
    )
    rating: Literal["helpful", "not_helpful", "wrong"]


class FeedbackReceipt(BaseModel):
    """What ``POST /v1/feedback`` returns."""

    id: int
    status: Literal["recorded"] = "recorded"


class EntrySummary(BaseModel):
    """One entry in a listing."""

    id: str
    question: str


class EntryList(BaseModel):
    """A page of the knowledge base's entries."""

    kb: str
    total: int
    offset: int
    limit: int
    entries: list[EntrySummary]


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    """Readiness: the knowledge base is loaded and the feedback store answers."""

    status: Literal["ready"] = "ready"
    kb: str
    entries: int


class ErrorInfo(BaseModel):
    """A stable machine-readable ``code`` and a message for people."""

    # Closed, so the schema says exactly what an error holds (schemathesis checks it).
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorInfo


def _error_doc(description: str, code: str, message: str) -> dict[str, Any]:
    return {
        "model": ErrorBody,
        "description": description,
        "content": {"application/json": {"example": {"error": {"code": code, "message": message}}}},
    }


_BAD_INPUT = _error_doc(
    "The request cannot be used (codes: invalid_request, bad_json, empty_query, "
    "query_too_long, not_text, unknown_entry, invalid_care_plan, unknown_lang, "
    "unknown_question)",
    "empty_query",
    "the question is empty; type what you want to know",
)
_TOO_LARGE = _error_doc(
    "The body is over the size limit", "body_too_large", "the request body is over 64,000 bytes"
)
_NOT_FOUND = _error_doc("No such entry", "not_found", "no entry 'x' in backcare-pack@1")
_UNAVAILABLE = _error_doc("Not ready", "not_ready", "the feedback database is not reachable")
_STORAGE_DOWN = _error_doc(
    "A storage backend is unavailable (code: storage_unavailable)",
    "storage_unavailable",
    "a storage backend is unavailable; try again shortly",
)
# Every route may answer these: documented once, on the app.
_ANY_ROUTE: dict[int | str, dict[str, Any]] = {
    429: {
        **_error_doc(
            "Too many requests from this address or token; the Retry-After header says "
            "when to try again",
            "rate_limited",
            "too many requests; try again in 1 s",
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before the next request",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    500: _error_doc(
        "A bug on our side (logged)",
        "internal_error",
        "something went wrong on our side; the error has been logged",
    ),
}

_REPLY_EXAMPLE = {
    "query": "my back locked up this morning, what now?",
    "status": "answered",
    "triage": {
        "level": "self_care",
        "flags": [],
        "message": "This sounds like something you can look after at home.",
        "lang": "en",
        "languages": ["en"],
        "checked": True,
        "follow_up": [],
    },
    "answer": {
        "entry_id": "immediate",
        "question": "What can I do right now to ease a lower back spasm?",
        "text": "Most back spasms ease with simple steps at home...",
        "sources": [{"title": "NHS: Back pain", "url": "https://www.nhs.uk/conditions/back-pain/"}],
        "confidence": 0.91,
    },
    "alternatives": [
        {"entry_id": "stop", "question": "How do I stop a back spasm?", "score": 0.55}
    ],
    "kb": "backcare-pack@1",
}

_TRIAGE_EXAMPLE = {
    "level": "doctor",
    "flags": [
        {
            "id": "below_knee",
            "level": "doctor",
            "evidence": "shooting pain down to my calf",
            "layer": "rules",
        }
    ],
    "message": "Book a routine appointment with your GP or a physiotherapist; ...",
    "lang": "en",
    "languages": ["en"],
    "checked": True,
    "follow_up": [
        {
            "id": "both_legs",
            "question": "Are both of your legs painful, tingling, numb or weak?",
            "level_if_yes": "emergency",
        },
        {
            "id": "leg_weakness",
            "question": "Is a leg getting weaker or giving way, or does a foot drag, catch "
            "or slap the floor when you walk?",
            "level_if_yes": "emergency",
        },
    ],
}


# ---------------------------------------------------------------- errors


class _ApiError(Exception):
    """An error the API itself decides on (unknown entry, unknown rating target)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}

# Most specific first: the first matching row decides the status and code.
_ERROR_TABLE: tuple[tuple[type[Exception], int, str], ...] = (
    (QueryError, 422, "query_error"),  # the code comes from the error itself
    (CarePlanError, 422, "invalid_care_plan"),
    (ConfigError, 422, "invalid_argument"),
    (EntryNotFoundError, 404, "not_found"),  # also another user's row: ids do not leak
    (DiaryConflictError, 409, "conflict"),
    (DiaryFormatError, 422, "invalid_diary_file"),
    (StorageUnavailableError, 503, "storage_unavailable"),
    (DiaryError, 503, "storage_unavailable"),
    (FeedbackError, 503, "storage_unavailable"),
)


def _describe(exc: Exception) -> tuple[int, str, str]:
    """Status, code and message for any exception."""
    if isinstance(exc, _ApiError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, RequestValidationError):
        errors = list(exc.errors())
        if any(error.get("type") == "json_invalid" for error in errors):
            return 422, "bad_json", "the request body is not valid JSON"
        return 422, "invalid_request", _validation_message(errors)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8).
            return 422, "bad_json", "the request body is not valid JSON text (UTF-8)"
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code >= 500:
            return exc.status_code, code, "the server failed; try again"
        return exc.status_code, code, str(exc.detail)
    for kind, status, code in _ERROR_TABLE:
        if isinstance(exc, kind):
            if isinstance(exc, QueryError):
                return status, exc.code, exc.message
            if status >= 500:
                logger.error("%s: %s", type(exc).__name__, exc)
                return status, code, "a storage backend is unavailable; try again shortly"
            return status, code, str(exc)
    # Where it failed, but not the message: a message can quote the question or a
    # diary note, which is never logged above DEBUG (tests/test_log_privacy.py). The whole of it is
    # at DEBUG.
    logger.error(
        "unhandled %s, raised at:\n%s",
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )
    logger.debug("unhandled %s", type(exc).__name__, exc_info=exc)
    return 500, "internal_error", "something went wrong on our side; the error has been logged"


def _validation_message(errors: list[Any]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


def _error_response(exc: Exception) -> JSONResponse:
    status, code, message = _describe(exc)
    headers = None
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        headers = dict(exc.headers)
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def _handle(request: Request, exc: Exception) -> Response:
    return _error_response(exc)


class _ShellMiddleware:
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
                too_large = _ApiError(
                    413, "body_too_large", f"the request body is over {limit:,} bytes; send less"
                )
                await _error_response(too_large)(scope, receive, send_with_headers)
                return
            receive = _replay(body, receive)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            await _error_response(exc)(scope, receive, send_with_headers)

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


# ---------------------------------------------------------------- the app


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
            (``backcare.proxies``); None or empty: the peer is the client.
        proxy_header: ``x-forwarded-for`` or ``forwarded``: the one header the
            trusted proxies write.
        metrics: serve Prometheus metrics at ``GET /metrics``.
    """
    store: FeedbackStore = SqlFeedbackStore("sqlite://") if feedback is None else feedback
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
        responses=_ANY_ROUTE,
    )
    for kind in (BackcareError, RequestValidationError, StarletteHTTPException, _ApiError):
        app.add_exception_handler(kind, _handle)
    if rate_limit is not None:
        # Added first, so it runs inside the shell: a 429 gets the JSON error and the headers.
        app.add_middleware(RateLimitMiddleware, limit=rate_limit)
    # A whole diary export is larger than any other body; the import reads it to its limit.
    body_limits = {"/v1/diary/import": Diary.max_import_bytes} if diary is not None else {}
    app.add_middleware(_ShellMiddleware, max_body_bytes=max_body_bytes, body_limits=body_limits)
    counters = (
        Metrics(
            kb_label=backcare.kb_label, kb_entries=len(backcare.kb.entries), version=__version__
        )
        if metrics
        else None
    )
    # Outside the shell, so refused requests and 500s are logged and counted too.
    app.add_middleware(ObserveMiddleware, metrics=counters, routes=app.router.routes)
    if trusted_proxies:
        # Outermost: everything inside (logs, the rate limit, routes) sees the client.
        app.add_middleware(ProxyHeadersMiddleware, trusted=trusted_proxies, header=proxy_header)

    errors_422: dict[int | str, dict[str, Any]] = {413: _TOO_LARGE, 422: _BAD_INPUT}

    @app.post(
        "/v1/ask",
        response_model=Reply,
        tags=["answers"],
        responses={
            200: {"content": {"application/json": {"example": _REPLY_EXAMPLE}}},
            **errors_422,
        },
    )
    def ask(request: AskRequest) -> Reply:
        """Triage the question, then answer it from the knowledge base or abstain."""
        reply = backcare.ask(
            request.q, top_k=request.top_k, lang=request.lang, answers=request.answers
        )
        if counters is not None:
            counters.count_ask(reply.status, reply.triage.level)
        if reply.status == "abstained":
            _log_abstained(store, reply, clock())
        return reply

    @app.post(
        "/v1/triage",
        response_model=TriageResult,
        tags=["answers"],
        responses={
            200: {"content": {"application/json": {"example": _TRIAGE_EXAMPLE}}},
            **errors_422,
        },
    )
    def triage(request: TriageRequest) -> TriageResult:
        """Red-flag triage alone: the level, the flags that fired, what to do, and the
        follow-up questions that would settle what the message left unclear.

        Send `answers` (with the same `q`) to get the final level; `answers` alone
        checks the warning-sign checklist from GET /v1/triage/questions.
        """
        if request.q is None and not request.answers:
            raise QueryError(
                "empty_query", "nothing to check: send q (what is happening), answers, or both"
            )
        return backcare.triage(request.q, lang=request.lang, answers=request.answers)

    @app.get(
        "/v1/triage/questions",
        response_model=WarningSigns,
        tags=["answers"],
        responses={422: _BAD_INPUT},
    )
    def triage_questions(
        lang: Annotated[
            LangCode, Query(description="The language of the questions (ISO 639-1).")
        ] = "en",
    ) -> WarningSigns:
        """The warning-sign checklist: every yes/no follow-up question, most urgent first.

        POST the answers to /v1/triage as `answers` (with or without `q`).
        """
        return WarningSigns(lang=lang, questions=list(backcare.warning_signs(lang)))

    @app.post(
        "/v1/careplan",
        tags=["care plan"],
        responses={
            200: {
                "model": CarePlan,
                "description": "The plan as JSON, or as an iCalendar file with ?format=ics",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            },
            **errors_422,
        },
    )
    def careplan(
        request: CarePlanRequest,
        format: Annotated[
            Literal["json", "ics"], Query(description="json (default) or ics (iCalendar)")
        ] = "json",
    ) -> Response:
        """A day-by-day plan from the onset date; red flags in ``q`` change it."""
        now = clock()
        text = request.q if request.q and request.q.strip() else None
        plan = backcare.care_plan(request.onset, now=now, age=request.age, text=text)
        if format == "ics":
            return Response(
                care_plan_to_ics(plan, now=now),
                media_type="text/calendar",
                headers={"Content-Disposition": 'attachment; filename="backcare-care-plan.ics"'},
            )
        return Response(plan.model_dump_json(), media_type="application/json")

    @app.get(
        "/v1/entries",
        response_model=EntryList,
        tags=["knowledge base"],
        responses={422: _BAD_INPUT},
    )
    def entries(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> EntryList:
        """The knowledge base's entries (id and question), a page at a time."""
        page = backcare.kb.entries[offset : offset + limit]
        return EntryList(
            kb=backcare.kb_label,
            total=len(backcare.kb.entries),
            offset=offset,
            limit=limit,
            entries=[EntrySummary(id=entry.id, question=entry.question) for entry in page],
        )

    @app.get(
        "/v1/entries/{entry_id:path}",
        response_model=FaqEntry,
        tags=["knowledge base"],
        responses={404: _NOT_FOUND, 422: _BAD_INPUT},
    )
    def entry(entry_id: Annotated[str, PathParam(max_length=200)]) -> FaqEntry:
        """One entry: question, alternate phrasings, answer and sources."""
        return backcare.kb.entries[_entry_index(backcare, entry_id, status=404)]

    @app.post(
        "/v1/feedback",
        response_model=FeedbackReceipt,
        status_code=201,
        tags=["feedback"],
        responses={**errors_422, 503: _STORAGE_DOWN},
    )
    def feedback_(
        request: Annotated[FeedbackRequest, Body()],
    ) -> FeedbackReceipt:
        """Rate a reply: helpful, not helpful, or wrong (stored for review)."""
        query = prepare_query(request.q)
        if request.entry_id is not None:
            _entry_index(backcare, request.entry_id, status=422)
        record = Feedback(
            at=clock(),
            query=query,
            entry_id=request.entry_id,
            rating=request.rating,
            kb=backcare.kb_label,
        )
        return FeedbackReceipt(id=store.add(record))

    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> Health:
        """Liveness: the process is up."""
        return Health(version=__version__)

    @app.get(
        "/readyz", response_model=Readiness, tags=["operations"], responses={503: _UNAVAILABLE}
    )
    def readyz() -> Readiness:
        """Readiness: the knowledge base is loaded and the feedback store answers."""
        try:
            store.ping()
        except (DiaryError, FeedbackError) as exc:
            raise _ApiError(503, "not_ready", "the feedback database is not reachable") from exc
        return Readiness(kb=backcare.kb_label, entries=len(backcare.kb.entries))

    if counters is not None:
        exposition = counters.exposition

        # Not in the OpenAPI schema: it is Prometheus' text format, for scrapers.
        @app.get("/metrics", include_in_schema=False)
        def metrics_() -> Response:
            return Response(exposition(), media_type=METRICS_CONTENT_TYPE)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    if diary is not None:
        router = diary_router(
            Diary(diary, backcare.triage),
            feedback=store,
            encoder=backcare.retriever.encoder,
            clock=clock,
            retriever=backcare.retriever,
        )
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


def _log_abstained(store: FeedbackStore, reply: Reply, now: dt.datetime) -> None:
    """Keep an unanswered question for `backcare review`; a failure never fails the reply."""
    try:
        store.add_abstained(Abstained(at=now, query=prepare_query(reply.query), kb=reply.kb))
    except BackcareError as exc:
        logger.warning("could not log an unanswered question: %s", type(exc).__name__)


def _entry_index(backcare: Backcare, entry_id: str, *, status: int) -> int:
    index = backcare.kb.index_of(entry_id)
    if index is None:
        code = "not_found" if status == 404 else "unknown_entry"
        raise _ApiError(status, code, f"no entry '{entry_id}' in {backcare.kb_label}")
    return index
