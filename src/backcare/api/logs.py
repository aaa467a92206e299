"""Structured logs for ``backcare serve``: one JSON object a line, each with its request id.

The request id comes from the ``X-Request-ID`` header when a proxy set a sane
one (nginx's ``$request_id``), else it is made here; it is returned in the
response's ``X-Request-ID`` and added to every record logged while the request
is answered, worker threads included (a context variable, which Starlette's
threadpool copies). A person's words never reach a log at INFO or above
(tests/test_log_privacy.py checks it): the access record holds the method, the route template, the
status and the time, never the body or the query string.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from typing import Any, Literal

__all__ = [
    "LogFormat",
    "JsonFormatter",
    "current_request_id",
    "new_request_id",
    "request_id_var",
    "uvicorn_log_config",
]

LogFormat = Literal["json", "text"]

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "backcare_request_id", default=None
)
# What a proxy may hand us as a request id: short and printable, so a client
# cannot forge log lines or blow up their size through it.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# LogRecord's own attributes: everything else on a record came in ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def new_request_id(offered: str | None) -> str:
    """``offered`` when it is a sane id, else a fresh random one (32 hex digits)."""
    if offered is not None and _SANE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being answered in this context, if any."""
    return request_id_var.get()


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def uvicorn_log_config(format: LogFormat, level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and backcare, to stderr.

    uvicorn's own access log is left off: the API writes its own (with the
    request id and the route template) under the ``backcare.access`` logger.
    """
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "backcare": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }
