"""Errors over HTTP: one body, one table, one handler, and their documentation.

Every error, expected or not, leaves through ``error_response`` as
``{"error": {"code": "...", "message": "..."}}`` (``ErrorBody``): 422 for bad
input, 413 for a body over the limit, 404 for an unknown path or entry, and
500 only for our own bugs (logged, with a generic message). ``error_doc``
documents a response with that body, so every route's OpenAPI entry names
the same schema.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from backcare import (
    BackcareError,
    CarePlanError,
    ConfigError,
    DiaryConflictError,
    DiaryError,
    DiaryFormatError,
    EntryNotFoundError,
    FeedbackError,
    QueryError,
    StorageUnavailableError,
)

__all__ = [
    "ANY_ROUTE",
    "BAD_INPUT",
    "NOT_FOUND",
    "STORAGE_DOWN",
    "TOO_LARGE",
    "UNAVAILABLE",
    "ApiError",
    "ErrorBody",
    "ErrorInfo",
    "Responses",
    "error_doc",
    "error_response",
    "install_error_handlers",
]

# The API's one logger, named for the package so operators filter on `backcare.api`.
logger = logging.getLogger("backcare.api")

Responses = dict[int | str, dict[str, Any]]


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


def error_doc(description: str, code: str, message: str) -> dict[str, Any]:
    """An OpenAPI response entry: the ``ErrorBody`` schema with an example."""
    return {
        "model": ErrorBody,
        "description": description,
        "content": {"application/json": {"example": {"error": {"code": code, "message": message}}}},
    }


BAD_INPUT = error_doc(
    "The request cannot be used (codes: invalid_request, bad_json, empty_query, "
    "query_too_long, not_text, unknown_entry, invalid_care_plan, unknown_lang, "
    "unknown_question)",
    "empty_query",
    "the question is empty; type what you want to know",
)
TOO_LARGE = error_doc(
    "The body is over the size limit", "body_too_large", "the request body is over 64,000 bytes"
)
NOT_FOUND = error_doc("No such entry", "not_found", "no entry 'x' in backcare-pack@1")
UNAVAILABLE = error_doc("Not ready", "not_ready", "the feedback database is not reachable")
STORAGE_DOWN = error_doc(
    "A storage backend is unavailable (code: storage_unavailable)",
    "storage_unavailable",
    "a storage backend is unavailable; try again shortly",
)
# Every route may answer these: documented once, on the app.
ANY_ROUTE: Responses = {
    429: {
        **error_doc(
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
    500: error_doc(
        "A bug on our side (logged)",
        "internal_error",
        "something went wrong on our side; the error has been logged",
    ),
}


class ApiError(Exception):
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
    if isinstance(exc, ApiError):
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


def error_response(exc: Exception) -> JSONResponse:
    status, code, message = _describe(exc)
    headers = None
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        headers = dict(exc.headers)
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def _handle(request: Request, exc: Exception) -> Response:
    return error_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    """Send every error the app raises through ``error_response``."""
    for kind in (BackcareError, RequestValidationError, StarletteHTTPException, ApiError):
        app.add_exception_handler(kind, _handle)
