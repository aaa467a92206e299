"""SqlFeedbackStore: ratings round-trip, stay in UTC, failures become FeedbackError, and
its migrations adopt the feedback tables older versions made."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from backcare import (
    Backcare,
    BackcareError,
    ConfigError,
    DiaryError,
    Feedback,
    FeedbackError,
    SqlDiaryStore,
    SqlFeedbackStore,
    prepare_query,
)
from backcare.feedback.store import VERSION_TABLE, metadata

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def _feedback(**changes: object) -> Feedback:
    fields: dict[str, object] = {
        "at": NOW,
        "query": "ice or heat for a back spasm?",
        "entry_id": "immediate",
        "rating": "helpful",
        "kb": "backcare-pack@1",
    }
    fields.update(changes)
    return Feedback.model_validate(fields)


def test_ratings_read_back_newest_first() -> None:
    store = SqlFeedbackStore("sqlite://")
    first = store.add(_feedback())
    second = store.add(_feedback(rating="wrong", entry_id=None, query="xqzv"))
    rows = store.recent()
    assert [row.id for row in rows] == [second, first]
    assert rows[0].rating == "wrong" and rows[0].entry_id is None and rows[0].query == "xqzv"
    assert rows[1].model_dump(exclude={"id"}) == _feedback().model_dump()
    assert store.recent(limit=1)[0].id == second


def test_times_are_stored_in_utc() -> None:
    store = SqlFeedbackStore("sqlite://")
    paris = dt.timezone(dt.timedelta(hours=1))
    store.add(_feedback(at=dt.datetime(2026, 11, 28, 10, 30, tzinfo=paris)))
    assert store.recent()[0].at == NOW
    assert store.recent()[0].at.tzinfo is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"rating": "great"},
        {"query": ""},
        {"at": dt.datetime(2026, 11, 28)},  # naive: ambiguous, refused
        {"entry_id": "x" * 201},
        {"extra": 1},
    ],
)
def test_invalid_feedback_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _feedback(**changes)


def test_a_sqlite_file_is_created_with_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "backcare.db"
    store = SqlFeedbackStore(f"sqlite:///{path}")
    store.add(_feedback())
    store.close()
    assert path.is_file()
    assert len(SqlFeedbackStore(f"sqlite:///{path}").recent()) == 1


def test_the_in_memory_store_is_shared_across_threads() -> None:
    store = SqlFeedbackStore("sqlite://")
    threads = [threading.Thread(target=store.add, args=(_feedback(),)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.recent()) == 8


def test_a_bad_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid SQLAlchemy URL"):
        SqlFeedbackStore("not a url")


def test_an_unwritable_database_is_a_feedback_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(FeedbackError, match="cannot open the feedback database") as caught:
        SqlFeedbackStore(f"sqlite:///{blocker / 'sub' / 'backcare.db'}")
    assert caught.value.code == "storage_unavailable"
    # Its own kind of error: not the diary's, but still a BackcareError.
    assert isinstance(caught.value, BackcareError) and not isinstance(caught.value, DiaryError)


def test_database_failures_are_wrapped(tmp_path: Path) -> None:
    store = SqlFeedbackStore(f"sqlite:///{tmp_path / 'backcare.db'}")
    (tmp_path / "backcare.db").unlink()
    (tmp_path / "backcare.db").mkdir()  # the file is now a folder: every query fails
    store.close()
    with pytest.raises(FeedbackError, match="cannot store feedback"):
        store.add(_feedback())
    with pytest.raises(FeedbackError, match="cannot read feedback"):
        store.recent()
    with pytest.raises(FeedbackError, match="not reachable"):
        store.ping()


def test_unanswered_questions_read_back_newest_first() -> None:
    from backcare import Abstained

    store = SqlFeedbackStore("sqlite://")
    first = store.add_abstained(Abstained(at=NOW, query="capital of France?", kb="pack@1"))
    paris = dt.timezone(dt.timedelta(hours=1))
    later = dt.datetime(2026, 11, 28, 11, 0, tzinfo=paris)
    second = store.add_abstained(Abstained(at=later, query="bake bread", kb="pack@1"))
    rows = store.abstained()
    assert [row.id for row in rows] == [second, first]
    assert rows[0].at == later and rows[0].at.tzinfo is not None
    assert rows[1].model_dump(exclude={"id"}) == {
        "at": NOW,
        "query": "capital of France?",
        "kb": "pack@1",
    }
    assert len(store.abstained(limit=1)) == 1


def test_unanswered_question_failures_are_wrapped(tmp_path: Path) -> None:
    from backcare import Abstained

    store = SqlFeedbackStore(f"sqlite:///{tmp_path / 'backcare.db'}")
    (tmp_path / "backcare.db").unlink()
    (tmp_path / "backcare.db").mkdir()
    store.close()
    with pytest.raises(FeedbackError, match="cannot log an unanswered question"):
        store.add_abstained(Abstained(at=NOW, query="x", kb="kb"))
    with pytest.raises(FeedbackError, match="cannot read unanswered questions"):
        store.abstained()


def test_log_unanswered_keeps_only_abstained_replies_normalised(
    fake_backcare: Backcare,
) -> None:
    from backcare import log_unanswered

    store = SqlFeedbackStore("sqlite://")
    abstained = fake_backcare.ask("what is  the capital\u00a0of France?")
    answered = abstained.model_copy(update={"status": "answered"})
    assert abstained.status == "abstained"
    assert log_unanswered(store, abstained, now=NOW) is True
    assert log_unanswered(store, answered, now=NOW) is False
    [row] = store.abstained()
    assert row.query == "what is the capital of France?" and row.kb == abstained.kb
    assert row.query == prepare_query(abstained.query)


def test_log_unanswered_never_fails_the_reply(
    fake_backcare: Backcare, caplog: pytest.LogCaptureFixture
) -> None:
    from backcare import log_unanswered

    class Down(SqlFeedbackStore):
        def add_abstained(self, item: object) -> int:
            raise FeedbackError("database down at db.internal")

    reply = fake_backcare.ask("what is the capital of France?")
    assert log_unanswered(Down("sqlite://"), reply, now=NOW) is False
    assert "could not log an unanswered question: FeedbackError" in caplog.text
    assert "capital" not in caplog.text and "db.internal" not in caplog.text


# ---------------------------------------------------------------- migrations


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def _schema(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    return dict(rows)


def test_the_migrations_build_exactly_the_tables_the_code_queries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'backcare.db'}"
    SqlFeedbackStore(url).close()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert context.get_current_revision() == "f0001"
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)] == []
    assert set(_schema(tmp_path / "backcare.db")) == {"feedback", "abstained", VERSION_TABLE}


@pytest.mark.parametrize("made_by", ["the diary migration", "create_all"])
def test_a_database_from_before_the_feedback_migrations_opens_unchanged(
    tmp_path: Path, made_by: str
) -> None:
    """Feedback tables an older backcare made, rows and all, are adopted as they are."""
    path = tmp_path / "backcare.db"
    url = f"sqlite:///{path}"
    if made_by == "the diary migration":
        SqlDiaryStore(url).close()  # the diary at revision 0001, as before
    engine = sa.create_engine(url)
    # The tables exactly as the older store's create_all and the diary's r0001 made them.
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO feedback (created_at, query, entry_id, rating, kb) VALUES "
            "('2026-11-28 09:30:00.000000', 'ice or heat?', 'immediate', 'wrong', 'pack@1')"
        )
        conn.exec_driver_sql(
            "INSERT INTO abstained (created_at, query, kb) VALUES "
            "('2026-11-28 09:31:00.000000', 'bake bread', 'pack@1')"
        )
    engine.dispose()
    before = _schema(path)
    rows = {table: _rows(path, table) for table in ("feedback", "abstained")}

    store = SqlFeedbackStore(url)
    [rating] = store.recent()
    [unanswered] = store.abstained()
    assert (rating.query, rating.rating, rating.at) == ("ice or heat?", "wrong", NOW)
    assert unanswered.query == "bake bread"
    store.add(_feedback())
    store.close()

    after = _schema(path)
    assert {name: after[name] for name in before} == before, "no table was changed"
    assert set(after) - set(before) == {VERSION_TABLE}
    assert _rows(path, "abstained") == rows["abstained"]
    assert _rows(path, "feedback")[:1] == rows["feedback"]
    if made_by == "the diary migration":
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        SqlDiaryStore(url).close()  # and the diary still opens on it


def test_a_fresh_diary_leaves_the_feedback_tables_to_the_feedback_store(tmp_path: Path) -> None:
    path = tmp_path / "backcare.db"
    SqlDiaryStore(f"sqlite:///{path}").close()
    assert not {"feedback", "abstained"} & set(_schema(path))
    SqlFeedbackStore(f"sqlite:///{path}").close()
    assert {"feedback", "abstained", VERSION_TABLE} <= set(_schema(path))


def test_a_newer_feedback_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'backcare.db'}"
    SqlFeedbackStore(url).close()
    with sqlite3.connect(tmp_path / "backcare.db") as raw:
        raw.execute(f"UPDATE {VERSION_TABLE} SET version_num = 'f9999'")
    with pytest.raises(FeedbackError, match="newer backcare") as caught:
        SqlFeedbackStore(url)
    assert caught.value.code == "schema_too_new"
