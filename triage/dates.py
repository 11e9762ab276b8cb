"""Find when the problem happened or started, relative to when the message arrived.

Residents rarely write a full date. They write "back in March 2024", "two years ago", "since
last winter", "18 months" or "on the 3rd", and all of those only mean something relative to
`received_at`. Every expression found becomes a `DateMention`; the incident date is the
earliest plausible one (the start of the problem), ignoring dates of birth, how long someone
has been a tenant, and anything after the message arrived.

Conventions (docs/labelling-guide.md): a month without a day is the 1st ("March 2024" ->
2024-03-01), a year alone is 1 January, a season is the 1st of its first month (winter ->
1 December, spring -> 1 March, summer -> 1 June, autumn -> 1 September), Easter -> 1 April.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "a couple of": 2, "couple of": 2,
    "a few": 3, "few": 3, "several": 3, "a number of": 3,
}
_MONTHS: dict[str, int] = {}
for _i, _name in enumerate(calendar.month_name):
    if _name:
        _MONTHS[_name.lower()] = _i
        _MONTHS[_name.lower()[:3]] = _i
_MONTHS["sept"] = 9
_SEASONS: dict[str, int] = {"winter": 12, "spring": 3, "summer": 6, "autumn": 9, "fall": 9}
_WEEKDAYS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.day_name)}
for _day, _i in list(_WEEKDAYS.items()):
    _WEEKDAYS[_day[:3]] = _i
_WEEKDAYS["tues"] = 1
_WEEKDAYS["thurs"] = 3
_FESTIVALS: dict[str, tuple[int, int]] = {
    "christmas": (12, 25), "xmas": (12, 25), "new year": (1, 1), "new years": (1, 1),
    "new year's": (1, 1), "new year's eve": (12, 31), "new years eve": (12, 31),
    "new year eve": (12, 31), "bonfire night": (11, 5), "easter": (4, 1),
    "halloween": (10, 31), "boxing day": (12, 26),
}

_NUM = (r"(?P<num>\d{1,3}|a couple of|couple of|a few|a number of|several|an|a|one|two|three|"
        r"four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
        r"seventeen|eighteen|nineteen|twenty|thirty)")
_UNIT = r"(?P<unit>day|week|month|year|yr)s?"
_HALF = r"(?P<half>\s+and\s+a\s+half)?"
_MONTH = (r"(?P<month>january|february|march|april|may|june|july|august|september|october|"
          r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_AGO = re.compile(rf"\b{_NUM}\s+{_UNIT}{_HALF}\s+ago\b", re.I)
_HALF_YEAR_AGO = re.compile(r"\b(?:half\s+a\s+year|six\s+months)\s+ago\b", re.I)
_DURATION = re.compile(
    rf"\b(?P<lead>for|over|since|in|the\s+(?:last|past)|(?:for|over)\s+the\s+(?:last|past)|"
    rf"it'?s\s+been|been|nearly|almost|about|around|over|more\s+than)?\s*"
    rf"{_NUM}\s+(?P<unit>day|week|month|year|yr)s?{_HALF}\b(?!\s+(?:old|ago|later|time|"
    rf"tenancy|contract|warranty|guarantee|working|notice))",
    re.I,
)
_DATE_TEXT = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?)?{_MONTH}(?:\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\b)?"
    rf"(?:,?\s+{_YEAR})?\b(?P<rel>\s+(?:last|this)\s+year)?",
    re.I,
)
_DATE_NUMERIC = re.compile(
    r"\b(?P<d>[0-3]?\d)[/.\-](?P<m>[01]?\d)[/.\-](?P<y>(?:19|20)?\d\d)\b"
    r"|\b(?P<iy>(?:19|20)\d\d)-(?P<im>[01]\d)-(?P<id>[0-3]\d)\b"
)
_LAST_MONTH = re.compile(rf"\b(?P<which>last|this|past)\s+{_MONTH}\b", re.I)
_ORDINAL_DAY = re.compile(
    r"\b(?:on|since|from|until|by)\s+(?:the\s+)?(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b"
    r"(?!\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|floor|time))",
    re.I,
)
_SEASON = re.compile(
    r"\b(?P<which>last|this|the|since|over\s+the|in\s+the|during\s+the)?\s*"
    r"(?P<season>winter|spring|summer|autumn)(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d\d))?\b",
    re.I,
)
_FESTIVAL = re.compile(
    r"\b(?P<which>last|this|since|before|after|over|at|from)?\s*"
    r"(?P<fest>christmas|xmas|new\s+year'?s?(?:\s+day|\s+eve)?|bonfire\s+night|easter|"
    r"halloween|boxing\s+day)(?:\s+(?P<year>(?:19|20)\d\d))?\b",
    re.I,
)
_YEAR_ONLY = re.compile(
    r"(?<![£$/\-\w])(?:(?P<lead>in|since|from|during|back\s+in|early|late|mid|end\s+of|"
    r"start\s+of)\s+)?(?:-\s*)?(?P<year>(?:199|20[0-3])\d)(?![/\-\d])\b"
    r"(?!\s*(?:people|pounds|homes|residents|tenants|properties|units|words))",
    re.I,
)
_FINANCIAL_YEAR = re.compile(r"(?<![\w/\-])(?P<year>20[0-3]\d)/(?P<next>\d\d)(?![/\-\d])")
_YEAR_AHEAD = re.compile(
    r"^\s*(?:and|to|until|till|-|–)\s+[a-z]+\.?\s+(?P<year>(?:19|20)\d\d)\b", re.I
)
_LOWER_MONTH_LEAD = re.compile(
    r"(?:in|since|from|until|till|of|early|late|mid|end\s+of|start\s+of|beginning\s+of|"
    r"last|this|before|after|back\s+in|during)\s+$",
    re.I,
)
_RELATIVE = re.compile(
    r"\b(?P<rel>yesterday|last\s+night|tonight|this\s+morning|this\s+afternoon|this\s+evening|"
    r"today|earlier\s+today|right\s+now|just\s+now|overnight|the\s+other\s+day|last\s+week|last\s+weekend|the\s+weekend|"
    r"last\s+month|last\s+year|the\s+year\s+before\s+last|a\s+year\s+ago|this\s+time\s+last\s+year|"
    r"(?:last|this\s+past|on|since)\s+(?:mon|tues?|wed(?:nes)?|thur?s?|fri|sat(?:ur)?|sun)"
    r"(?:day)?|(?:mon|tues|wednes|thurs|fri|satur|sun)day's)\b",
    re.I,
)
# Dates in these contexts describe a person or a tenancy, not the problem.
_EXCLUDE_BEFORE = re.compile(
    r"(?:d\.?o\.?b\.?|date\s+of\s+birth|born|birthday|tenant\s+(?:here\s+)?since|"
    r"lived\s+(?:here|there|in\s+\w+)?\s*(?:since|for)|living\s+here\s+(?:since|for)|"
    r"moved\s+in\s+(?:in|on)?|been\s+(?:a\s+)?tenant(?:s)?\s+(?:for|since)|"
    r"tenancy\s+(?:started|began)\s+(?:in|on)?|(?:he|she|they)\s+(?:is|are)|i\s+am|i'm|"
    r"tenant|tenants|lived\s+here|living\s+here|resident|moved\s+in|"
    r"act|regulations|order|aged|age|sent:|date:|on\s+\w+,|wrote:|within|in\s+the\s+next|next|"
    r"every|each|per|up\s+to|at\s+least\s+\d+|of\s+the)\s*[:,]?\s*$",
    re.I,
)
# "for 18 months", "been 9 years", "the last two weeks": a duration running up to now.
_UP_TO_NOW = re.compile(r"\b(?:for|been|past|last|now|since)\b[\w\s']{0,22}$")
# "2 years of damp", "3 years waiting", "2 years I ask": a duration that runs up to the message.
_ONGOING_AFTER = re.compile(
    r"^\s*(?:of\b|waiting\b|now\b|and\s+(?:still|counting)\b|"
    r"(?:i|we)\s*(?:'ve|have|am|are|ask|asking|keep)\b|i'm\b|we're\b)",
    re.I,
)
_EXCLUDE_AFTER = re.compile(r"^\s*(?:old\b|of\s+age\b|wrote:|at\s+\d)", re.I)
_FUTURE_LEAD = re.compile(
    r"(?:appointment|booked|book|booking|coming|come|due|visit|scheduled|until|by|next|"
    r"will|going\s+to|arranged|expected)\s+(?:for|on|in|back)?\s*(?:the\s+)?$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date expression: where it is, what it says, and the date it resolves to."""

    text: str
    start: int
    end: int
    value: date
    kind: str  # "point", "approximate", "duration", or "ongoing" (a duration up to now)


