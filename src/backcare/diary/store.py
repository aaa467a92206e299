"""The ``DiaryStore`` protocol: what the service and the shells need from diary storage.

Every method that touches diary rows takes the ``user_id`` they belong to and
never sees another user's rows: a row of someone else is "not found", exactly
like a row that does not exist, so ids do not leak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from backcare.model import CheckIn, Episode, EpisodePatch, NewCheckIn, NewEpisode, User

__all__ = ["DiaryStore", "EpisodeRecord"]

EpisodeRecord = tuple[NewEpisode, Sequence[NewCheckIn]]
"""An episode with its check-ins, as an export file holds them (no ids)."""


class DiaryStore(Protocol):
    """Episodes, check-ins and users, each diary row owned by one user."""

    # ---- users

    def add_user(self, name: str, *, maintainer: bool, now: dt.datetime) -> tuple[User, str]:
        """Create a user and return it with its bearer token (shown once, stored hashed).

        Raises:
            DiaryConflictError: the name is taken.
        """
        ...

    def local_user(self, *, now: dt.datetime) -> User:
        """The CLI's own user (created on first use); it has no token."""
        ...

    def authenticate(self, token: str) -> User | None:
        """The user a bearer token belongs to, or None."""
        ...

    def users(self) -> list[User]:
        """Every user, oldest first."""
        ...

    # ---- episodes

    def start_episode(self, user_id: int, episode: NewEpisode) -> Episode:
        """Store a new episode for ``user_id``."""
        ...

    def episodes(self, user_id: int) -> list[Episode]:
        """The user's episodes, oldest onset first."""
        ...

    def episode(self, user_id: int, episode_id: int) -> Episode:
        """One of the user's episodes; ``EntryNotFoundError`` when it is not theirs."""
        ...

    def update_episode(self, user_id: int, episode_id: int, patch: EpisodePatch) -> Episode:
        """Change the fields set in ``patch``; ``EntryNotFoundError`` when not theirs."""
        ...

    def delete_episode(self, user_id: int, episode_id: int) -> None:
        """Delete an episode and its check-ins; ``EntryNotFoundError`` when not theirs."""
        ...

    # ---- check-ins

    def add_checkin(self, user_id: int, episode_id: int, checkin: NewCheckIn) -> CheckIn:
        """Store a check-in of one of the user's episodes (committed durably on return)."""
        ...

    def checkins(self, user_id: int, episode_id: int | None = None) -> list[CheckIn]:
        """The user's check-ins (of one episode, or all), oldest first."""
        ...

    # ---- bulk

    def import_episodes(self, user_id: int, records: Sequence[EpisodeRecord]) -> tuple[int, int]:
        """Add episodes with their check-ins in one transaction; returns (episodes, check-ins)."""
        ...

    def ping(self) -> None:
        """Raise ``StorageUnavailableError`` when the database cannot be reached."""
        ...

    def close(self) -> None:
        """Release the database connections."""
        ...
