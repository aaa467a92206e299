"""``SqlDiaryStore``: the diary on SQLAlchemy Core, in SQLite or PostgreSQL.

SQLite (the default, one file in the user's data folder) runs in WAL mode
with ``synchronous=FULL``, so a check-in is on disk when ``add_checkin``
returns, even if the process is killed a moment later; foreign keys are on,
and every write takes the write lock up front (``BEGIN IMMEDIATE``), so two
processes writing at once wait for each other instead of failing.
PostgreSQL (``postgresql+psycopg://...``, the ``[postgres]`` extra) is for
server mode behind several API replicas.

The schema is managed by the Alembic migrations in ``migrations/``; opening a
store upgrades the database to the latest revision, under a lock so replicas
starting together do not race. Bearer tokens are stored only as SHA-256
hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.pool import StaticPool

from backcare.diary.store import EpisodeRecord
from backcare.errors import (
    ConfigError,
    DiaryConflictError,
    DiaryError,
    EntryNotFoundError,
    StorageUnavailableError,
)
from backcare.model import CheckIn, Episode, EpisodePatch, NewCheckIn, NewEpisode, User

__all__ = ["LOCAL_USER", "MIGRATIONS_DIR", "SqlDiaryStore", "hash_token", "metadata"]

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LOCAL_USER = "local"
"""The name of the CLI's own user; it has no token, so no one can sign in as it."""

_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# Any fixed number: the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x0BAC_CA2E

metadata = sa.MetaData()
"""The diary tables as the latest migration leaves them (a test compares the two)."""

