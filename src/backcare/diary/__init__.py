"""Episode diary: episodes, check-ins and users, the warnings read from them, the service.

``SqlDiaryStore`` keeps the diary in SQLite (the default) or PostgreSQL, with
its schema under Alembic migrations; ``diary_warnings`` is pure; ``dump_diary``
and ``load_diary`` write and read the CSV and JSON exports; ``Diary``
(``service.py``) composes a store with triage for summaries, export and import.
"""

from backcare.diary.export import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, dump_diary, load_diary
from backcare.diary.service import Diary
from backcare.diary.sql import SqlDiaryStore
from backcare.diary.store import DiaryStore, EpisodeRecord
from backcare.diary.warnings import diary_warnings

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "Diary",
    "DiaryStore",
    "EpisodeRecord",
    "SqlDiaryStore",
    "diary_warnings",
    "dump_diary",
    "load_diary",
]
