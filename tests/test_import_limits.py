"""Diary import limits: too many bytes or rows are refused with a clear error, nothing added."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backcare import Backcare, CheckIn, Diary, DiaryFormatError, Episode, SqlDiaryStore
from backcare.api import create_app
from backcare.cli import app
from backcare.diary import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, dump_diary, load_diary
from backcare.settings import get_settings

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _export(checkins: int, format: str, note: str = "sore after sitting") -> str:
    episode = Episode(id=1, onset=AT, end=None, note="woke up stiff")
    rows = [
        CheckIn(
            id=n,
            episode_id=1,
            at=AT + dt.timedelta(hours=6 * n),
            pain=n % 11,
            where=("lower back",),
            notes=note,
        )
        for n in range(checkins)
    ]
    return dump_diary([(episode, rows)], format)


@pytest.mark.parametrize("format", ["csv", "json"])
def test_more_rows_than_the_limit_are_refused(format: str) -> None:
    text = _export(4, format)  # one episode and four check-ins: five rows
    assert len(load_diary(text, format, max_rows=5)) == 1
    with pytest.raises(DiaryFormatError, match="more than 4 episodes and check-ins"):
        load_diary(text, format, max_rows=4)


def test_multi_line_notes_do_not_count_as_rows() -> None:
    text = _export(3, "csv", note="line one\nline two\nline three")
    assert len(load_diary(text, "csv", max_rows=4)[0][1]) == 3


@pytest.mark.parametrize("format", ["csv", "json"])
def test_more_bytes_than_the_limit_are_refused(format: str) -> None:
    text = _export(3, format)
    size = len(text.encode())
    load_diary(text, format, max_bytes=size)
    with pytest.raises(DiaryFormatError, match=f"{size:,} bytes, over the limit of {size - 1:,}"):
        load_diary(text, format, max_bytes=size - 1)


def test_the_default_limits_take_a_long_diary() -> None:
    # Fourteen years of four check-ins a day, in the larger (JSON) format.
    rows = MAX_IMPORT_ROWS - 1
    text = _export(rows, "json")
    assert len(text.encode()) <= MAX_IMPORT_BYTES
    assert len(load_diary(text, "json")[0][1]) == rows


@pytest.fixture
def diary(tmp_path: Path, fake_backcare: Backcare) -> Iterator[tuple[Diary, int]]:
    store = SqlDiaryStore(f"sqlite:///{tmp_path / 'diary.db'}")
    user, _ = store.add_user("ada", maintainer=False, now=AT)
    yield Diary(store, fake_backcare.triage), user.id
    store.close()


def test_import_file_reads_no_more_than_the_limit(
    diary: tuple[Diary, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, user_id = diary
    file = tmp_path / "big.json"
    file.write_text(_export(50, "json"), encoding="utf-8")
    monkeypatch.setattr(Diary, "max_import_bytes", 1000)
    with pytest.raises(DiaryFormatError, match="over the limit of 1,000 bytes"):
        service.import_file(user_id, file, "json")
    assert service.store.episodes(user_id) == []


def test_import_file_says_where_it_is_not_utf8(diary: tuple[Diary, int], tmp_path: Path) -> None:
    service, user_id = diary
    file = tmp_path / "latin1.csv"
    file.write_bytes(b"episode,onset\r\n1,caf\xe9\r\n")
    with pytest.raises(DiaryFormatError, match="byte 20 is not UTF-8"):
        service.import_file(user_id, file, "csv")


def test_the_cli_refuses_a_file_over_the_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKCARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BACKCARE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        file = tmp_path / "diary.csv"
        file.write_text(_export(10, "csv"), encoding="utf-8")
        monkeypatch.setattr(Diary, "max_import_rows", 5)
        result = CliRunner().invoke(
            app, env={"COLUMNS": "500"}, args=["diary", "import", str(file)]
        )
        assert result.exit_code == 2
        assert "more than 5 episodes and check-ins" in result.stderr
        monkeypatch.setattr(Diary, "max_import_rows", MAX_IMPORT_ROWS)
        monkeypatch.setattr(Diary, "max_import_bytes", 100)
        result = CliRunner().invoke(
            app, env={"COLUMNS": "500"}, args=["diary", "import", str(file)]
        )
        assert result.exit_code == 2 and "over the limit of 100 bytes" in result.stderr
        result = CliRunner().invoke(app, env={"COLUMNS": "500"}, args=["diary", "export"])
        assert json.loads(result.stdout)["episodes"] == [], "nothing was added"
        result = CliRunner().invoke(
            app, env={"COLUMNS": "500"}, args=["diary", "import", str(tmp_path / "missing.csv")]
        )
        assert result.exit_code == 2 and "no such file" in result.stderr
    finally:
        get_settings.cache_clear()


class TestTheApi:
    @pytest.fixture
    def client(
        self, fake_backcare: Backcare, tmp_path: Path
    ) -> Iterator[tuple[TestClient, dict[str, str]]]:
        store = SqlDiaryStore(f"sqlite:///{tmp_path / 'diary.db'}")
        _, token = store.add_user("ada", maintainer=False, now=AT)
        with TestClient(create_app(fake_backcare, diary=store)) as http:
            yield http, {"authorization": f"Bearer {token}", "content-type": "text/csv"}
        store.close()

    def test_an_export_larger_than_other_bodies_imports(
        self, client: tuple[TestClient, dict[str, str]]
    ) -> None:
        http, headers = client
        text = _export(1000, "csv")
        assert len(text.encode()) > 64_000  # the limit of every other body
        response = http.post("/v1/diary/import", content=text.encode(), headers=headers)
        assert response.status_code == 201, response.text
        assert response.json() == {"episodes": 1, "checkins": 1000}
        other = http.post("/v1/feedback", content=b"x" * 70_000, headers=headers)
        assert other.status_code == 413

    def test_a_body_over_the_import_limit_is_413(
        self, client: tuple[TestClient, dict[str, str]]
    ) -> None:
        http, headers = client
        response = http.post(
            "/v1/diary/import", content=b"x" * (MAX_IMPORT_BYTES + 1), headers=headers
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"
        assert f"{MAX_IMPORT_BYTES:,} bytes" in response.json()["error"]["message"]

    def test_too_many_rows_is_a_clear_422(
        self, client: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        http, headers = client
        monkeypatch.setattr(Diary, "max_import_rows", 5)
        response = http.post(
            "/v1/diary/import", content=_export(10, "csv").encode(), headers=headers
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_diary_file" and "more than 5" in error["message"]
        exported = http.get("/v1/diary/export", headers=headers).json()
        assert exported["episodes"] == []
