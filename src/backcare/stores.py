"""Opening the diary and feedback stores on one database, in migration order.

Every shell that keeps data (``backcare serve``, ``backcare review``, ``ask``'s
rating and unanswered-question log, the diary commands) opens its stores here,
so the order is decided once: the diary first, then the feedback store. Each
runs its own Alembic migrations on open (``diary/migrations``,
``feedback/migrations``, with separate version tables); the diary's first
revision once created the feedback tables, and the feedback migrations adopt
them, so the diary going first is the order an older database was made in.
"""

from __future__ import annotations

from typing import NamedTuple

from backcare.diary import SqlDiaryStore
from backcare.feedback import SqlFeedbackStore

__all__ = ["Stores", "open_stores"]


class Stores(NamedTuple):
    """The diary and feedback stores of one database; ``close`` releases both."""

    diary: SqlDiaryStore
    feedback: SqlFeedbackStore

    def close(self) -> None:
        """Release both stores' database connections."""
        self.feedback.close()
        self.diary.close()


def open_stores(url: str) -> Stores:
    """Open (and migrate) the diary, then the feedback store, on the database at ``url``.

    Args:
        url: a SQLAlchemy URL (``Settings.database_url`` in the shells), e.g.
            ``sqlite:///path/backcare.db`` or ``postgresql+psycopg://...``.

    Raises:
        ConfigError: the URL is not valid or names an unsupported database.
        DiaryError: the diary cannot be opened or migrated.
        FeedbackError: the feedback store cannot be opened or migrated.
    """
    diary = SqlDiaryStore(url)
    try:
        feedback = SqlFeedbackStore(url)
    except BaseException:
        diary.close()
        raise
    return Stores(diary, feedback)
