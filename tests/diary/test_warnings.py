"""diary_warnings: each rule fires on its data, names it, and stays quiet otherwise."""

from __future__ import annotations

import datetime as dt

import pytest

from backcare import (
    CheckIn,
    Episode,
    KnowledgePack,
    QueryError,
    TriageLevel,
    TriageResult,
    diary_warnings,
    triage_text,
)

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def _no_flags(text: str) -> TriageResult:
    return TriageResult()


def _episode(id: int, days_ago: float, *, ended_days_ago: float | None = None) -> Episode:
    end = None if ended_days_ago is None else NOW - dt.timedelta(days=ended_days_ago)
    return Episode(id=id, onset=NOW - dt.timedelta(days=days_ago), end=end)


def _checkins(episode: Episode, *pains: tuple[float, int], notes: str = "") -> list[CheckIn]:
    return [
        CheckIn(
            id=episode.id * 100 + index,
            episode_id=episode.id,
            at=episode.onset + dt.timedelta(days=day),
            pain=pain,
            notes=notes,
        )
        for index, (day, pain) in enumerate(pains)
    ]


def _rules(episodes: list[Episode], checkins: list[CheckIn]) -> list[str]:
    return [w.rule for w in diary_warnings(episodes, checkins, now=NOW, triage=_no_flags)]


class TestNotImproving:
    def test_four_weeks_without_a_third_less_pain(self) -> None:
        episode = _episode(1, 30)
        checkins = _checkins(episode, (1, 7), (3, 8), (29, 6))
        [warning] = diary_warnings([episode], checkins, now=NOW, triage=_no_flags)
        assert warning.rule == "not_improving" and warning.level is TriageLevel.DOCTOR
        assert warning.episode_ids == (1,)
        assert warning.checkin_ids == (101, 102), "worst of week one, and the latest"
        assert any("8/10" in line for line in warning.evidence)
        assert any("6/10" in line for line in warning.evidence)
        assert any("30 days ago" in line for line in warning.evidence)

    @pytest.mark.parametrize(
        "pains",
        [
            ((1, 8), (29, 5)),  # 37% less
            ((1, 3), (29, 1)),  # nearly gone
            ((1, 2), (29, 0)),
        ],
    )
    def test_quiet_when_the_pain_has_fallen(self, pains: tuple[tuple[int, int], ...]) -> None:
        episode = _episode(1, 30)
        assert _rules([episode], _checkins(episode, *pains)) == []

    def test_quiet_before_four_weeks_and_once_ended(self) -> None:
        young = _episode(1, 20)
        ended = _episode(2, 60, ended_days_ago=1)
        checkins = _checkins(young, (1, 8), (19, 8)) + _checkins(ended, (1, 8), (50, 8))
        assert _rules([young, ended], checkins) == []

    def test_six_weeks_without_any_checkins(self) -> None:
        assert _rules([_episode(1, 30)], []) == []
        [warning] = diary_warnings([_episode(1, 43)], [], now=NOW, triage=_no_flags)
        assert warning.rule == "not_improving"
        assert "no check-ins in this episode" in warning.evidence

    def test_without_first_week_data_the_first_checkin_is_the_baseline(self) -> None:
        episode = _episode(1, 40)
        assert _rules([episode], _checkins(episode, (10, 6), (39, 6))) == ["not_improving"]


class TestPainRising:
    def test_three_checkins_rising_by_two(self) -> None:
        episode = _episode(1, 5)
        checkins = _checkins(episode, (0, 3), (1, 4), (2, 4), (3, 6))
        [warning] = diary_warnings([episode], checkins, now=NOW, triage=_no_flags)
        assert warning.rule == "pain_rising"
        assert warning.checkin_ids == (101, 102, 103)
        assert [line.split(" on ")[0] for line in warning.evidence] == [
            "pain 4/10",
            "pain 4/10",
            "pain 6/10",
        ]

    @pytest.mark.parametrize(
        "pains",
        [
            ((0, 3), (1, 4)),  # too few
            ((0, 3), (1, 6), (2, 5)),  # fell at the end
            ((0, 4), (1, 4), (2, 5)),  # rose by one only
        ],
    )
    def test_quiet_otherwise(self, pains: tuple[tuple[int, int], ...]) -> None:
        episode = _episode(1, 5)
        assert _rules([episode], _checkins(episode, *pains)) == []


class TestRecurrence:
    def test_a_third_episode_within_twelve_months(self) -> None:
        episodes = [
            _episode(1, 300, ended_days_ago=290),
            _episode(2, 150, ended_days_ago=140),
            _episode(3, 2),
        ]
        [warning] = diary_warnings(episodes, [], now=NOW, triage=_no_flags)
        assert warning.rule == "recurrence" and warning.episode_ids == (1, 2, 3)
        assert "episode 3 in 12 months" in warning.message
        assert len(warning.evidence) == 3

    def test_quiet_when_one_is_older_than_a_year(self) -> None:
        episodes = [
            _episode(1, 400, ended_days_ago=390),
            _episode(2, 150, ended_days_ago=140),
            _episode(3, 2),
        ]
        assert _rules(episodes, []) == []


class TestRedFlags:
    def test_a_note_with_a_red_flag_is_a_warning_with_its_evidence(
        self, pack: KnowledgePack
    ) -> None:
        episode = _episode(1, 3)
        checkins = _checkins(episode, (1, 5), notes="since this morning I can't pee")
        checkins += _checkins(_episode(2, 3), (1, 5), notes="a bit stiff, no numbness")
        warnings = diary_warnings(
            [episode], checkins, now=NOW, triage=lambda text: triage_text(pack, text)
        )
        [warning] = warnings
        assert warning.rule == "red_flag" and warning.level is TriageLevel.EMERGENCY
        assert warning.checkin_ids == (100,)
        assert any("can't pee" in line for line in warning.evidence)
        assert warning.flags and warning.flags[0].evidence

    def test_unreadable_and_empty_notes_are_skipped(self) -> None:
        calls: list[str] = []

        def triage(text: str) -> TriageResult:
            calls.append(text)
            raise QueryError("empty_query", "nothing to read")

        episode = _episode(1, 3)
        checkins = _checkins(episode, (0, 3), notes="...") + _checkins(episode, (1, 3))
        assert diary_warnings([episode], checkins, now=NOW, triage=triage) == []
        assert calls == ["..."]


def test_the_most_urgent_warning_comes_first(pack: KnowledgePack) -> None:
    episodes = [
        _episode(1, 300, ended_days_ago=290),
        _episode(2, 150, ended_days_ago=140),
        _episode(3, 35),
    ]
    checkins = _checkins(episodes[2], (1, 7), (30, 7), (33, 7))
    flagged = CheckIn(id=999, episode_id=3, at=NOW, pain=9, notes="my legs are both weak and numb")
    checkins.append(flagged)
    warnings = diary_warnings(
        episodes, checkins, now=NOW, triage=lambda text: triage_text(pack, text)
    )
    assert [w.rule for w in warnings] == [
        "red_flag",
        "not_improving",
        "pain_rising",
        "recurrence",
    ]
    assert warnings[0].level.rank > warnings[1].level.rank