_users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=True),
    sa.Column("maintainer", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("name", name="uq_users_name"),
    sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
)
_episodes = sa.Table(
    "episodes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_episodes_user"),
        nullable=False,
    ),
    sa.Column("onset", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("id", "user_id", name="uq_episodes_id_user"),
    sa.CheckConstraint("ended_at IS NULL OR ended_at >= onset", name="ck_episodes_end"),
    sa.Index("ix_episodes_user_onset", "user_id", "onset"),
)
_checkins = sa.Table(
    "checkins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("episode_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pain", sa.SmallInteger, nullable=False),
    sa.Column("locations", sa.JSON, nullable=False),
    sa.Column("triggers", sa.JSON, nullable=False),
    sa.Column("helped", sa.JSON, nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.ForeignKeyConstraint(
        ["episode_id", "user_id"],
        ["episodes.id", "episodes.user_id"],
        ondelete="CASCADE",
        name="fk_checkins_episode",
    ),
    sa.CheckConstraint("pain >= 0 AND pain <= 10", name="ck_checkins_pain"),
    sa.Index("ix_checkins_user_episode_at", "user_id", "episode_id", "at"),
)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a bearer token: all the database keeps of it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SqlDiaryStore:
    """A ``DiaryStore`` on SQLAlchemy Core; opening it migrates the schema to the latest.

    Args:
        url: a SQLAlchemy URL: ``sqlite:///path/backcare.db`` (the folder is
            created), ``sqlite://`` for an in-memory diary, or
            ``postgresql+psycopg://user:password@host/db``.
        connect_timeout: seconds to wait for a PostgreSQL server, or for
            SQLite's write lock, before giving up.

    Raises:
        ConfigError: the URL is not a SQLAlchemy URL, or names another database.
        StorageUnavailableError: the database cannot be reached or created.
        DiaryError: the schema cannot be upgraded.
    """

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        try:
            parsed = sa.make_url(url)
        except ArgumentError as exc:
            raise ConfigError(
                f"database URL {url!r} is not a valid SQLAlchemy URL; use e.g. "
                "sqlite:///path/to/backcare.db or postgresql+psycopg://user@host/backcare"
            ) from exc
        self.url = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"database URL {self.url} uses {backend}; backcare supports sqlite:/// "
                "and postgresql+psycopg://"
            )
        self._sqlite = backend == "sqlite"
        in_memory = self._sqlite and parsed.database in (None, "", ":memory:")
        try:
            if self._sqlite:
                if not in_memory and parsed.database:
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                self._engine = _sqlite_engine(parsed, in_memory, connect_timeout)
            else:
                self._engine = sa.create_engine(
                    parsed,
                    pool_pre_ping=True,
                    connect_args={"connect_timeout": max(1, int(connect_timeout))},
                )
        except (NoSuchModuleError, ImportError) as exc:
            raise ConfigError(
                f"no driver for {self.url}: pip install 'backcare[postgres]' "
                "and use postgresql+psycopg://"
            ) from exc
        except OSError as exc:
            raise StorageUnavailableError(
                f"cannot create the folder of the diary database {self.url}: {exc}"
            ) from exc
        # SQLite has one writer; the in-memory one also shares one connection between threads.
        self._lock: Any = threading.RLock() if self._sqlite else nullcontext()
        self._migrate()

    # ---------------------------------------------------------------- plumbing

    @contextmanager
    def _begin(self, action: str, *, write: bool = False) -> Iterator[sa.Connection]:
        try:
            with self._lock, self._engine.connect() as conn:
                if write:
                    conn.execution_options(backcare_write=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise _wrap(exc, action, self.url) from exc

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with self._begin("upgrade the diary schema", write=True) as conn:
                if not self._sqlite:
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except CommandError as exc:
            raise DiaryError(
                f"cannot upgrade the diary schema of {self.url}: {exc}; if the database was "
                "written by a newer backcare, upgrade backcare"
            ) from exc

    def ping(self) -> None:
        """Raise ``StorageUnavailableError`` when the database cannot be reached."""
        try:
            with self._lock, self._engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StorageUnavailableError(
                f"the diary database {self.url} is not reachable: {_first_line(exc)}"
            ) from exc

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    # ---------------------------------------------------------------- users

    def add_user(self, name: str, *, maintainer: bool, now: dt.datetime) -> tuple[User, str]:
        """Create a user and return it with its bearer token (shown once, stored hashed).

        Raises:
            ConfigError: the name is not 1-100 letters, digits, ``.``, ``_``, ``@``
                or ``-``, or is the reserved ``local``.
            DiaryConflictError: the name is taken.
        """
        if not _USER_NAME.match(name):
            raise ConfigError(
                f"user name {name!r} must be 1-100 characters: letters, digits, '.', '_', "
                "'@' or '-', starting with a letter or digit"
            )
        if name == LOCAL_USER:
            raise ConfigError(f"'{LOCAL_USER}' is reserved for the command line's own diary")
        token = secrets.token_urlsafe(32)
        row = {
            "name": name,
            "token_hash": hash_token(token),
            "maintainer": maintainer,
            "created_at": _utc(now),
        }
        try:
            with self._begin(f"add user {name!r}", write=True) as conn:
                key = conn.execute(sa.insert(_users).values(**row)).inserted_primary_key
        except DiaryConflictError as exc:
            raise DiaryConflictError(f"a user named {name!r} exists already") from exc
        assert key is not None
        logger.info("added user %s", name)
        return User(id=key[0], name=name, maintainer=maintainer, created_at=_utc(now)), token

    def local_user(self, *, now: dt.datetime) -> User:
        """The CLI's own user (created on first use); it has no token."""
        query = sa.select(_users).where(_users.c.name == LOCAL_USER)
        with self._begin("find the local user", write=True) as conn:
            row = conn.execute(query).mappings().first()
            if row is None:
                values = {"name": LOCAL_USER, "token_hash": None, "created_at": _utc(now)}
                conn.execute(sa.insert(_users).values(**values))
                row = conn.execute(query).mappings().one()
        return _user(row)

    def authenticate(self, token: str) -> User | None:
        """The user a bearer token belongs to, or None."""
        if not token or len(token) > 200:
            return None
        digest = hash_token(token)
        query = sa.select(_users).where(_users.c.token_hash == digest)
        with self._begin("check a token") as conn:
            row = conn.execute(query).mappings().first()
        # The lookup is by hash; compare again in constant time as a second guard.
        if row is None or not hmac.compare_digest(str(row["token_hash"]), digest):
            return None
        return _user(row)

    def users(self) -> list[User]:
        """Every user, oldest first."""
        with self._begin("list users") as conn:
            rows = conn.execute(sa.select(_users).order_by(_users.c.id)).mappings().all()
        return [_user(row) for row in rows]

    # ---------------------------------------------------------------- episodes

    def start_episode(self, user_id: int, episode: NewEpisode) -> Episode:
        """Store a new episode for ``user_id``.

        Raises:
            DiaryConflictError: the new episode is open and another one still is.
        """
        with self._begin("start an episode", write=True) as conn:
            if episode.end is None:
                open_ = conn.execute(
                    sa.select(_episodes.c.id, _episodes.c.onset)
                    .where(_episodes.c.user_id == user_id, _episodes.c.ended_at.is_(None))
                    .limit(1)
                ).first()
                if open_ is not None:
                    raise DiaryConflictError(
                        f"episode {open_.id} (since {_aware(open_.onset):%Y-%m-%d}) is still "
                        "open; end it first (backcare diary end)"
                    )
            key = conn.execute(
                sa.insert(_episodes).values(user_id=user_id, **_episode_row(episode))
            ).inserted_primary_key
        assert key is not None
        return Episode(id=key[0], **_episode_fields(episode))

    def episodes(self, user_id: int) -> list[Episode]:
        """The user's episodes, oldest onset first."""
        query = (
            sa.select(_episodes)
            .where(_episodes.c.user_id == user_id)
            .order_by(_episodes.c.onset, _episodes.c.id)
        )
        with self._begin("list episodes") as conn:
            rows = conn.execute(query).mappings().all()
        return [_episode(row) for row in rows]

    def episode(self, user_id: int, episode_id: int) -> Episode:
        """One of the user's episodes; ``EntryNotFoundError`` when it is not theirs."""
        with self._begin("read an episode") as conn:
            return _episode(_own_episode(conn, user_id, episode_id))

    def update_episode(self, user_id: int, episode_id: int, patch: EpisodePatch) -> Episode:
        """Change the fields set in ``patch``; ``EntryNotFoundError`` when not theirs.

        Raises:
            ConfigError: the change would end the episode before it starts.
        """
        with self._begin("change an episode", write=True) as conn:
            current = _episode(_own_episode(conn, user_id, episode_id))
            changes = {name: getattr(patch, name) for name in patch.model_fields_set}
            if changes.get("onset", current.onset) is None:
                raise ConfigError("an episode needs an onset; it cannot be removed")
            if changes.get("note", "") is None:
                changes["note"] = ""
            try:
                updated = Episode.model_validate({**current.model_dump(), **changes})
            except ValidationError as exc:
                raise ConfigError(_validation_message(exc)) from exc
            conn.execute(
                sa.update(_episodes)
                .where(_episodes.c.id == episode_id, _episodes.c.user_id == user_id)
                .values(**_episode_row(updated))
            )
        return Episode(id=episode_id, **_episode_fields(updated))

    def delete_episode(self, user_id: int, episode_id: int) -> None:
        """Delete an episode and its check-ins; ``EntryNotFoundError`` when not theirs."""
        with self._begin("delete an episode", write=True) as conn:
            _own_episode(conn, user_id, episode_id)
            conn.execute(
                sa.delete(_checkins).where(
                    _checkins.c.episode_id == episode_id, _checkins.c.user_id == user_id
                )
            )
            conn.execute(
                sa.delete(_episodes).where(
                    _episodes.c.id == episode_id, _episodes.c.user_id == user_id
                )
            )

    # ---------------------------------------------------------------- check-ins

    def add_checkin(self, user_id: int, episode_id: int, checkin: NewCheckIn) -> CheckIn:
        """Store a check-in of one of the user's episodes, durably, before returning."""
        with self._begin("log a check-in", write=True) as conn:
            _own_episode(conn, user_id, episode_id)
            key = conn.execute(
                sa.insert(_checkins).values(
                    episode_id=episode_id, user_id=user_id, **_checkin_row(checkin)
                )
            ).inserted_primary_key
        assert key is not None
        logger.debug("logged check-in %s of episode %s", key[0], episode_id)
        return CheckIn(id=key[0], episode_id=episode_id, **checkin.model_dump())

    def checkins(self, user_id: int, episode_id: int | None = None) -> list[CheckIn]:
        """The user's check-ins (of one episode, or all), oldest first."""
        query = sa.select(_checkins).where(_checkins.c.user_id == user_id)
        if episode_id is not None:
            query = query.where(_checkins.c.episode_id == episode_id)
        query = query.order_by(_checkins.c.at, _checkins.c.id)
        with self._begin("list check-ins") as conn:
            if episode_id is not None:
                _own_episode(conn, user_id, episode_id)
            rows = conn.execute(query).mappings().all()
        return [_checkin(row) for row in rows]

    # ---------------------------------------------------------------- bulk

    def import_episodes(self, user_id: int, records: Sequence[EpisodeRecord]) -> tuple[int, int]:
        """Add episodes with their check-ins in one transaction; returns (episodes, check-ins)."""
        count = 0
        with self._begin("import a diary", write=True) as conn:
            for episode, checkins in records:
                key = conn.execute(
                    sa.insert(_episodes).values(user_id=user_id, **_episode_row(episode))
                ).inserted_primary_key
                assert key is not None
                rows = [
                    {"episode_id": key[0], "user_id": user_id, **_checkin_row(checkin)}
                    for checkin in checkins
                ]
                if rows:
                    conn.execute(sa.insert(_checkins), rows)
                count += len(rows)
        return len(records), count


# -------------------------------------------------------------------- helpers


def _sqlite_engine(url: sa.URL, in_memory: bool, timeout: float) -> sa.Engine:
    if in_memory:
        # One shared connection, or every thread would see its own empty database.
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = sa.create_engine(url, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns (the crash test relies on it).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write takes the lock up front: a reader that later writes would get
        # SQLITE_BUSY at once in WAL mode instead of waiting its turn.
        immediate = conn.get_execution_options().get("backcare_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _wrap(exc: SQLAlchemyError, action: str, url: str) -> DiaryError:
    detail = _first_line(exc)
    if isinstance(exc, IntegrityError):
        return DiaryConflictError(f"cannot {action} in {url}: {detail}")
    if isinstance(exc, OperationalError | InterfaceError) or getattr(
        exc, "connection_invalidated", False
    ):
        return StorageUnavailableError(
            f"cannot {action}: the diary database {url} is not reachable ({detail}); check "
            "that the server is running, the folder is writable and the URL is right"
        )
    return DiaryError(f"cannot {action} in {url}: {detail}")


def _first_line(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(str(error.get("msg", "invalid")) for error in exc.errors()[:3])


def _own_episode(conn: sa.Connection, user_id: int, episode_id: int) -> sa.RowMapping:
    row = (
        conn.execute(
            sa.select(_episodes).where(_episodes.c.id == episode_id, _episodes.c.user_id == user_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        # The same answer whether the episode is missing or someone else's.
        raise EntryNotFoundError(f"no episode {episode_id} in this diary")
    return row


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ConfigError(f"time {value.isoformat()} has no time zone; give one, e.g. +00:00")
    return value.astimezone(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive times; every stored time is UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _episode_fields(episode: NewEpisode) -> dict[str, Any]:
    return {
        "onset": _utc(episode.onset),
        "end": None if episode.end is None else _utc(episode.end),
        "note": episode.note,
    }


def _episode_row(episode: NewEpisode) -> dict[str, Any]:
    fields = _episode_fields(episode)
    return {"onset": fields["onset"], "ended_at": fields["end"], "note": fields["note"]}


def _episode(row: sa.RowMapping) -> Episode:
    ended = row["ended_at"]
    return Episode(
        id=row["id"],
        onset=_aware(row["onset"]),
        end=None if ended is None else _aware(ended),
        note=row["note"],
    )


def _checkin_row(checkin: NewCheckIn) -> dict[str, Any]:
    return {
        "at": _utc(checkin.at),
        "pain": checkin.pain,
        "locations": list(checkin.where),
        "triggers": list(checkin.triggers),
        "helped": list(checkin.helped),
        "notes": checkin.notes,
    }


def _checkin(row: sa.RowMapping) -> CheckIn:
    return CheckIn(
        id=row["id"],
        episode_id=row["episode_id"],
        at=_aware(row["at"]),
        pain=row["pain"],
        where=tuple(row["locations"]),
        triggers=tuple(row["triggers"]),
        helped=tuple(row["helped"]),
        notes=row["notes"],
    )


def _user(row: sa.RowMapping) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        maintainer=bool(row["maintainer"]),
        created_at=_aware(row["created_at"]),
    )
