"""Statutory deadlines for each stage, from the profile's timescales and the bank holidays."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

from intake.calendar import WorkingCalendar
from models import DeadlineKind, PolicyProfile
from models.policy import Period

DeadlineSpec = tuple[str, date, date, int]


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def add_period(cal: WorkingCalendar, start: date, period: Period) -> date:
    if period.unit == "working_days":
        return cal.add_working_days(start, period.amount)
    if period.unit == "days":
        return start + timedelta(days=period.amount)
    if period.unit == "weeks":
        return start + timedelta(weeks=period.amount)
    return add_months(start, period.amount)


def _stage(cal: WorkingCalendar, received: date, acknowledged: date, acknowledge_wd: int,
           respond_wd: int, respond_from: str) -> list[DeadlineSpec]:
    """Acknowledge within N working days of receipt; respond within M of ack (or receipt)."""
    respond_start = acknowledged if respond_from == "acknowledgement" else received
    return [
        (DeadlineKind.ACKNOWLEDGE.value, received,
         cal.add_working_days(received, acknowledge_wd), acknowledge_wd),
        (DeadlineKind.RESPOND.value, respond_start,
         cal.add_working_days(respond_start, respond_wd), respond_wd),
    ]


def stage1(profile: PolicyProfile, cal: WorkingCalendar, received: date,
           acknowledged: date) -> list[DeadlineSpec]:
    t = profile.timescales
    return _stage(cal, received, acknowledged, t.stage1_acknowledge_wd, t.stage1_respond_wd,
                  t.stage1_respond_from)


def stage2(profile: PolicyProfile, cal: WorkingCalendar, requested: date,
           acknowledged: date) -> list[DeadlineSpec]:
    t = profile.timescales
    return _stage(cal, requested, acknowledged, t.stage2_acknowledge_wd, t.stage2_respond_wd,
                  t.stage2_respond_from)


def escalation_open_until(profile: PolicyProfile, cal: WorkingCalendar,
                          responded: date) -> date:
    return add_period(cal, responded, profile.timescales.escalation_window)
