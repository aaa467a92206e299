"""A care plan's reminders as a calendar file (iCalendar, RFC 5545).

Uses the ``icalendar`` package (a runtime dependency), imported on the first
export so that making a plan does not pay for it.
"""

from __future__ import annotations

import datetime as dt

from backcare.errors import CarePlanError
from backcare.model import CarePlan

__all__ = ["care_plan_to_ics"]

_PRODID = "-//backcare//care plan//EN"
_UID_DOMAIN = "backcare.care-plan"
_REMINDER_HOUR = 9  # all-day reminders go off at 09:00 on the day


def care_plan_to_ics(plan: CarePlan, *, now: dt.datetime) -> str:
    """The plan's reminders as iCalendar text (RFC 5545) a calendar app can import.

    One all-day event per check-in day and one for the see-a-doctor date, each
    with a 09:00 reminder. UIDs depend only on the onset and the event, so
    importing an updated plan replaces the old events instead of doubling them.

    Args:
        plan: a plan from ``make_care_plan``.
        now: the creation time stamped on each event (naive means UTC).

    Raises:
        CarePlanError: the plan is suppressed by an emergency (get help now
            instead of setting reminders).
    """
    from icalendar import Alarm, Calendar, Event

    if plan.suppressed:
        raise CarePlanError(
            "this care plan is on hold because triage found an emergency: get help now; "
            "there are no reminders to export"
        )
    stamp = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "backcare: back pain plan")
    events = [
        (
            f"checkin-{(day - plan.onset).days}",
            day,
            f"Back check-in (day {(day - plan.onset).days})",
            plan.checkin_text,
        )
        for day in plan.checkins
    ]
    events.append(
        (
            "see-doctor",
            plan.see_doctor_by,
            "See a GP or physio if your back is not improving",
            _see_doctor_description(plan),
        )
    )
    for key, day, summary, description in events:
        event = Event()
        event.add("uid", f"{plan.onset.isoformat()}-{key}@{_UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", summary)
        event.add("description", description)
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", dt.timedelta(hours=_REMINDER_HOUR))
        event.add_component(alarm)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical.decode("utf-8")


def _see_doctor_description(plan: CarePlan) -> str:
    # A flagged triage says why the date is early; otherwise the table's wording.
    if plan.triage is not None and plan.triage.flags:
        return f"{plan.see_doctor_text}\n\n{plan.triage.message}"
    return plan.see_doctor_text
