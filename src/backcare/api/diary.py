"""Server mode: the diary and review routes, behind bearer tokens.

``diary_router`` builds an ``APIRouter`` that ``create_app(..., diary=store)``
includes. Every route needs ``Authorization: Bearer <token>`` (``backcare
users add NAME`` prints one); a route works only on the caller's own rows, and
another user's episode answers 404 exactly like a missing one, so ids do not
leak. ``GET /v1/review`` also needs a maintainer's token (``--maintainer``).

Errors are raised, never rendered here: the API's one error table (``errors.py``)
turns them into ``{"error": {"code", "message"}}``.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures,
# which name dependencies defined inside `diary_router`.
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from backcare import (
    Backcare,
    CheckIn,
    Diary,
    DiaryStore,
    DiarySummary,
    Episode,
    EpisodePatch,
    FeedbackStore,
    NewCheckIn,
    NewEpisode,
    ReviewReport,
    User,
)
from backcare.api.errors import Responses, error_doc
from backcare.api.schemas import CheckInRequest, EpisodeRequest, ImportReceipt

__all__ = ["diary_router"]

# Ids are 64-bit in the database: a larger number is refused as invalid (422), never
# sent to the driver (it overflowed SQLite's INTEGER: a 500 that schemathesis found).
EpisodeId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The episode's id.")]

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `backcare users add NAME` (shown once when the user is made).",
)


_AUTH: Responses = {
    401: error_doc("No valid bearer token", "unauthorized", "a bearer token is needed")
}
_MISSING: Responses = {
    404: error_doc("Not one of your episodes", "not_found", "no episode 7 in this diary")
}
_BAD: Responses = {
    422: error_doc("The request cannot be used", "invalid_request", "pain: must be <= 10")
}
_DOWN: Responses = {
    503: error_doc("The database is down", "storage_unavailable", "try again shortly")
}
_CONFLICT: Responses = {
    409: error_doc("Another episode is open", "conflict", "end episode 3 first")
}


def _build(kind: type[Any], **fields: Any) -> Any:
    # Checks that only the model knows (no control characters, end after onset)
    # are request errors too: 422 invalid_request, not a 500.
    try:
        return kind.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


def diary_router(
    diary: Diary,
    *,
    backcare: Backcare,
    feedback: FeedbackStore,
    clock: Callable[[], dt.datetime],
) -> APIRouter:
    """The ``/v1/diary`` and ``/v1/review`` routes over ``diary``, behind bearer tokens.

    Args:
        diary: the diary service (its store scopes every row to a user).
        backcare: the facade whose encoder clusters unanswered questions and whose
            knowledge base each review cluster proposes an entry from.
        feedback: where ratings and unanswered questions are, for the review.
        clock: the current time (tests freeze it).
    """

    store = diary.store
    caller, maintainer = _auth(store)
    router = APIRouter(prefix="/v1", responses={**_AUTH, **_DOWN})

    @router.get("/me", response_model=User, tags=["diary"])
    def me(user: Annotated[User, caller]) -> User:
        """Who the token belongs to."""
        return user

    _add_episode_routes(router, store, caller, clock)
    _add_checkin_routes(router, store, caller, clock)
    _add_file_routes(router, diary, caller, clock)
    _add_review_route(router, backcare, feedback, maintainer)
    return router


def _auth(store: DiaryStore) -> tuple[Any, Any]:
    """The dependencies of the routes: the caller (any valid token) and a maintainer.

    Each is a ``Depends`` to put in a parameter's ``Annotated[User, ...]``.
    """

    def current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> User:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            raise HTTPException(
                401,
                "a bearer token is needed: send Authorization: Bearer <token> "
                "(backcare users add NAME makes one)",
                headers=challenge,
            )
        user = store.authenticate(credentials.credentials)
        if user is None:
            raise HTTPException(401, "the bearer token is not valid", headers=challenge)
        return user

    def maintainer(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.maintainer:
            raise HTTPException(403, "the review needs a maintainer's token")
        return user

    return Depends(current_user), Depends(maintainer)


def _add_episode_routes(
    router: APIRouter, store: DiaryStore, caller: Any, clock: Callable[[], dt.datetime]
) -> None:
    """Start, list, read, change and delete episodes."""

    @router.post(
        "/diary/episodes",
        response_model=Episode,
        status_code=201,
        tags=["diary"],
        responses={**_BAD, **_CONFLICT},
    )
    def start_episode(request: EpisodeRequest, user: Annotated[User, caller]) -> Episode:
        """Start an episode (409 while another one is still open)."""
        episode = _build(
            NewEpisode, onset=request.onset or clock(), end=request.end, note=request.note
        )
        return store.start_episode(user.id, episode)

    @router.get("/diary/episodes", response_model=list[Episode], tags=["diary"])
    def list_episodes(user: Annotated[User, caller]) -> list[Episode]:
        """Your episodes, oldest first."""
        return store.episodes(user.id)

    @router.get(
        "/diary/episodes/{episode_id}",
        response_model=Episode,
        tags=["diary"],
        responses={**_MISSING, **_BAD},
    )
    def get_episode(episode_id: EpisodeId, user: Annotated[User, caller]) -> Episode:
        """One of your episodes."""
        return store.episode(user.id, episode_id)

    @router.patch(
        "/diary/episodes/{episode_id}",
        response_model=Episode,
        tags=["diary"],
        responses={**_MISSING, **_BAD},
    )
    def change_episode(
        episode_id: EpisodeId, patch: EpisodePatch, user: Annotated[User, caller]
    ) -> Episode:
        """Change the onset, end or note of one of your episodes (``"end": null`` reopens)."""
        return store.update_episode(user.id, episode_id, patch)

    @router.delete(
        "/diary/episodes/{episode_id}",
        status_code=204,
        tags=["diary"],
        responses={**_MISSING, **_BAD},
    )
    def delete_episode(episode_id: EpisodeId, user: Annotated[User, caller]) -> Response:
        """Delete one of your episodes with its check-ins."""
        store.delete_episode(user.id, episode_id)
        return Response(status_code=204)


def _add_checkin_routes(
    router: APIRouter, store: DiaryStore, caller: Any, clock: Callable[[], dt.datetime]
) -> None:
    """Log and list the check-ins of an episode."""

    @router.post(
        "/diary/episodes/{episode_id}/checkins",
        response_model=CheckIn,
        status_code=201,
        tags=["diary"],
        responses={**_MISSING, **_BAD},
    )
    def add_checkin(
        episode_id: EpisodeId, request: CheckInRequest, user: Annotated[User, caller]
    ) -> CheckIn:
        """Log a check-in in one of your episodes; it is stored durably before the reply."""
        fields = request.model_dump()
        fields["at"] = request.at or clock()
        return store.add_checkin(user.id, episode_id, _build(NewCheckIn, **fields))

    @router.get(
        "/diary/episodes/{episode_id}/checkins",
        response_model=list[CheckIn],
        tags=["diary"],
        responses={**_MISSING, **_BAD},
    )
    def list_checkins(episode_id: EpisodeId, user: Annotated[User, caller]) -> list[CheckIn]:
        """The check-ins of one of your episodes, oldest first."""
        return store.checkins(user.id, episode_id)


def _add_file_routes(
    router: APIRouter, diary: Diary, caller: Any, clock: Callable[[], dt.datetime]
) -> None:
    """The summary, and the whole diary out (export) and in (import)."""

    @router.get("/diary/summary", response_model=DiarySummary, tags=["diary"])
    def summary(user: Annotated[User, caller]) -> DiarySummary:
        """Your episodes at a glance, with warnings (red flags, no improvement, recurrence)."""
        return diary.summary(user.id, now=clock())

    @router.get(
        "/diary/export",
        tags=["diary"],
        responses={
            200: {
                "description": "The whole diary as JSON (default) or CSV",
                "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
            },
            **_BAD,
        },
    )
    def export(
        user: Annotated[User, caller],
        format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
    ) -> Response:
        """Download your whole diary; ``POST /v1/diary/import`` reads it back."""
        media = "application/json" if format == "json" else "text/csv; charset=utf-8"
        return Response(
            diary.export(user.id, format),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="backcare-diary.{format}"'},
        )

    @router.post(
        "/diary/import",
        response_model=ImportReceipt,
        status_code=201,
        tags=["diary"],
        responses={**_BAD, 415: error_doc("Not JSON or CSV", "unsupported_media_type", "send CSV")},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def import_(request: Request, user: Annotated[User, caller]) -> ImportReceipt:
        """Add the episodes of an export (JSON or CSV, by Content-Type) to your diary."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        formats = {"application/json": "json", "text/csv": "csv"}
        if kind not in formats:
            raise HTTPException(
                415, "send the export as application/json or text/csv", headers=None
            )
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "the body is not UTF-8 text") from exc
        episodes, checkins = await run_in_threadpool(
            diary.import_text, user.id, text, formats[kind]
        )
        return ImportReceipt(episodes=episodes, checkins=checkins)


def _add_review_route(
    router: APIRouter, backcare: Backcare, feedback: FeedbackStore, maintainer: Any
) -> None:
    """``GET /v1/review``, for maintainers."""

    @router.get(
        "/review",
        response_model=ReviewReport,
        tags=["review"],
        responses={
            **_BAD,
            403: error_doc("Not a maintainer", "forbidden", "needs a maintainer's token"),
        },
    )
    def review(
        _user: Annotated[User, maintainer],
        top: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> ReviewReport:
        """The most frequent unanswered questions and the worst-rated answers."""
        if backcare.kb_dir is None:
            return backcare.review(feedback, top=top)
        from backcare import review_decisions

        # As `backcare review --kb`: accepted clusters are left out, rejected
        # proposals are not made again.
        decisions = review_decisions(backcare.kb_dir)
        return backcare.review(
            feedback, top=top, accepted=decisions.accepted, rejected=decisions.rejected
        )
