"""The diary service: a store composed with triage, for warnings.

``Diary`` is what the CLI and the API call for anything beyond one row: a
summary with warnings, export and import. Plain reads and writes of rows go to
``Diary.store`` (a ``DiaryStore``), which already scopes every row to its user.

Triage is passed in as a function (``Backcare.triage``, or ``triage_text`` bound
to a pack), so the diary stays below the facade that owns triage
(docs/architecture.md, section 2).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from backcare.diary.export import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, dump_diary, load_diary
from backcare.diary.store import DiaryStore
from backcare.diary.warnings import diary_warnings
from backcare.errors import DiaryFormatError
from backcare.model import DiarySummary, EpisodeSummary, TriageResult

__all__ = ["Diary"]


class Diary:
    """A person's diary with its warnings, over any ``DiaryStore``.

    Args:
        store: where episodes and check-ins live.
        triage: reads a check-in note for red flags, e.g. ``Backcare.triage`` or
            ``functools.partial(triage_text, pack)`` (tests pass a stub).
    """

    max_import_bytes: ClassVar[int] = MAX_IMPORT_BYTES
    """The longest export ``import_text`` and ``import_file`` read, in bytes."""
    max_import_rows: ClassVar[int] = MAX_IMPORT_ROWS
    """The most episodes and check-ins, in all, one import adds."""

    def __init__(self, store: DiaryStore, triage: Callable[[str], TriageResult]) -> None:
        self.store = store
        self._triage = triage

    def summary(self, user_id: int, *, now: dt.datetime) -> DiarySummary:
        """Every episode with its pain course, the 12-month count and the warnings."""
        episodes = self.store.episodes(user_id)
        checkins = self.store.checkins(user_id)
        warnings = diary_warnings(episodes, checkins, now=now, triage=self._triage)
        rows = []
        for episode in episodes:
            own = [c for c in checkins if c.episode_id == episode.id]
            until = episode.end or now
            rows.append(
                EpisodeSummary(
                    episode=episode,
                    days=max(0, (until - episode.onset).days),
                    checkins=len(own),
                    first_pain=own[0].pain if own else None,
                    last_pain=own[-1].pain if own else None,
                    worst_pain=max(c.pain for c in own) if own else None,
                )
            )
        year_ago = now - dt.timedelta(days=365)
        open_ids = [episode.id for episode in episodes if episode.end is None]
        return DiarySummary(
            as_of=now,
            episodes=tuple(rows),
            episodes_last_12_months=sum(1 for e in episodes if year_ago < e.onset <= now),
            open_episode_id=open_ids[-1] if open_ids else None,
            warnings=tuple(warnings),
        )

    def export(self, user_id: int, format: str) -> str:
        """The user's whole diary as ``csv`` or ``json`` text (no ids)."""
        episodes = self.store.episodes(user_id)
        checkins = self.store.checkins(user_id)
        return dump_diary(
            [(e, [c for c in checkins if c.episode_id == e.id]) for e in episodes], format
        )

    def import_text(self, user_id: int, text: str, format: str) -> tuple[int, int]:
        """Add the episodes of an export to the user's diary; returns (episodes, check-ins).

        Raises:
            DiaryFormatError: the text is not a diary export, or is over
                ``max_import_bytes`` or ``max_import_rows`` (nothing is added).
        """
        loaded = load_diary(
            text, format, max_rows=self.max_import_rows, max_bytes=self.max_import_bytes
        )
        return self.store.import_episodes(user_id, loaded)

    def import_file(
        self, user_id: int, path: str | os.PathLike[str], format: str
    ) -> tuple[int, int]:
        """``import_text`` of a UTF-8 file (a BOM is allowed), read only up to the limit.

        Raises:
            DiaryFormatError: as ``import_text``, or the file is not UTF-8 text.
            OSError: the file cannot be read.
        """
        file = Path(path)
        with file.open("rb") as handle:
            data = handle.read(self.max_import_bytes + 1)
        if len(data) > self.max_import_bytes:
            raise DiaryFormatError(
                f"{file}: over the limit of {self.max_import_bytes:,} bytes for one import; "
                "split it into smaller files"
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DiaryFormatError(
                f"{file}: byte {exc.start:,} is not UTF-8; export the diary again"
            ) from exc
        return self.import_text(user_id, text, format)
