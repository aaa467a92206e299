"""The diary service (summary, export, import), with triage passed in."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from backcare import (
    Diary,
    EpisodePatch,
    KnowledgePack,
    NewCheckIn,
    NewEpisode,
    SqlDiaryStore,
    TriageResult,
    triage_text,
)

NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def _ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _triage(pack: KnowledgePack) -> functools.partial[TriageResult]:
    return functools.partial(triage_text, pack)


class TestSummary:
    def test_episodes_with_their_pain_course(self, pack: KnowledgePack) -> None:
        store = SqlDiaryStore("sqlite://")
        user = store.local_user(now=NOW)
        old = store.start_episode(user.id, NewEpisode(onset=_ago(400), end=_ago(390)))
        recent = store.start_episode(user.id, NewEpisode(onset=_ago(10)))
        for days, pain in ((9, 8), (5, 6), (1, 3)):
            store.add_checkin(user.id, recent.id, NewCheckIn(at=_ago(days), pain=pain))
        summary = Diary(store, _triage(pack)).summary(user.id, now=NOW)
        assert summary.as_of == NOW
        assert summary.episodes_last_12_months == 1
        assert summary.open_episode_id == recent.id
        first, second = summary.episodes
        assert (first.episode, first.days, first.checkins, first.first_pain) == (old, 10, 0, None)
        assert (second.days, second.checkins) == (10, 3)
        assert (second.first_pain, second.last_pain, second.worst_pain) == (8, 3, 8)
        assert summary.warnings == ()

    def test_notes_are_triaged_with_the_pack(self, pack: KnowledgePack) -> None:
        store = SqlDiaryStore("sqlite://")
        user = store.local_user(now=NOW)
        episode = store.start_episode(user.id, NewEpisode(onset=_ago(2)))
        note = "numb between my legs since this morning"
        store.add_checkin(user.id, episode.id, NewCheckIn(at=_ago(1), pain=5, notes=note))
        [warning] = Diary(store, _triage(pack)).summary(user.id, now=NOW).warnings
        assert warning.rule == "red_flag" and warning.level.value == "emergency"

    def test_triage_is_whatever_function_is_passed(self) -> None:
        store = SqlDiaryStore("sqlite://")
        user = store.local_user(now=NOW)
        episode = store.start_episode(user.id, NewEpisode(onset=_ago(2)))
        store.add_checkin(user.id, episode.id, NewCheckIn(at=_ago(1), pain=5, notes="anything"))
        seen: list[str] = []

        def triage(text: str) -> TriageResult:
            seen.append(text)
            return TriageResult()

        assert Diary(store, triage).summary(user.id, now=NOW).warnings == ()
        assert seen == ["anything"]


@pytest.mark.parametrize("format", ["csv", "json"])
def test_export_then_import_round_trips_through_the_service(
    pack: KnowledgePack, format: str
) -> None:
    store = SqlDiaryStore("sqlite://")
    diary = Diary(store, _triage(pack))
    me = store.local_user(now=NOW)
    other, _ = store.add_user("other", maintainer=False, now=NOW)
    episode = store.start_episode(me.id, NewEpisode(onset=_ago(30), note="moving house"))
    store.add_checkin(
        me.id, episode.id, NewCheckIn(at=_ago(29), pain=9, where=("lower back",), notes="ow")
    )
    store.update_episode(me.id, episode.id, EpisodePatch(end=_ago(20)))
    text = diary.export(me.id, format)
    assert diary.import_text(other.id, text, format) == (1, 1)
    assert diary.export(other.id, format) == text
