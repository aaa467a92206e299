"""The public routes: answers, the care plan, the knowledge base, feedback, operations.

Each function adds one group of routes to the app; ``create_app`` calls them
in this order, which is the order of the OpenAPI document. They are added to
the app itself, not included as ``APIRouter``s: FastAPI nests an included
router as one entry of ``app.router.routes``, and the metrics label each
request by finding its route template in that list (``observe.py``).
Routes parse the request, call the facade and return its pydantic types, so
``POST /v1/ask`` answers with exactly the JSON contract of docs/architecture.md.
Blocking routes are plain ``def`` and run in the threadpool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Body, FastAPI, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from backcare import (
    Backcare,
    CarePlan,
    DiaryError,
    FaqEntry,
    Feedback,
    FeedbackError,
    FeedbackStore,
    QueryError,
    Reply,
    TriageResult,
    __version__,
    care_plan_to_ics,
    log_unanswered,
    prepare_query,
)
from backcare.api.errors import (
    BAD_INPUT,
    NOT_FOUND,
    STORAGE_DOWN,
    TOO_LARGE,
    UNAVAILABLE,
    ApiError,
    Responses,
)
from backcare.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from backcare.api.metrics import Metrics
from backcare.api.schemas import (
    REPLY_EXAMPLE,
    TRIAGE_EXAMPLE,
    AskRequest,
    CarePlanRequest,
    EntryList,
    EntrySummary,
    FeedbackReceipt,
    FeedbackRequest,
    Health,
    LangCode,
    Readiness,
    TriageRequest,
    WarningSigns,
)

__all__ = [
    "WEB_DIR",
    "add_answer_routes",
    "add_care_plan_routes",
    "add_entry_routes",
    "add_feedback_routes",
    "add_operation_routes",
]

WEB_DIR = Path(__file__).resolve().parents[1] / "web"

Clock = Callable[[], dt.datetime]

# Routes that read a body may also answer 413 (over the limit) and 422 (unusable).
_BODY_ERRORS: Responses = {413: TOO_LARGE, 422: BAD_INPUT}


def add_answer_routes(
    app: FastAPI, backcare: Backcare, store: FeedbackStore, clock: Clock, counters: Metrics | None
) -> None:
    """``POST /v1/ask``, ``POST /v1/triage`` and ``GET /v1/triage/questions``."""

    @app.post(
        "/v1/ask",
        tags=["answers"],
        response_model=Reply,
        responses={
            200: {"content": {"application/json": {"example": REPLY_EXAMPLE}}},
            **_BODY_ERRORS,
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
            log_unanswered(store, reply, now=clock())
        return reply

    @app.post(
        "/v1/triage",
        tags=["answers"],
        response_model=TriageResult,
        responses={
            200: {"content": {"application/json": {"example": TRIAGE_EXAMPLE}}},
            **_BODY_ERRORS,
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
        tags=["answers"],
        response_model=WarningSigns,
        responses={422: BAD_INPUT},
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


def add_care_plan_routes(app: FastAPI, backcare: Backcare, clock: Clock) -> None:
    """``POST /v1/careplan``: the plan as JSON or as an iCalendar file."""

    @app.post(
        "/v1/careplan",
        tags=["care plan"],
        responses={
            200: {
                "model": CarePlan,
                "description": "The plan as JSON, or as an iCalendar file with ?format=ics",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            },
            **_BODY_ERRORS,
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


def add_entry_routes(app: FastAPI, backcare: Backcare) -> None:
    """``GET /v1/entries`` (a page of ids and questions) and ``GET /v1/entries/{id}``."""

    @app.get(
        "/v1/entries", tags=["knowledge base"], response_model=EntryList, responses={422: BAD_INPUT}
    )
    def entries(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> EntryList:
        """The knowledge base's entries (id and question), a page at a time."""
        everything = backcare.entries
        page = everything[offset : offset + limit]
        return EntryList(
            kb=backcare.kb_label,
            total=len(everything),
            offset=offset,
            limit=limit,
            entries=[EntrySummary(id=entry.id, question=entry.question) for entry in page],
        )

    @app.get(
        "/v1/entries/{entry_id:path}",
        tags=["knowledge base"],
        response_model=FaqEntry,
        responses={404: NOT_FOUND, 422: BAD_INPUT},
    )
    def entry(entry_id: Annotated[str, PathParam(max_length=200)]) -> FaqEntry:
        """One entry: question, alternate phrasings, answer and sources."""
        return _entry(backcare, entry_id, status=404)


def add_feedback_routes(
    app: FastAPI, backcare: Backcare, store: FeedbackStore, clock: Clock
) -> None:
    """``POST /v1/feedback``: a rating of one reply, stored for the review."""

    @app.post(
        "/v1/feedback",
        tags=["feedback"],
        response_model=FeedbackReceipt,
        status_code=201,
        responses={**_BODY_ERRORS, 503: STORAGE_DOWN},
    )
    def feedback_(
        request: Annotated[FeedbackRequest, Body()],
    ) -> FeedbackReceipt:
        """Rate a reply: helpful, not helpful, or wrong (stored for review)."""
        query = prepare_query(request.q)
        if request.entry_id is not None:
            _entry(backcare, request.entry_id, status=422)
        record = Feedback(
            at=clock(),
            query=query,
            entry_id=request.entry_id,
            rating=request.rating,
            kb=backcare.kb_label,
        )
        return FeedbackReceipt(id=store.add(record))


def add_operation_routes(
    app: FastAPI, backcare: Backcare, store: FeedbackStore, counters: Metrics | None
) -> None:
    """Health, readiness, the Prometheus metrics and the web page at ``/``."""

    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> Health:
        """Liveness: the process is up."""
        return Health(version=__version__)

    @app.get("/readyz", response_model=Readiness, tags=["operations"], responses={503: UNAVAILABLE})
    def readyz() -> Readiness:
        """Readiness: the knowledge base is loaded and the feedback store answers."""
        try:
            store.ping()
        except (DiaryError, FeedbackError) as exc:
            raise ApiError(503, "not_ready", "the feedback database is not reachable") from exc
        return Readiness(kb=backcare.kb_label, entries=len(backcare.entries))

    if counters is not None:
        exposition = counters.exposition

        # Not in the OpenAPI schema: it is Prometheus' text format, for scrapers.
        @app.get("/metrics", include_in_schema=False)
        def metrics_() -> Response:
            return Response(exposition(), media_type=METRICS_CONTENT_TYPE)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")


def _entry(backcare: Backcare, entry_id: str, *, status: int) -> FaqEntry:
    found = backcare.entry(entry_id)
    if found is None:
        code = "not_found" if status == 404 else "unknown_entry"
        raise ApiError(status, code, f"no entry '{entry_id}' in {backcare.kb_label}")
    return found
