"""``SqlFeedbackStore``: ratings of replies and unanswered questions, for the review loop.

The feedback loop (docs/architecture.md, section 5): every reply can be rated
(helpful / not helpful / wrong), so a maintainer can see which questions went
unanswered or were answered badly. A rating holds the time, the question text,
the entry shown (None when the reply abstained), the rating and the
knowledge-base label: no personal data beyond the text itself. Questions that
went unanswered (the reply abstained) are logged too, as the question text and
the knowledge-base label only.

The store runs on SQLAlchemy Core: a SQLite file by default, ``sqlite://`` (in
memory) in tests, PostgreSQL by URL; usually the same database as the diary.
Its tables are under their own Alembic migrations (``migrations/``, with their
own version table), which run when the store opens; the first of them adopts
the tables that older versions made (by ``create_all``, or by the diary's
first migration) as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from backcare.errors import ConfigError, FeedbackError

__all__ = [
    "MIGRATIONS_DIR",
    "RATINGS",
    "Abstained",
    "Feedback",
    "FeedbackStore",
    "SqlFeedbackStore",
    "StoredAbstained",
    "StoredFeedback",
    "metadata",
]

logger = logging.getLogger(__name__)

RATINGS = ("helpful", "not_helpful", "wrong")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_feedback"
"""The feedback migrations' own version table: the diary's is ``alembic_version``."""
# Any fixed number other than the diary's: the PostgreSQL advisory lock that
# serialises the feedback migrations of replicas starting together.
_MIGRATION_LOCK = 0x0BAC_CA2F

metadata = sa.MetaData()
"""The feedback tables as the latest migration leaves them (a test compares the two)."""
_feedback = sa.Table(
    "feedback",
    metadata,
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
_abstained = sa.Table(
    "abstained",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("kb", sa.String(200), nullable=False),
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


class Abstained(BaseModel):
    """A question the knowledge base had no confident answer for: its text and kb only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    query: str = Field(min_length=1)
    kb: str = Field(min_length=1, max_length=200)


class StoredAbstained(Abstained):
    """An unanswered question read back from a store, with its id."""

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
        """Raise ``FeedbackError`` when the store cannot be reached."""
        ...

    def add_abstained(self, item: Abstained) -> int:
        """Log one unanswered question and return its id."""
        ...

    def abstained(self, limit: int = 1000) -> list[StoredAbstained]:
        """The latest unanswered questions, newest first."""
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
                    hide_parameters=True,
                )
            else:
                # hide_parameters: a failed INSERT's message would hold the question,
                # and the API logs storage errors at ERROR (issue 9: no personal data).
                self._engine = sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
            self._postgres = parsed.get_backend_name() == "postgresql"
            self._migrate()
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise FeedbackError(
                f"cannot open the feedback database {self.url}: {exc}; check the URL, "
                "that the folder is writable and that the database server is running"
            ) from exc
        # SQLite allows one writer; the in-memory one also shares a single connection.
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        """Upgrade the feedback tables to the latest migration (under a lock on PostgreSQL)."""
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self._engine.begin() as conn:
            if self._postgres:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, "head")
            except CommandError as exc:
                raise FeedbackError(
                    f"cannot upgrade the feedback tables of {self.url}: {exc}; if the "
                    "database was written by a newer backcare, upgrade backcare",
                    code="schema_too_new",
                ) from exc

    def add(self, feedback: Feedback) -> int:
        """Store one rating and return its id."""
        row = feedback.model_dump()
        row["created_at"] = row.pop("at").astimezone(dt.UTC)
        key = self._insert(_feedback, row, "store feedback in")
        logger.debug("stored %s feedback for %s", feedback.rating, feedback.entry_id)
        return key

    def recent(self, limit: int = 100) -> list[StoredFeedback]:
        """The latest ratings, newest first."""
        rows = self._latest(_feedback, limit, "feedback")
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

    def add_abstained(self, item: Abstained) -> int:
        """Log one unanswered question and return its id."""
        row = {"created_at": item.at.astimezone(dt.UTC), "query": item.query, "kb": item.kb}
        return self._insert(_abstained, row, "log an unanswered question in")

    def abstained(self, limit: int = 1000) -> list[StoredAbstained]:
        """The latest unanswered questions, newest first."""
        rows = self._latest(_abstained, limit, "unanswered questions")
        return [
            StoredAbstained(
                id=row["id"], at=_aware(row["created_at"]), query=row["query"], kb=row["kb"]
            )
            for row in rows
        ]

    def _insert(self, table: sa.Table, row: dict[str, Any], action: str) -> int:
        """Insert one row and return its id; ``action`` completes "cannot ... <url>"."""
        try:
            with self._lock, self._engine.begin() as conn:
                key = conn.execute(sa.insert(table).values(**row)).inserted_primary_key
        except SQLAlchemyError as exc:
            raise FeedbackError(f"cannot {action} {self.url}: {exc}") from exc
        assert key is not None
        return int(key[0])

    def _latest(self, table: sa.Table, limit: int, what: str) -> Sequence[sa.RowMapping]:
        """The newest ``limit`` rows of ``table``, newest first."""
        query = sa.select(table).order_by(table.c.id.desc()).limit(max(0, limit))
        try:
            with self._lock, self._engine.connect() as conn:
                rows: Sequence[sa.RowMapping] = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise FeedbackError(f"cannot read {what} from {self.url}: {exc}") from exc
        return rows

    def ping(self) -> None:
        """Raise ``FeedbackError`` when the database cannot be reached."""
        try:
            with self._lock, self._engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise FeedbackError(
                f"the feedback database {self.url} is not reachable: {exc}"
            ) from exc

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite drops the time zone; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
