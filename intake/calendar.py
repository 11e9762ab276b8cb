"""Working days: Monday to Friday less the bank holidays of the landlord's nation.

Deadlines are data (profile timescales) applied to this calendar, never constants in code
(invariant 5). The `holidays` package knows each UK nation's bank holidays, including the
one-off ones (coronations, jubilees) that hand-written tables miss.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

# ISO 3166-2 subdivisions the holidays package uses for the UK nations.
_SUBDIVISION = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


@lru_cache(maxsize=8)
def _bank_holidays(nation: str) -> holidays.HolidayBase:
    try:
        subdiv = _SUBDIVISION[nation]
    except KeyError:
        raise ValueError(f"unknown nation {nation!r}; use one of {sorted(_SUBDIVISION)}") from None
    return holidays.country_holidays("GB", subdiv=subdiv)


class WorkingCalendar:
    """Counts working days for one nation; `local_date` turns instants into UK dates."""

    def __init__(self, nation: str = "england") -> None:
        self.nation = nation
        self._holidays = _bank_holidays(nation)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def holiday_name(self, day: date) -> str | None:
        name = self._holidays.get(day)
        return str(name) if name else None

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself never counts).

        A complaint received on a Saturday and given 5 working days is due on the Friday after,
        since counting begins with the next working day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    @staticmethod
    def local_date(instant: datetime) -> date:
        """The UK calendar date of an instant (a message at 23:30 UTC in summer is tomorrow)."""
        return instant.astimezone(LONDON).date()
