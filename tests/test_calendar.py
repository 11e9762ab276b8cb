"""Working days across Easter, Christmas and the nations' different bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake import deadlines
from intake.calendar import WorkingCalendar
from intake.profiles import load_profile


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 3, 31), 5, date(2026, 4, 9)),  # Good Friday 3 Apr, Easter Monday 6 Apr
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        (date(2026, 12, 23), 5, date(2027, 1, 4)),  # Christmas, Boxing Day (sub. Mon 28), New Year
        (date(2026, 11, 21), 5, date(2026, 11, 27)),  # received on a Saturday
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
        (date(2025, 5, 2), 1, date(2025, 5, 6)),  # early May bank holiday
    ],
)
def test_england_working_days(start: date, days: int, due: date) -> None:
    assert WorkingCalendar("england").add_working_days(start, days) == due


def test_nations_differ() -> None:
    # 2 January is a bank holiday in Scotland only; 17 March (St Patrick's) in Northern Ireland.
    assert WorkingCalendar("scotland").add_working_days(date(2026, 1, 1), 1) == date(2026, 1, 5)
    assert WorkingCalendar("england").add_working_days(date(2026, 1, 1), 1) == date(2026, 1, 2)
    assert WorkingCalendar("northern_ireland").add_working_days(date(2026, 3, 16), 1) == date(
        2026, 3, 18)
    assert WorkingCalendar("england").add_working_days(date(2026, 3, 16), 1) == date(2026, 3, 17)


def test_working_days_between_is_inverse() -> None:
    cal = WorkingCalendar()
    start = date(2026, 12, 18)
    for n in range(0, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_local_date_uses_uk_time() -> None:
    # 23:30 UTC on 30 June is already 1 July in London (BST).
    assert WorkingCalendar.local_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_stage_deadlines_follow_profile() -> None:
    cal = WorkingCalendar()
    hos = load_profile("hos-2024")
    specs = deadlines.stage1(hos, cal, date(2026, 12, 21), date(2026, 12, 22))
    assert specs[0][0] == "acknowledge" and specs[0][2] == date(2026, 12, 30)
    # respond: 10 working days from the acknowledgement on 22 Dec.
    assert specs[1][0] == "respond" and specs[1][2] == date(2027, 1, 8)
    hpg = load_profile("hpg")  # hpg counts stage 1 from receipt, acknowledges in 2
    hpg_specs = deadlines.stage1(hpg, cal, date(2026, 12, 21), date(2026, 12, 22))
    assert hpg_specs[0][2] == date(2026, 12, 23)
    assert hpg_specs[1][1] == date(2026, 12, 21)


def test_add_months_clamps() -> None:
    assert deadlines.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert deadlines.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