def _number(raw: str) -> int | None:
    raw = raw.lower().strip()
    if raw.isdigit():
        return int(raw)
    return _NUMBER_WORDS.get(re.sub(r"\s+", " ", raw))


def shift_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamping the day to the target month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_between(earlier: date, later: date) -> float:
    """Whole and fractional months from `earlier` to `later` (negative if reversed)."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    return months + (later.day - earlier.day) / 31.0


def _back(received: date, amount: float, unit: str) -> date | None:
    unit = unit.lower().rstrip("s")
    if unit in ("year", "yr"):
        return shift_months(received, -round(amount * 12))
    if unit == "month":
        return shift_months(received, -round(amount))
    if unit == "week":
        return received - timedelta(days=round(amount * 7))
    if unit == "day":
        return received - timedelta(days=round(amount))
    return None


def _latest_month(received: date, month: int, strictly_before: bool = False) -> date:
    """The 1st of the most recent `month` not after `received` (or strictly before its month)."""
    year = received.year
    if month > received.month or (strictly_before and month == received.month):
        year -= 1
    return date(year, month, 1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _excluded(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start]
    after = text[end : end + 12]
    return bool(_EXCLUDE_BEFORE.search(before) or _EXCLUDE_AFTER.match(after))


def _is_future_context(text: str, start: int) -> bool:
    return bool(_FUTURE_LEAD.search(text[max(0, start - 30) : start]))


def _resolve_text_date(match: re.Match[str], received: date, text: str) -> date | None:
    month_raw = match.group("month")
    has_number = bool(match.group("day") or match.group("day2") or match.group("year"))
    if month_raw.lower() in ("may", "march", "mar") and not has_number:
        lead_ok = bool(_LOWER_MONTH_LEAD.search(text[max(0, match.start() - 20) : match.start()]))
        if not lead_ok:
            return None  # the verbs "may" and "march"
    month = _MONTHS[month_raw.lower().rstrip(".")]
    day_raw = match.group("day") or match.group("day2")
    day = int(day_raw) if day_raw else 1
    if match.group("year"):
        return _safe_date(int(match.group("year")), month, day)
    ahead = _YEAR_AHEAD.match(text[match.end() : match.end() + 30])
    if ahead:  # "between April and June 2024": April shares June's year
        return _safe_date(int(ahead.group("year")), month, day)
    rel = (match.group("rel") or "").lower()
    if "last" in rel:
        return _safe_date(received.year - 1, month, day)
    if "this" in rel:
        return _safe_date(received.year, month, day)
    candidate = _safe_date(received.year, month, day)
    if candidate is None:
        return None
    if candidate > received:
        if _is_future_context(text, match.start()):
            return candidate
        return _safe_date(received.year - 1, month, day)
    return candidate


def _resolve_relative(phrase: str, received: date) -> date | None:
    low = re.sub(r"\s+", " ", phrase.lower())
    fixed = {
        "yesterday": 1, "last night": 1, "tonight": 0, "this morning": 0, "this afternoon": 0,
        "this evening": 0, "today": 0, "earlier today": 0, "right now": 0, "just now": 0,
        "overnight": 0, "the other day": 3, "last week": 7,
        "last weekend": (received.weekday() + 2) % 7 or 7,
        "the weekend": (received.weekday() + 2) % 7,
    }
    if low in fixed:
        return received - timedelta(days=fixed[low])
    if low == "last month":
        return shift_months(received, -1).replace(day=1)
    if low == "last year":
        return date(received.year - 1, 1, 1)
    if low == "the year before last":
        return date(received.year - 2, 1, 1)
    if low in ("a year ago", "this time last year"):
        return shift_months(received, -12)
    words = low.removesuffix("'s").split()
    name = words[-1].removesuffix("day")
    for key, weekday in _WEEKDAYS.items():
        if name == key or name == key.removesuffix("day") or words[-1] == key:
            delta = (received.weekday() - weekday) % 7
            if words[0] == "last" or delta == 0:
                delta = delta or 7
            return received - timedelta(days=delta)
    return None


def _resolve_season(season: str, which: str, year: int | None, received: date) -> date:
    month = _SEASONS[season.lower()]
    if year is not None:
        return date(year, month, 1)
    which = which.lower()
    start_this = date(received.year if month <= received.month else received.year - 1, month, 1)
    if which == "last":
        # The most recent season that has already ended: one year before if we are in it now.
        in_it = (received - start_this).days < 91
        return shift_months(start_this, -12) if in_it else start_this
    return start_this


def find_dates(text: str, received: date) -> list[DateMention]:
    """Every past date expression in the text, resolved against `received`, in text order."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, value: date | None, kind: str) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))  # excluded spans stay taken: no re-reading "DOB 1979"
        if _excluded(text, start, end):
            return
        found.append(DateMention(text[start:end].strip(), start, end, value, kind))

    for m in _DATE_NUMERIC.finditer(text):
        if m.group("iy"):
            value = _safe_date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        else:
            year = int(m.group("y"))
            year = year + 2000 if year < 100 else year
            value = _safe_date(year, int(m.group("m")), int(m.group("d")))
        add(m.start(), m.end(), value, "point")
    for m in _DATE_TEXT.finditer(text):
        add(m.start(), m.end(), _resolve_text_date(m, received, text), "point")
    for m in _LAST_MONTH.finditer(text):
        month = _MONTHS[m.group("month").lower().rstrip(".")]
        if m.group("which").lower() == "this":
            value = date(received.year, month, 1)
        else:
            value = _latest_month(received, month, strictly_before=True)
        add(m.start(), m.end(), value, "point")
    for m in _AGO.finditer(text):
        amount = _number(m.group("num"))
        if amount is not None:
            extra = 0.5 if m.group("half") else 0.0
            add(m.start(), m.end(), _back(received, amount + extra, m.group("unit")), "point")
    for m in _HALF_YEAR_AGO.finditer(text):
        add(m.start(), m.end(), shift_months(received, -6), "point")
    for m in _FESTIVAL.finditer(text):
        key = re.sub(r"\s+", " ", m.group("fest").lower())
        key = key.replace(" day", "") if key.startswith("new") else key
        month, day = _FESTIVALS.get(key, _FESTIVALS.get(key.rstrip("'s"), (1, 1)))
        if m.group("year"):
            value = _safe_date(int(m.group("year")), month, day)
        else:
            value = date(received.year, month, day)
            if value > received:
                value = date(received.year - 1, month, day)
        add(m.start("fest") if not m.group("which") else m.start(), m.end(), value, "approximate")
    for m in _SEASON.finditer(text):
        season_year = int(m.group("year")) if m.group("year") else None
        value = _resolve_season(m.group("season"), m.group("which") or "", season_year,
                                received)
        add(m.start("season") if not m.group("which") else m.start(), m.end(), value,
            "approximate")
    for m in _FINANCIAL_YEAR.finditer(text):
        if int(m.group("next")) == (int(m.group("year")) + 1) % 100:
            add(m.start(), m.end(), date(int(m.group("year")), 4, 1), "approximate")
    for m in _YEAR_ONLY.finditer(text):
        add(m.start(), m.end(), date(int(m.group("year")), 1, 1), "approximate")
    for m in _RELATIVE.finditer(text):
        add(m.start(), m.end(), _resolve_relative(m.group("rel"), received), "point")
    for m in _ORDINAL_DAY.finditer(text):
        day = int(m.group("day"))
        if not 1 <= day <= 31:
            continue
        value = _safe_date(received.year, received.month, day)
        if value is None or value > received:
            previous = shift_months(received.replace(day=1), -1)
            value = _safe_date(previous.year, previous.month, day)
        add(m.start(), m.end(), value, "point")
    for m in _DURATION.finditer(text):
        lead = (m.group("lead") or "").lower()
        if lead == "in" and _is_future_context(text, m.start()):
            continue
        amount = _number(m.group("num"))
        if amount is None or (m.group("num").lower() in ("a", "an") and not lead):
            continue
        unit = m.group("unit")
        if unit.lower().startswith("day") and amount > 400:
            continue
        extra = 0.5 if m.group("half") else 0.0
        before = text[max(0, m.start("num") - 30) : m.start("num")].lower()
        after = text[m.end() : m.end() + 20]
        kind = ("ongoing" if _UP_TO_NOW.search(before) or _ONGOING_AFTER.match(after)
                else "duration")
        add(m.start("num"), m.end(), _back(received, amount + extra, unit), kind)

    found = [d for d in found if d.value <= received and d.value.year >= received.year - 30]
    found.sort(key=lambda d: d.start)
    return found


def incident_date(mentions: list[DateMention]) -> DateMention | None:
    """The start of the problem: the earliest past date the message mentions."""
    if not mentions:
        return None
    return min(mentions, key=lambda d: (d.value, d.start))
