"""A day-by-day self-care plan from the day the back went.

Pure: the clock comes in as ``now``. The phases, check-in days and texts are
the pack's care table (``content/careplan.yaml``, each phase citing its sources).
Triage leads: an emergency puts the plan on hold; urgent and doctor levels
head it and bring the see-a-doctor date forward.
"""

from __future__ import annotations

import datetime as dt

from backcare.errors import CarePlanError
from backcare.model import (
    CarePhase,
    CarePlan,
    CarePlanDay,
    CarePlanPhase,
    CarePlanTable,
    TriageLevel,
    TriageResult,
)

__all__ = ["make_care_plan"]


def make_care_plan(
    onset: dt.date,
    now: dt.datetime | dt.date,
    table: CarePlanTable,
    *,
    age: int | None = None,
    triage: TriageResult | None = None,
) -> CarePlan:
    """Build the care plan for back pain that started on ``onset``.

    Args:
        onset: the day the back went (day 0).
        now: the current time or date (never read from the clock here).
        table: the pack's care table (``KnowledgePack.careplan``).
        age: the person's age, if known; adds age notes (NSAID caution from 65,
            a GP review under 16) and may bring the see-a-doctor date forward.
        triage: the triage of what the person wrote, if any.

    Returns:
        The plan. With an emergency triage it is suppressed: no phases, days
        or check-ins, and a headline that says to get help now.

    Raises:
        CarePlanError: ``onset`` is after today, or ``age`` is negative.
    """
    today = now.date() if isinstance(now, dt.datetime) else now
    if onset > today:
        raise CarePlanError(
            f"the onset date {onset.isoformat()} is after today ({today.isoformat()}); "
            "give the day the back pain started"
        )
    if age is not None and age < 0:
        raise CarePlanError(f"age must be 0 or more, not {age}")
    day = (today - onset).days
    level = triage.level if triage is not None else TriageLevel.SELF_CARE

    if triage is not None and level is TriageLevel.EMERGENCY:
        return CarePlan(
            onset=onset,
            today=today,
            day=day,
            current_phase=None,
            headline=triage.message,
            triage=triage,
            suppressed=True,
            see_doctor_by=today,
            notes=(table.emergency_note,),
        )

    notes = tuple(
        note for note in table.age_notes if age is not None and note.min_age <= age <= note.max_age
    )
    see_doctor_by = _see_doctor_by(
        onset, today, level, table, [n.see_doctor_within_days for n in notes]
    )
    phases = tuple(_dated_phase(phase, onset) for phase in table.phases)
    checkins = _checkins(onset, today, table)
    days = _days(onset, today, phases, set(checkins), see_doctor_by, table)
    headline = triage.message if triage is not None and triage.flags else table.headline
    return CarePlan(
        onset=onset,
        today=today,
        day=day,
        current_phase=_phase_on(day, phases).id,
        headline=headline,
        triage=triage,
        phases=phases,
        days=days,
        see_doctor_by=see_doctor_by,
        checkins=checkins,
        notes=tuple(note.text for note in notes),
        checkin_text=table.checkin_text,
        see_doctor_text=table.see_doctor_text,
    )


def _see_doctor_by(
    onset: dt.date,
    today: dt.date,
    level: TriageLevel,
    table: CarePlanTable,
    age_windows: list[int | None],
) -> dt.date:
    """The latest date to see a doctor if not improving, never before today."""
    candidates = [onset + dt.timedelta(days=table.see_doctor_after_days)]
    if level is TriageLevel.URGENT:
        candidates.append(today)
    elif level is TriageLevel.DOCTOR:
        candidates.append(today + dt.timedelta(days=table.doctor_within_days))
    candidates += [
        today + dt.timedelta(days=window) for window in age_windows if window is not None
    ]
    return max(today, min(candidates))


def _dated_phase(phase: CarePhase, onset: dt.date) -> CarePlanPhase:
    end = None if phase.end_day is None else onset + dt.timedelta(days=phase.end_day)
    return CarePlanPhase(
        **phase.model_dump(exclude={"sources"}),
        sources=phase.sources,
        start_date=onset + dt.timedelta(days=phase.start_day),
        end_date=end,
    )


def _phase_on(day: int, phases: tuple[CarePlanPhase, ...]) -> CarePlanPhase:
    for phase in phases:
        if phase.end_day is None or day <= phase.end_day:
            return phase
    return phases[-1]  # unreachable: the table's last phase is open-ended


def _checkins(onset: dt.date, today: dt.date, table: CarePlanTable) -> tuple[dt.date, ...]:
    """Check-in dates from today on; a week from today once the table's days have passed."""
    dates = sorted({onset + dt.timedelta(days=offset) for offset in table.checkin_days})
    upcoming = tuple(date for date in dates if date >= today)
    return upcoming or (today + dt.timedelta(days=7),)


def _days(
    onset: dt.date,
    today: dt.date,
    phases: tuple[CarePlanPhase, ...],
    checkins: set[dt.date],
    see_doctor_by: dt.date,
    table: CarePlanTable,
) -> tuple[CarePlanDay, ...]:
    """One entry a day: from onset over the table's horizon, or from today once past it."""
    day_now = (today - onset).days
    first = 0 if day_now < table.horizon_days else day_now
    last = max(table.horizon_days - 1, day_now + 6, (see_doctor_by - onset).days)
    days = []
    for number in range(first, last + 1):
        date = onset + dt.timedelta(days=number)
        phase = _phase_on(number, phases)
        days.append(
            CarePlanDay(
                date=date,
                day=number,
                phase_id=phase.id,
                focus=phase.focus,
                checkin=date in checkins,
                see_doctor=date == see_doctor_by,
            )
        )
    return tuple(days)
