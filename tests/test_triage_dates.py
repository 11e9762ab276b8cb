"""Incident dates are read relative to when the message arrived, across year boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from triage.dates import find_dates, incident_date, months_between, shift_months


def start_of(text: str, received: date) -> date | None:
    found = incident_date(find_dates(text, received))
    return found.value if found else None


@pytest.mark.parametrize(
    ("text", "received", "expected"),
    [
        ("Back in March 2024 the contractor broke my fence.", date(2026, 11, 2), date(2024, 3, 1)),
        ("This started two years ago.", date(2026, 11, 2), date(2024, 11, 2)),
        ("The leak began 18 months ago.", date(2026, 11, 2), date(2025, 5, 2)),
        ("I have had damp for 18 months now.", date(2026, 11, 2), date(2025, 5, 2)),
        ("The boiler broke on the 3rd.", date(2026, 11, 20), date(2026, 11, 3)),
        # "on the 28th" in early January is December of the previous year.
        ("The boiler broke on the 28th.", date(2027, 1, 5), date(2026, 12, 28)),
        # A month after received_at's month, without a year, is last year's.
        ("The fence came down in November.", date(2026, 2, 10), date(2025, 11, 1)),
        ("The fence came down in November.", date(2026, 12, 10), date(2026, 11, 1)),
        ("No heating since last winter.", date(2026, 11, 2), date(2025, 12, 1)),
        # In January, "last winter" is the winter before the current one.
        ("No heating since last winter.", date(2027, 1, 15), date(2025, 12, 1)),
        ("It happened on 12/10/2025.", date(2026, 1, 8), date(2025, 10, 12)),
        ("It has been like this since 2022.", date(2026, 1, 8), date(2022, 1, 1)),
        ("A couple of weeks ago the lift stopped.", date(2026, 1, 8), date(2025, 12, 25)),
        ("The leak started yesterday.", date(2026, 1, 1), date(2025, 12, 31)),
        ("It started last summer.", date(2026, 3, 1), date(2025, 6, 1)),
        ("The pipe burst over Christmas.", date(2026, 1, 4), date(2025, 12, 25)),
        ("Between April and June 2024 I was overcharged.", date(2026, 9, 1), date(2024, 4, 1)),
    ],
)
def test_incident_date_is_relative_to_received_at(text: str, received: date,
                                                  expected: date) -> None:
    assert start_of(text, received) == expected


def test_earliest_date_is_when_the_problem_started() -> None:
    text = "I first reported the mould on 2 February. A surveyor came on 20 March. Still nothing."
    assert start_of(text, date(2026, 6, 1)) == date(2026, 2, 2)


@pytest.mark.parametrize(
    "text",
    [
        "My date of birth is 04/07/1961 and the heating is off.",
        "DOB 14/02/1979. The heating is off.",
        "I may need a new key. You may call me.",
        "I have been a tenant since 2009 and the heating is off.",
        "My son is 6 years old and the window is broken.",
        "Please come within 10 working days.",
    ],
)
def test_dates_that_are_not_the_problem_are_ignored(text: str) -> None:
    assert start_of(text, date(2026, 6, 1)) is None


def test_future_dates_are_not_incidents() -> None:
    assert start_of("It was fine until the storm.", date(2026, 6, 1)) is None
    mentions = find_dates("The 3rd of December 2030 would suit me.", date(2026, 6, 1))
    assert mentions == []


def test_month_arithmetic_clamps_and_crosses_years() -> None:
    assert shift_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert shift_months(date(2026, 1, 15), -2) == date(2025, 11, 15)
    assert months_between(date(2025, 11, 2), date(2026, 11, 2)) == 12
