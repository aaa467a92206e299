"""The day-by-day care plan and its iCalendar export, with the clock frozen by argument."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest

from backcare.careplan import care_plan_to_ics, make_care_plan
from backcare.errors import CarePlanError
from backcare.knowledge.rules import load_careplan, load_red_flags
from backcare.model import CarePlanTable, RedFlagRules, Source, TriageLevel
from backcare.triage import triage

CONTENT = Path(__file__).resolve().parents[1] / "content"
SOURCES = {n: Source(title=f"source {n}", url=f"https://example.org/{n}") for n in range(1, 44)}
ONSET = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def table() -> CarePlanTable:
    return load_careplan(CONTENT / "careplan.yaml", SOURCES)


@pytest.fixture(scope="module")
def rules() -> RedFlagRules:
    return load_red_flags(CONTENT / "red_flags.yaml", SOURCES)


@pytest.mark.parametrize(
    ("days_since", "phase"),
    [
        (0, "first_72_hours"),
        (2, "first_72_hours"),
        (3, "days_3_to_14"),
        (13, "days_3_to_14"),
        (14, "weeks_2_to_6"),
        (41, "weeks_2_to_6"),
        (42, "after_6_weeks"),
        (400, "after_6_weeks"),
    ],
)
def test_phase_by_elapsed_days(table: CarePlanTable, days_since: int, phase: str) -> None:
    today = ONSET + dt.timedelta(days=days_since)
    plan = make_care_plan(ONSET, today, table)
    assert plan.day == days_since
    assert plan.current_phase == phase
    assert next(day for day in plan.days if day.date == today).phase_id == phase


def test_plan_from_a_fresh_spasm(table: CarePlanTable) -> None:
    plan = make_care_plan(ONSET, NOW, table)
    assert plan.today == dt.date(2026, 11, 22)
    assert not plan.suppressed and plan.triage is None
    assert plan.headline == table.headline
    # day-by-day over six weeks from onset, each in its phase
    assert plan.days[0].date == ONSET and plan.days[0].day == 0
    assert len(plan.days) == 42
    assert [day.date for day in plan.days] == [ONSET + dt.timedelta(days=n) for n in range(42)]
    # phases carry dates; the last one is open-ended
    assert [(p.start_date, p.end_date) for p in plan.phases] == [
        (dt.date(2026, 11, 20), dt.date(2026, 11, 22)),
        (dt.date(2026, 11, 23), dt.date(2026, 12, 3)),
        (dt.date(2026, 12, 4), dt.date(2026, 12, 31)),
        (dt.date(2027, 1, 1), None),
    ]
    # no improvement by about four weeks: see a doctor
    assert plan.see_doctor_by == dt.date(2026, 12, 18)
    # check-ins from today on only (day 1 has passed)
    assert plan.checkins == tuple(ONSET + dt.timedelta(days=n) for n in (3, 7, 14, 21, 28, 42))
    assert {day.date for day in plan.days if day.checkin} == set(plan.checkins) - {
        dt.date(2027, 1, 1)
    }
    assert [day.date for day in plan.days if day.see_doctor] == [plan.see_doctor_by]


def test_now_may_be_a_date_or_a_datetime(table: CarePlanTable) -> None:
    assert make_care_plan(ONSET, NOW, table) == make_care_plan(ONSET, NOW.date(), table)


def test_heat_and_cold_evidence_is_stated_honestly(table: CarePlanTable) -> None:
    first = make_care_plan(ONSET, ONSET, table).phases[0]
    text = " ".join(first.do)
    assert "Heat has the better evidence" in text
    assert "Cold has not been properly tested" in text
    assert "not something shown to work" in text  # alternating
    assert "pillow between them" in text  # sleep position
    assert "as on the label" in text and "pharmacist" in text  # pain-relief cautions
    assert "bed for days slows recovery" in text


def test_future_onset_is_rejected(table: CarePlanTable) -> None:
    with pytest.raises(CarePlanError, match="after today"):
        make_care_plan(dt.date(2026, 11, 23), NOW, table)


def test_negative_age_is_rejected(table: CarePlanTable) -> None:
    with pytest.raises(CarePlanError, match="age"):
        make_care_plan(ONSET, NOW, table, age=-1)


def test_emergency_suppresses_the_plan(table: CarePlanTable, rules: RedFlagRules) -> None:
    result = triage("my back went and now I can't pee", rules)
    plan = make_care_plan(ONSET, NOW, table, triage=result)
    assert plan.suppressed
    assert plan.phases == () and plan.days == () and plan.checkins == ()
    assert plan.current_phase is None
    assert plan.headline.startswith("This could be an emergency: call 999")
    assert plan.see_doctor_by == NOW.date()
    assert plan.notes == (table.emergency_note,)
    with pytest.raises(CarePlanError, match="emergency"):
        care_plan_to_ics(plan, now=NOW)


def test_urgent_heads_the_plan_and_means_today(table: CarePlanTable, rules: RedFlagRules) -> None:
    result = triage("back pain with a fever of 38.5", rules)
    assert result.level is TriageLevel.URGENT
    plan = make_care_plan(ONSET, NOW, table, triage=result)
    assert not plan.suppressed and plan.phases
    assert plan.headline == result.message
    assert plan.see_doctor_by == NOW.date()


def test_doctor_level_brings_the_date_forward(table: CarePlanTable, rules: RedFlagRules) -> None:
    result = triage("shooting pain down to my calf", rules)
    assert result.level is TriageLevel.DOCTOR
    plan = make_care_plan(ONSET, NOW, table, triage=result)
    assert plan.see_doctor_by == NOW.date() + dt.timedelta(days=7)
    assert plan.headline.startswith("Book a routine appointment")


def test_self_care_triage_keeps_the_table_headline(
    table: CarePlanTable, rules: RedFlagRules
) -> None:
    result = triage("no numbness, my back is just stiff", rules)
    plan = make_care_plan(ONSET, NOW, table, triage=result)
    assert plan.headline == table.headline and plan.triage == result


def test_long_after_onset_the_plan_starts_today(table: CarePlanTable) -> None:
    today = ONSET + dt.timedelta(days=60)
    plan = make_care_plan(ONSET, today, table)
    assert plan.days[0].date == today
    assert len(plan.days) == 7
    assert plan.see_doctor_by == today  # four weeks have passed: book now if not better
    assert plan.checkins == (today + dt.timedelta(days=7),)


@pytest.mark.parametrize(
    ("age", "note_words", "see_doctor_within"),
    [
        (14, "Under 16", 7),
        (18, "under 20", None),
        (40, None, None),
        (55, "over 50", None),
        (68, "From 65", None),
        (76, "Over 70", None),
    ],
)
def test_age_notes(
    table: CarePlanTable, age: int, note_words: str | None, see_doctor_within: int | None
) -> None:
    plan = make_care_plan(ONSET, NOW, table, age=age)
    if note_words is None:
        assert plan.notes == ()
    else:
        assert any(note_words in note for note in plan.notes)
    if see_doctor_within is not None:
        assert plan.see_doctor_by == NOW.date() + dt.timedelta(days=see_doctor_within)


def test_ics_validates_and_holds_every_reminder(table: CarePlanTable) -> None:
    plan = make_care_plan(ONSET, NOW, table)
    text = care_plan_to_ics(plan, now=NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert len(events) == len(plan.checkins) + 1
    starts = [event.decoded("DTSTART") for event in events]
    assert starts == [*plan.checkins, plan.see_doctor_by]
    for event in events:
        assert event.decoded("DTSTAMP") == NOW
        assert event["UID"].endswith("@backcare.care-plan")
        assert event.walk("VALARM")
    assert "GP" in str(events[-1]["SUMMARY"])


def test_ics_uids_are_stable_across_runs(table: CarePlanTable) -> None:
    later = NOW + dt.timedelta(days=1)
    first = icalendar.Calendar.from_ical(
        care_plan_to_ics(make_care_plan(ONSET, NOW, table), now=NOW)
    )
    second = icalendar.Calendar.from_ical(
        care_plan_to_ics(make_care_plan(ONSET, later, table), now=later)
    )
    uids_first = {str(event["UID"]) for event in first.walk("VEVENT")}
    uids_second = {str(event["UID"]) for event in second.walk("VEVENT")}
    assert uids_second <= uids_first
    assert "2026-11-20-see-doctor@backcare.care-plan" in uids_first


def test_ics_naive_now_is_utc(table: CarePlanTable) -> None:
    plan = make_care_plan(ONSET, NOW, table)
    naive = care_plan_to_ics(plan, now=NOW.replace(tzinfo=None))
    assert naive == care_plan_to_ics(plan, now=NOW)
