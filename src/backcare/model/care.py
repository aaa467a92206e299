"""Care-plan types: the pack's care timeline and one person's day-by-day plan."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from backcare.model.base import Frozen
from backcare.model.entries import Source
from backcare.model.triage import TriageResult

__all__ = [
    "AgeNote",
    "CarePhase",
    "CarePlan",
    "CarePlanDay",
    "CarePlanPhase",
    "CarePlanTable",
]


class CarePhase(Frozen):
    """One phase of the care timeline (``content/careplan.yaml``), counted in days since onset.

    ``end_day`` is the last day of the phase (inclusive); ``None`` means open-ended.
    ``focus`` is the one line shown on each day of the phase.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    start_day: int = Field(ge=0)
    end_day: int | None = Field(default=None, ge=0)
    focus: str = Field(min_length=1)
    do: tuple[str, ...] = Field(min_length=1)
    expect: tuple[str, ...] = Field(min_length=1)
    escalate: tuple[str, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()


class AgeNote(Frozen):
    """Advice added to a care plan for ages in ``[min_age, max_age]``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min_age: int = Field(default=0, ge=0)
    max_age: int = Field(default=130, le=130)
    text: str = Field(min_length=1)
    see_doctor_within_days: int | None = Field(default=None, ge=0)


class CarePlanTable(Frozen):
    """The care-timeline table of a pack: phases, check-in days and texts."""

    phases: tuple[CarePhase, ...] = Field(min_length=1)
    checkin_days: tuple[int, ...] = Field(min_length=1)
    see_doctor_after_days: int = Field(ge=1)
    doctor_within_days: int = Field(ge=0)
    horizon_days: int = Field(ge=1)
    headline: str = Field(min_length=1)
    emergency_note: str = Field(min_length=1)
    checkin_text: str = Field(min_length=1)
    see_doctor_text: str = Field(min_length=1)
    age_notes: tuple[AgeNote, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> CarePlanTable:
        expected = 0
        for index, phase in enumerate(self.phases):
            if phase.start_day != expected:
                raise ValueError(
                    f"phase '{phase.id}' starts on day {phase.start_day}; expected {expected} "
                    "(phases must follow each other without gaps)"
                )
            last = index == len(self.phases) - 1
            if phase.end_day is None:
                if not last:
                    raise ValueError(f"only the last phase may be open-ended, not '{phase.id}'")
                break
            if phase.end_day < phase.start_day:
                raise ValueError(f"phase '{phase.id}' ends before it starts")
            expected = phase.end_day + 1
        else:
            raise ValueError("the last phase must be open-ended (end_day: null)")
        if any(day < 0 for day in self.checkin_days):
            raise ValueError("checkin_days must be 0 or more")
        return self


class CarePlanPhase(CarePhase):
    """A phase of one person's plan, with its dates (``end_date`` None: open-ended)."""

    start_date: dt.date
    end_date: dt.date | None


class CarePlanDay(Frozen):
    """One day of a care plan: its date, day number since onset and focus."""

    date: dt.date
    day: int
    phase_id: str
    focus: str
    checkin: bool = False
    see_doctor: bool = False


class CarePlan(Frozen):
    """A day-by-day self-care plan from an onset date, led by triage.

    When triage found an emergency, ``suppressed`` is true and the plan holds
    no phases, days or check-ins: the headline says to get help now.
    """

    onset: dt.date
    today: dt.date
    day: int
    current_phase: str | None
    headline: str
    triage: TriageResult | None = None
    suppressed: bool = False
    phases: tuple[CarePlanPhase, ...] = ()
    days: tuple[CarePlanDay, ...] = ()
    see_doctor_by: dt.date
    checkins: tuple[dt.date, ...] = ()
    notes: tuple[str, ...] = ()
    checkin_text: str = ""
    see_doctor_text: str = ""
