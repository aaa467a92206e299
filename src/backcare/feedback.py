"""Ratings of replies (helpful / not helpful / wrong), kept for the review loop.

DESIGN.md section 4: every reply can be rated, so a maintainer can see which
questions went unanswered or were answered badly. A row holds the time, the
question text, the entry shown (None when the reply abstained), the rating and
the knowledge-base label: no personal data beyond the text itself.

``SqlFeedbackStore`` runs on SQLAlchemy Core: a SQLite file by default,
``sqlite://`` (in memory) in tests, PostgreSQL by URL. The table is created on
first use; a later issue moves the schema under Alembic migrations.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Literal, Protocol

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from backcare.errors import ConfigError, DiaryError

__all__ = ["RATINGS", "Feedback", "FeedbackStore", "SqlFeedbackStore", "StoredFeedback"]

logger = logging.getLogger(__name__)

RATINGS = ("helpful", "not_helpful", "wrong")

_metadata = sa.MetaData()
_feedback = sa.Table(
    "feedback",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("entry_id", sa.String(200), nullable=True),
    sa.Column("rating", sa.String(16), nullable=False),
    sa.Column("kb", sa.String(200), nullable=False),
    sa.CheckConstraint(
        "rating IN ('helpful', 'not_helpful', 'wrong')", name="feedback_rating_known"
    ),
)


class Feedback(BaseModel):
    """One rating of one reply, as the person gave it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    query: str = Field(min_length=1)
    entry_id: str | None = Field(default=None, max_length=200)
    rating: Literal["helpful", "not_helpful", "wrong"]
    kb: str = Field(min_length=1, max_length=200)


class StoredFeedback(Feedback):
    """A rating read back from a store, with the id the store gave it."""

    id: int


class FeedbackStore(Protocol):
    """Where ratings go: the API writes them, ``backcare review`` reads them."""

    def add(self, feedback: Feedback) -> int:
        """Store one rating and return its id."""
        ...

    def recent(self, limit: int = 100) -> list[StoredFeedback]:
        """The latest ratings, newest first."""
        ...

    def ping(self) -> None:
        """Raise ``DiaryError`` when the store cannot be reached."""
        ...


class SqlFeedbackStore:
    """A ``FeedbackStore`` on SQLAlchemy Core.

    Args:
        url: a SQLAlchemy URL, e.g. ``sqlite:///path/backcare.db`` (the folder is
            created), ``sqlite://`` for memory, or ``postgresql+psycopg://...``.
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = sa.make_url(url)
        except ArgumentError as exc:
            raise ConfigError(
                f"feedback database URL {url!r} is not a valid SQLAlchemy URL; "
                "use e.g. sqlite:///path/to/backcare.db"
            ) from exc
        self.url = parsed.render_as_string(hide_password=True)
        in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (
            None,
            "",
            ":memory:",
        )
        try:
            if parsed.get_backend_name() == "sqlite" and not in_memory and parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            if in_memory:
                # One shared connection, or every thread would see its own empty database.
                self._engine = sa.create_engine(
                    parsed,
                    poolclass=StaticPool,
                    connect_args={"check_same_thread": False},
                )
            else:
                self._engine = sa.create_engine(parsed, pool_pre_ping=True)
            _metadata.create_all(self._engine)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise DiaryError(
                f"cannot open the feedback database {self.url}: {exc}; check the URL, "
                "that the folder is writable and that the database server is running"
            ) from exc
        # SQLite allows one writer; the in-memory one also shares a single connection.
        self._lock = threading.Lock()

    def add(self, feedback: Feedback) -> int:
        """Store one rating and return its id."""
        row = feedback.model_dump()
        row["created_at"] = row.pop("at").astimezone(dt.UTC)
        try:
            with self._lock, self._engine.begin() as conn:
                result = conn.execute(sa.insert(_feedback).values(**row))
                key = result.inserted_primary_key
        except SQLAlchemyError as exc:
            raise DiaryError(f"cannot store feedback in {self.url}: {exc}") from exc
        assert key is not None
        logger.debug("stored %s feedback for %s", feedback.rating, feedback.entry_id)
        return int(key[0])

    def recent(self, limit: int = 100) -> list[StoredFeedback]:
        """The latest ratings, newest first."""
        query = sa.select(_feedback).order_by(_feedback.c.id.desc()).limit(max(0, limit))
        try:
            with self._lock, self._engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise DiaryError(f"cannot read feedback from {self.url}: {exc}") from exc
        return [
            StoredFeedback(
                id=row["id"],
                at=_aware(row["created_at"]),
                query=row["query"],
                entry_id=row["entry_id"],
                rating=row["rating"],
                kb=row["kb"],
            )
            for row in rows
        ]

    def ping(self) -> None:
        """Raise ``DiaryError`` when the database cannot be reached."""
        try:
            with self._lock, self._engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise DiaryError(f"the feedback database {self.url} is not reachable: {exc}") from exc

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite drops the time zone; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
