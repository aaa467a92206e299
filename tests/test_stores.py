"""open_stores: the one place the shells open the diary and feedback stores, in order."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

import backcare.stores
from backcare import (
    Abstained,
    FeedbackError,
    NewEpisode,
    SqlDiaryStore,
    SqlFeedbackStore,
    Stores,
    open_stores,
)

NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def test_both_stores_open_migrated_on_one_database(tmp_path: Path) -> None:
    path = tmp_path / "data" / "backcare.db"
    stores = open_stores(f"sqlite:///{path}")
    assert isinstance(stores, Stores)
    user = stores.diary.local_user(now=NOW)
    stores.diary.start_episode(user.id, NewEpisode(onset=NOW))
    stores.feedback.add_abstained(Abstained(at=NOW, query="bake bread", kb="pack@1"))
    stores.close()
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        versions = (
            raw.execute("SELECT version_num FROM alembic_version").fetchall(),
            raw.execute("SELECT version_num FROM alembic_version_feedback").fetchall(),
        )
    assert {"users", "episodes", "checkins", "feedback", "abstained"} <= tables
    assert versions == ([("0001",)], [("f0001",)])
    again = open_stores(f"sqlite:///{path}")
    assert [row.query for row in again.feedback.abstained()] == ["bake bread"]
    assert len(again.diary.episodes(user.id)) == 1
    again.close()


def test_the_diary_opens_first_and_is_closed_when_the_feedback_store_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []

    class Diary(SqlDiaryStore):
        def __init__(self, url: str) -> None:
            order.append("diary")
            super().__init__(url)

        def close(self) -> None:
            order.append("diary closed")
            super().close()

    class Broken(SqlFeedbackStore):
        def __init__(self, url: str) -> None:
            order.append("feedback")
            raise FeedbackError("cannot open the feedback database")

    monkeypatch.setattr(backcare.stores, "SqlDiaryStore", Diary)
    monkeypatch.setattr(backcare.stores, "SqlFeedbackStore", Broken)
    with pytest.raises(FeedbackError):
        open_stores("sqlite://")
    assert order == ["diary", "feedback", "diary closed"]
