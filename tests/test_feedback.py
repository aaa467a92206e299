"""SqlFeedbackStore: ratings round-trip, stay in UTC, and failures become DiaryError."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from backcare import ConfigError, DiaryError, Feedback, SqlFeedbackStore

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


def test_an_unwritable_database_is_a_diary_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DiaryError, match="cannot open the feedback database"):
        SqlFeedbackStore(f"sqlite:///{blocker / 'sub' / 'backcare.db'}")


def test_database_failures_are_wrapped(tmp_path: Path) -> None:
    store = SqlFeedbackStore(f"sqlite:///{tmp_path / 'backcare.db'}")
    (tmp_path / "backcare.db").unlink()
    (tmp_path / "backcare.db").mkdir()  # the file is now a folder: every query fails
    store.close()
    with pytest.raises(DiaryError, match="cannot store feedback"):
        store.add(_feedback())
    with pytest.raises(DiaryError, match="cannot read feedback"):
        store.recent()
    with pytest.raises(DiaryError, match="not reachable"):
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
    with pytest.raises(DiaryError, match="cannot log an unanswered question"):
        store.add_abstained(Abstained(at=NOW, query="x", kb="kb"))
    with pytest.raises(DiaryError, match="cannot read unanswered questions"):
        store.abstained()
