"""Diary export and import: CSV and JSON round-trip exactly, and bad files say where."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcare import (
    CheckIn,
    DiaryError,
    DiaryFormatError,
    Episode,
    NewCheckIn,
    NewEpisode,
    SqlDiaryStore,
)
from backcare.diary import dump_diary, load_diary
from tests.diary.backends import NOW

FORMATS = ["csv", "json"]

_times = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5, minutes=-30))]),
)
_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\t\n\r"),
    max_size=40,
)
_tag = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters=";"),
    min_size=1,
    max_size=12,
)


@st.composite
def _diaries(draw: st.DrawFn) -> list[tuple[Episode, list[CheckIn]]]:
    diary = []
    for episode_id in range(1, draw(st.integers(0, 3)) + 1):
        onset = draw(_times)
        ended = draw(st.booleans())
        end = onset + dt.timedelta(days=draw(st.integers(0, 90))) if ended else None
        episode = Episode(id=episode_id, onset=onset, end=end, note=draw(_text))
        checkins = [
            CheckIn(
                id=episode_id * 100 + n,
                episode_id=episode_id,
                at=draw(_times),
                pain=draw(st.integers(0, 10)),
                where=tuple(draw(st.lists(_tag, max_size=3))),
                triggers=tuple(draw(st.lists(_tag, max_size=2))),
                helped=tuple(draw(st.lists(_tag, max_size=2))),
                notes=draw(_text),
            )
            for n in range(draw(st.integers(0, 3)))
        ]
        diary.append((episode, checkins))
    return diary


def _plain(diary: list[tuple[Episode, list[CheckIn]]]) -> list[tuple[NewEpisode, list[NewCheckIn]]]:
    """What an export keeps: no ids, check-ins in time order, times as instants."""
    ordered = sorted(diary, key=lambda item: (item[0].onset, item[0].id))
    return [
        (
            NewEpisode.model_validate(episode.model_dump(exclude={"id"})),
            [
                NewCheckIn.model_validate(c.model_dump(exclude={"id", "episode_id"}))
                for c in sorted(checkins, key=lambda c: (c.at, c.id))
            ],
        )
        for episode, checkins in ordered
    ]


@pytest.mark.parametrize("format", FORMATS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(diary=_diaries())
def test_any_diary_round_trips(format: str, diary: list[tuple[Episode, list[CheckIn]]]) -> None:
    text = dump_diary(diary, format)
    loaded = load_diary(text, format)
    assert [(e, list(c)) for e, c in loaded] == _plain(diary)
    renumbered = [
        (
            Episode(id=i, **episode.model_dump()),
            [CheckIn(id=j, episode_id=i, **c.model_dump()) for j, c in enumerate(checkins)],
        )
        for i, (episode, checkins) in enumerate(loaded, start=1)
    ]
    assert dump_diary(renumbered, format) == text


@pytest.mark.parametrize("format", FORMATS)
def test_export_then_import_round_trips_a_stored_diary(
    diary_store: SqlDiaryStore, format: str
) -> None:
    alice, _ = diary_store.add_user("alice", maintainer=False, now=NOW)
    bob, _ = diary_store.add_user("bob", maintainer=False, now=NOW)
    old = diary_store.start_episode(
        alice.id, NewEpisode(onset=NOW - dt.timedelta(days=200), end=NOW - dt.timedelta(days=190))
    )
    diary_store.add_checkin(
        alice.id,
        old.id,
        NewCheckIn(
            at=NOW - dt.timedelta(days=199),
            pain=8,
            where=("lower back",),
            triggers=("lifting", "cold"),
            helped=("heat",),
            notes='said "ouch", then:\nline two, with a comma',
        ),
    )
    diary_store.start_episode(alice.id, NewEpisode(onset=NOW - dt.timedelta(days=2), note="é ü 🙂"))

    def export(user_id: int) -> str:
        episodes = diary_store.episodes(user_id)
        checkins = diary_store.checkins(user_id)
        return dump_diary(
            [(e, [c for c in checkins if c.episode_id == e.id]) for e in episodes], format
        )

    text = export(alice.id)
    assert diary_store.import_episodes(bob.id, load_diary(text, format)) == (2, 1)
    assert export(bob.id) == text
    assert len(diary_store.episodes(alice.id)) == 2, "the source diary is unchanged"


def test_the_json_file_is_documented_and_readable() -> None:
    episode = Episode(id=7, onset=NOW, end=None, note="")
    document = json.loads(dump_diary([(episode, [])], "json"))
    assert document == {
        "format": "backcare-diary",
        "version": 1,
        "episodes": [
            {"onset": "2026-11-28T09:30:00+00:00", "end": None, "note": "", "checkins": []}
        ],
    }


def test_the_csv_has_one_row_per_checkin_and_a_row_for_an_empty_episode() -> None:
    first = Episode(id=1, onset=NOW, end=None, note="")
    second = Episode(id=2, onset=NOW + dt.timedelta(days=1), end=None, note="")
    checkins = [
        CheckIn(id=n, episode_id=1, at=NOW, pain=n, where=("a", "b c")) for n in range(1, 3)
    ]
    lines = dump_diary([(first, checkins), (second, [])], "csv").splitlines()
    assert lines[0] == "episode,onset,end,episode_note,at,pain,where,triggers,helped,notes"
    assert len(lines) == 4
    assert lines[1].split(",")[:7] == [
        "1",
        "2026-11-28T09:30:00+00:00",
        "",
        "",
        "2026-11-28T09:30:00+00:00",
        "1",
        "a; b c",
    ]
    assert lines[3].startswith("2,2026-11-29T09:30:00+00:00,,,,")


@pytest.mark.parametrize(
    "format, text, match",
    [
        ("json", "{", "not valid JSON"),
        ("json", '{"episodes": []}', "not a backcare diary export"),
        ("json", '{"format": "backcare-diary", "version": 2}', "version"),
        (
            "json",
            '{"format": "backcare-diary", "version": 1, "episodes": [{"onset": "2026-01-01"}]}',
            "episodes.0.onset",
        ),
        ("csv", "", "line 1"),
        ("csv", "a,b\n1,2\n", "line 1"),
        (
            "csv",
            "episode,onset,end,episode_note,at,pain,where,triggers,helped,notes\n"
            "1,2026-11-01T00:00:00+00:00,,,2026-11-02T00:00:00+00:00,11,,,,\n",
            "line 2: pain",
        ),
        (
            "csv",
            "episode,onset,end,episode_note,at,pain,where,triggers,helped,notes\n"
            "1,2026-11-01T00:00:00+00:00,,,,,,,,\n"
            "1,2026-11-03T00:00:00+00:00,,,,,,,,\n",
            "line 3: episode 1 has another onset",
        ),
        (
            "csv",
            "episode,onset,end,episode_note,at,pain,where,triggers,helped,notes\n1,2\n",
            "line 2: 2 columns",
        ),
    ],
)
def test_bad_files_say_what_and_where(format: str, text: str, match: str) -> None:
    with pytest.raises(DiaryFormatError, match=match):
        load_diary(text, format)


def test_a_failed_import_adds_nothing(diary_store: SqlDiaryStore) -> None:
    user = diary_store.local_user(now=NOW)
    good = NewEpisode(onset=NOW)
    bad = NewCheckIn.model_construct(at=NOW, pain=99, where=(), triggers=(), helped=(), notes="")
    with pytest.raises(DiaryError):  # the database's own check refuses pain 99
        diary_store.import_episodes(user.id, [(good, []), (good, [bad])])
    assert diary_store.episodes(user.id) == []
