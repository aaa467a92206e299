"""Warnings read from a diary: red flags in notes, no improvement, rising pain, recurrence.

Pure: episodes, check-ins, the time now and a triage function in; warnings
out, most urgent first. Triage is passed in because the diary may not import
it (docs/architecture.md section 2). Each warning names its rule and lists the data behind it.

The rules and where their numbers come from:

- ``red_flag``: a check-in note that triage puts above self-care (the pack's
  red-flag rules, NICE NG59 and the NHS back-pain pages).
- ``not_improving``: an open episode at least 4 weeks old whose latest pain is
  not at least 30% below its worst in the first week, or one 6 weeks old with
  no check-ins to show it is improving. The NHS advises seeing a GP when back
  pain has not improved after a few weeks of home treatment, and back pain
  that lasts beyond 6 weeks is no longer acute (NICE NG59); 30% is the
  smallest fall in pain people count as a real improvement (Ostelo et al.,
  Spine 2008;33:90-94).
- ``pain_rising``: the last three check-ins of an open episode never fall and
  rise by 2 points or more in all, the smallest change on the 0-10 scale that
  matters (Ostelo 2008; Farrar et al., Pain 2001;94:149-158).
- ``recurrence``: a third episode (or more) starting within 12 months. About
  seven in ten people have another episode within a year (da Silva et al.,
  J Physiother 2019;65:159-165), and exercise with education lowers that risk
  (Steffens et al., JAMA Intern Med 2016;176:199-208), so a physiotherapist
  is worth seeing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from backcare.errors import QueryError
from backcare.model import CheckIn, DiaryWarning, Episode, TriageLevel, TriageResult

__all__ = [
    "IMPROVEMENT_SHARE",
    "NOT_IMPROVING_DAYS",
    "NO_DATA_DAYS",
    "RECURRENCE_EPISODES",
    "RECURRENCE_WINDOW_DAYS",
    "RISE_POINTS",
    "diary_warnings",
]

NOT_IMPROVING_DAYS = 28
NO_DATA_DAYS = 42
IMPROVEMENT_SHARE = 0.3
RISE_POINTS = 2
RISE_CHECKINS = 3
RECURRENCE_EPISODES = 3
RECURRENCE_WINDOW_DAYS = 365
_FIRST_WEEK = dt.timedelta(days=7)
_RULE_ORDER = {"red_flag": 0, "not_improving": 1, "pain_rising": 2, "recurrence": 3}


def diary_warnings(
    episodes: Sequence[Episode],
    checkins: Sequence[CheckIn],
    *,
    now: dt.datetime,
    triage: Callable[[str], TriageResult],
) -> list[DiaryWarning]:
    """Every warning the diary supports as of ``now``, most urgent first.

    Args:
        episodes: one person's episodes.
        checkins: their check-ins (of any of ``episodes``).
        now: the time to judge from (aware).
        triage: red-flag triage of one note (e.g. ``backcare.triage_text`` with a pack).
    """
    by_episode: dict[int, list[CheckIn]] = {episode.id: [] for episode in episodes}
    for checkin in sorted(checkins, key=lambda c: (c.at, c.id)):
        by_episode.setdefault(checkin.episode_id, []).append(checkin)
    found: list[DiaryWarning] = []
    found += _red_flags(checkins, triage)
    for episode in episodes:
        if episode.end is None:
            found += _not_improving(episode, by_episode[episode.id], now)
            found += _pain_rising(episode, by_episode[episode.id])
    found += _recurrence(episodes, now)
    return sorted(found, key=lambda w: (-w.level.rank, _RULE_ORDER[w.rule], w.episode_ids))


def _red_flags(
    checkins: Sequence[CheckIn], triage: Callable[[str], TriageResult]
) -> list[DiaryWarning]:
    found = []
    for checkin in sorted(checkins, key=lambda c: (c.at, c.id)):
        if not checkin.notes.strip():
            continue
        try:
            result = triage(checkin.notes)
        except QueryError:
            continue  # a note triage cannot read (e.g. only punctuation) has no flags
        if result.level is TriageLevel.SELF_CARE:
            continue
        evidence = tuple(
            f"“{flag.evidence}” ({flag.id}, {flag.level.value}) in the note of {_when(checkin.at)}"
            for flag in result.flags
        )
        found.append(
            DiaryWarning(
                rule="red_flag",
                level=result.level,
                message=result.message,
                evidence=evidence,
                episode_ids=(checkin.episode_id,),
                checkin_ids=(checkin.id,),
                flags=result.flags,
            )
        )
    return found


def _not_improving(
    episode: Episode, checkins: Sequence[CheckIn], now: dt.datetime
) -> list[DiaryWarning]:
    days = (now - episode.onset).days
    if days < NOT_IMPROVING_DAYS:
        return []
    started = f"episode {episode.id} began on {_day(episode.onset)}, {days} days ago, and is open"
    if not checkins:
        if days < NO_DATA_DAYS:
            return []
        return [
            DiaryWarning(
                rule="not_improving",
                level=TriageLevel.DOCTOR,
                message=(
                    "This episode has lasted over 6 weeks and the diary has no check-ins to "
                    "show it getting better: see a GP or physiotherapist."
                ),
                evidence=(started, "no check-ins in this episode"),
                episode_ids=(episode.id,),
            )
        ]
    first_week = [c for c in checkins if c.at - episode.onset <= _FIRST_WEEK] or [checkins[0]]
    early = max(first_week, key=lambda c: (c.pain, -c.id))
    latest = checkins[-1]
    if latest.pain <= 1 or latest.pain <= early.pain * (1 - IMPROVEMENT_SHARE):
        return []
    return [
        DiaryWarning(
            rule="not_improving",
            level=TriageLevel.DOCTOR,
            message=(
                f"After {days // 7} weeks your pain has not fallen by a third or more: "
                "see a GP or physiotherapist to check what is going on."
            ),
            evidence=(
                started,
                f"worst pain early on: {early.pain}/10 on {_when(early.at)}",
                f"latest pain: {latest.pain}/10 on {_when(latest.at)}",
                f"an improvement needs a fall of at least {IMPROVEMENT_SHARE:.0%}",
            ),
            episode_ids=(episode.id,),
            checkin_ids=(early.id, latest.id),
        )
    ]


def _pain_rising(episode: Episode, checkins: Sequence[CheckIn]) -> list[DiaryWarning]:
    last = list(checkins[-RISE_CHECKINS:])
    if len(last) < RISE_CHECKINS:
        return []
    steady = all(later.pain >= earlier.pain for earlier, later in zip(last, last[1:], strict=False))
    if not steady or last[-1].pain - last[0].pain < RISE_POINTS:
        return []
    return [
        DiaryWarning(
            rule="pain_rising",
            level=TriageLevel.DOCTOR,
            message=(
                "Your pain has gone up over your last check-ins: if it keeps rising or "
                "stops you moving, see a GP."
            ),
            evidence=tuple(f"pain {c.pain}/10 on {_when(c.at)}" for c in last),
            episode_ids=(episode.id,),
            checkin_ids=tuple(c.id for c in last),
        )
    ]


def _recurrence(episodes: Sequence[Episode], now: dt.datetime) -> list[DiaryWarning]:
    since = now - dt.timedelta(days=RECURRENCE_WINDOW_DAYS)
    recent = sorted((e for e in episodes if since < e.onset <= now), key=lambda e: e.onset)
    if len(recent) < RECURRENCE_EPISODES:
        return []
    return [
        DiaryWarning(
            rule="recurrence",
            level=TriageLevel.DOCTOR,
            message=(
                f"This is episode {len(recent)} in 12 months. A physiotherapist can help find "
                "what sets them off; exercise and advice make new episodes less likely."
            ),
            evidence=tuple(f"episode {e.id} began on {_day(e.onset)}" for e in recent),
            episode_ids=tuple(e.id for e in recent),
        )
    ]


def _day(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d")


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
