"""SqlDiaryStore on SQLite and PostgreSQL: rows, time zones, ownership, tokens and failures."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backcare import (
    ConfigError,
    DiaryConflictError,
    DiaryError,
    EntryNotFoundError,
    EpisodePatch,
    NewCheckIn,
    NewEpisode,
    SqlDiaryStore,
    SqlFeedbackStore,
    StorageUnavailableError,
)
from backcare.diary.sql import metadata
from tests.diary.backends import NOW

PARIS = dt.timezone(dt.timedelta(hours=1))


def _checkin(**changes: object) -> NewCheckIn:
    fields: dict[str, object] = {
        "at": NOW,
        "pain": 6,
        "where": ("lower back", "left hip"),
        "triggers": ("lifting",),
        "helped": ("walking", "heat"),
        "notes": "stiff in the morning",
    }
    fields.update(changes)
    return NewCheckIn.model_validate(fields)


def test_episodes_and_checkins_round_trip_in_utc(diary_store: SqlDiaryStore) -> None:
    user = diary_store.local_user(now=NOW)
    onset = dt.datetime(2026, 11, 20, 8, 15, 30, 123456, tzinfo=PARIS)
    episode = diary_store.start_episode(user.id, NewEpisode(onset=onset, note="gardening"))
    assert episode.onset == onset and episode.onset.tzinfo == dt.UTC
    checkin = diary_store.add_checkin(
        user.id, episode.id, _checkin(at=onset + dt.timedelta(days=1))
    )
    assert diary_store.episodes(user.id) == [episode]
    assert diary_store.episode(user.id, episode.id) == episode
    [read] = diary_store.checkins(user.id, episode.id)
    assert read == checkin
    assert read.at.tzinfo == dt.UTC and read.at == onset + dt.timedelta(days=1)
    assert read.where == ("lower back", "left hip") and read.helped == ("walking", "heat")
    assert diary_store.checkins(user.id) == [checkin]


def test_lists_are_ordered_by_time_not_by_insertion(diary_store: SqlDiaryStore) -> None:
    user = diary_store.local_user(now=NOW)
    late = diary_store.start_episode(user.id, NewEpisode(onset=NOW, end=NOW))
    early = diary_store.start_episode(user.id, NewEpisode(onset=NOW - dt.timedelta(days=30)))
    assert [e.id for e in diary_store.episodes(user.id)] == [early.id, late.id]
    second = diary_store.add_checkin(user.id, early.id, _checkin(at=NOW))
    first = diary_store.add_checkin(user.id, early.id, _checkin(at=NOW - dt.timedelta(days=2)))
    assert [c.id for c in diary_store.checkins(user.id, early.id)] == [first.id, second.id]


def test_only_one_episode_may_be_open(diary_store: SqlDiaryStore) -> None:
    user = diary_store.local_user(now=NOW)
    first = diary_store.start_episode(user.id, NewEpisode(onset=NOW - dt.timedelta(days=3)))
    with pytest.raises(DiaryConflictError, match=f"episode {first.id} .* still open"):
        diary_store.start_episode(user.id, NewEpisode(onset=NOW))
    diary_store.update_episode(user.id, first.id, EpisodePatch(end=NOW - dt.timedelta(days=1)))
    assert diary_store.start_episode(user.id, NewEpisode(onset=NOW)).end is None


def test_update_changes_only_the_fields_given(diary_store: SqlDiaryStore) -> None:
    user = diary_store.local_user(now=NOW)
    episode = diary_store.start_episode(
        user.id, NewEpisode(onset=NOW - dt.timedelta(days=5), note="a")
    )
    ended = diary_store.update_episode(user.id, episode.id, EpisodePatch(end=NOW))
    assert (ended.onset, ended.end, ended.note) == (episode.onset, NOW, "a")
    reopened = diary_store.update_episode(
        user.id, episode.id, EpisodePatch.model_validate({"end": None})
    )
    assert reopened.end is None and reopened.note == "a"
    assert diary_store.episode(user.id, episode.id) == reopened
    with pytest.raises(ConfigError, match="before it starts"):
        diary_store.update_episode(
            user.id, episode.id, EpisodePatch(end=NOW - dt.timedelta(days=9))
        )
    with pytest.raises(ConfigError, match="needs an onset"):
        diary_store.update_episode(
            user.id, episode.id, EpisodePatch.model_validate({"onset": None})
        )


def test_delete_removes_the_checkins_too(diary_store: SqlDiaryStore) -> None:
    user = diary_store.local_user(now=NOW)
    episode = diary_store.start_episode(user.id, NewEpisode(onset=NOW))
    diary_store.add_checkin(user.id, episode.id, _checkin())
    diary_store.delete_episode(user.id, episode.id)
    assert diary_store.episodes(user.id) == [] and diary_store.checkins(user.id) == []
    with pytest.raises(EntryNotFoundError):
        diary_store.delete_episode(user.id, episode.id)


def test_another_users_rows_are_not_found(diary_store: SqlDiaryStore) -> None:
    alice, _ = diary_store.add_user("alice", maintainer=False, now=NOW)
    bob, _ = diary_store.add_user("bob", maintainer=False, now=NOW)
    episode = diary_store.start_episode(alice.id, NewEpisode(onset=NOW))
    diary_store.add_checkin(alice.id, episode.id, _checkin())
    missing = f"no episode {episode.id} in this diary"
    for attempt in (
        lambda: diary_store.episode(bob.id, episode.id),
        lambda: diary_store.update_episode(bob.id, episode.id, EpisodePatch(note="mine now")),
        lambda: diary_store.delete_episode(bob.id, episode.id),
        lambda: diary_store.add_checkin(bob.id, episode.id, _checkin()),
        lambda: diary_store.checkins(bob.id, episode.id),
    ):
        with pytest.raises(EntryNotFoundError) as caught:
            attempt()
        assert str(caught.value) == missing, "the same answer as for a missing id"
    assert diary_store.episodes(bob.id) == [] and diary_store.checkins(bob.id) == []
    assert diary_store.episode(alice.id, episode.id).note == ""
    assert len(diary_store.checkins(alice.id, episode.id)) == 1


def test_tokens_are_stored_only_as_hashes(diary_store: SqlDiaryStore, diary_url: str) -> None:
    user, token = diary_store.add_user("carol", maintainer=True, now=NOW)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert diary_store.authenticate(token) == user and user.maintainer
    assert diary_store.authenticate(token + "x") is None
    assert diary_store.authenticate("") is None
    assert diary_store.authenticate("x" * 10_000) is None
    engine = sa.create_engine(diary_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM users WHERE name = 'carol'")).scalar()
    engine.dispose()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(stored)


def test_user_names_are_checked(diary_store: SqlDiaryStore) -> None:
    diary_store.add_user("dora", maintainer=False, now=NOW)
    with pytest.raises(DiaryConflictError, match="exists already"):
        diary_store.add_user("dora", maintainer=False, now=NOW)
    for bad in ("", "has space", "x" * 101, "local"):
        with pytest.raises(ConfigError):
            diary_store.add_user(bad, maintainer=False, now=NOW)


def test_the_local_user_has_no_token_and_is_made_once(diary_store: SqlDiaryStore) -> None:
    first = diary_store.local_user(now=NOW)
    assert diary_store.local_user(now=NOW + dt.timedelta(days=1)) == first
    assert [u.name for u in diary_store.users()] == ["local"]


def test_reopening_keeps_the_data_and_the_schema(diary_url: str) -> None:
    store = SqlDiaryStore(diary_url)
    user = store.local_user(now=NOW)
    store.start_episode(user.id, NewEpisode(onset=NOW))
    store.close()
    again = SqlDiaryStore(diary_url)
    assert len(again.episodes(user.id)) == 1
    again.close()


def test_the_migrations_build_exactly_the_tables_the_code_queries(diary_url: str) -> None:
    SqlDiaryStore(diary_url).close()
    engine = sa.create_engine(diary_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, metadata)
        assert context.get_current_revision() == "0001"
    engine.dispose()
    ours = {"users", "episodes", "checkins"}
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name not in ours)] == []


@pytest.mark.parametrize("first", ["diary", "feedback"])
def test_feedback_and_diary_share_one_database_in_any_order(diary_url: str, first: str) -> None:
    if first == "feedback":
        SqlFeedbackStore(diary_url).close()
    SqlDiaryStore(diary_url).close()
    feedback = SqlFeedbackStore(diary_url)
    feedback.ping()
    assert feedback.recent() == [] and feedback.abstained() == []
    feedback.close()


def test_feedback_tables_made_by_the_old_diary_migration_are_adopted(diary_url: str) -> None:
    """A database the diary's r0001 upgraded when it still made the feedback tables."""
    from backcare.feedback.store import VERSION_TABLE
    from backcare.feedback.store import metadata as feedback_tables

    SqlDiaryStore(diary_url).close()
    engine = sa.create_engine(diary_url)
    feedback_tables.create_all(engine)  # the same tables r0001 made then
    with engine.begin() as conn:
        conn.execute(
            feedback_tables.tables["abstained"]
            .insert()
            .values(created_at=NOW, query="bake bread", kb="pack@1")
        )
    columns = {
        name: [c["name"] for c in sa.inspect(engine).get_columns(name)]
        for name in ("feedback", "abstained")
    }
    feedback = SqlFeedbackStore(diary_url)
    assert [row.query for row in feedback.abstained()] == ["bake bread"]
    feedback.close()
    inspector = sa.inspect(engine)
    assert {name: [c["name"] for c in inspector.get_columns(name)] for name in columns} == columns
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [("0001",)]
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all() == [
            ("f0001",)
        ]
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    store = SqlDiaryStore(f"sqlite:///{tmp_path / 'd' / 'backcare.db'}")
    store.local_user(now=NOW)
    with store._engine.connect() as conn:  # a look inside, for the crash guarantee
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()
    with sqlite3.connect(tmp_path / "d" / "backcare.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_in_memory_store_works() -> None:
    store = SqlDiaryStore("sqlite://")
    user = store.local_user(now=NOW)
    episode = store.start_episode(user.id, NewEpisode(onset=NOW))
    assert store.episodes(user.id) == [episode]


def test_an_unreachable_server_is_storage_unavailable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/diary"
    with pytest.raises(StorageUnavailableError, match="not reachable") as caught:
        SqlDiaryStore(url, connect_timeout=2)
    assert "secret" not in str(caught.value), "no password in messages"


def test_an_unwritable_database_is_storage_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageUnavailableError):
        SqlDiaryStore(f"sqlite:///{blocker / 'sub' / 'backcare.db'}")
    folder = tmp_path / "backcare.db"
    folder.mkdir()
    with pytest.raises(StorageUnavailableError, match="not reachable"):
        SqlDiaryStore(f"sqlite:///{folder}")


def test_a_store_whose_database_vanishes_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "backcare.db"
    store = SqlDiaryStore(f"sqlite:///{path}")
    user = store.local_user(now=NOW)
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.mkdir()
    with pytest.raises(StorageUnavailableError):
        store.episodes(user.id)
    with pytest.raises(StorageUnavailableError):
        store.ping()


@pytest.mark.parametrize(
    "url, match",
    [
        ("not a url", "not a valid SQLAlchemy URL"),
        ("mysql://u@h/db", "supports sqlite"),
        ("postgresql+nosuchdriver://u@h/db", "no driver"),
    ],
)
def test_bad_urls_are_config_errors(url: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SqlDiaryStore(url)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'backcare.db'}"
    SqlDiaryStore(url).close()
    with sqlite3.connect(tmp_path / "backcare.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(DiaryError, match="newer backcare"):
        SqlDiaryStore(url)


def test_naive_times_never_reach_the_database() -> None:
    with pytest.raises(ValueError, match="timezone"):
        NewEpisode(onset=dt.datetime(2026, 11, 20, 8))  # type: ignore[arg-type]
