"""Report periods: "last month", "Q3 2026", "1 Jan - 31 Mar" as Hong Kong local date ranges.

Staff type these in chat and the API takes them as a query parameter, so both go through
``parse_period``; ``find_period`` picks the expression out of a longer sentence using the same
patterns, so whatever it returns ``parse_period`` can read. Every repetition in the patterns is
bounded or possessive (``\\s++``), so matching stays linear in the input length.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
EARLIEST = date(1990, 1, 1)  # not 2000: the CDNOW research data starts in 1997
MAX_YEARS = 20
MAX_INPUT = 200

ErrorCode = Literal["unparseable", "future", "reversed", "too_long", "too_old"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_MONTH_NO = {name[:3].lower(): i + 1 for i, name in enumerate(_MONTHS)}
_MAX_DAY = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_NUMBERS = {w: i + 1 for i, w in enumerate(("one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve"))}  # fmt: skip
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_STEP = {"day": (0, 1), "week": (0, 7), "month": (1, 0), "quarter": (3, 0), "year": (12, 0)}
_MIN_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 89, "year": 365}
_ONE = timedelta(days=1)
_DASH = " \u2013 "  # en dash, spaced: "1 Jan \u2013 31 Mar 2026"


class PeriodError(ValueError):
    """``message`` is for staff: it names what was wrong and quotes at most 60 characters."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message


def hk_today() -> date:
    """Today's date in Hong Kong, the ``today`` to pass to ``parse_period``."""
    return datetime.now(HONG_KONG).date()


def _add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` months, the day clamped to the month's length (31 Mar - 1 = 28 Feb)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _shift(d: date, kind: str, n: int) -> date:
    months, days = _STEP[kind]
    return _add_months(d, months * n) + timedelta(days=days * n)


def _unit_start(d: date, kind: str) -> date:
    if kind in ("day", "week"):
        return d - timedelta(days=d.weekday() if kind == "week" else 0)
    first = {"month": d.month, "quarter": d.month - (d.month - 1) % 3, "year": 1}[kind]
    return date(d.year, first, 1)


def _d(d: date, year: bool = True) -> str:
    return f"{d.day} {_MONTHS[d.month - 1][:3]}" + (f" {d.year}" if year else "")


def _unit_label(start: date, kind: str) -> str:
    # Labels are written so that parse_period reads them back as the same period.
    if kind == "week":
        return f"week of {_d(start)}"
    if kind == "month":
        return f"{_MONTHS[start.month - 1]} {start.year}"
    if kind == "quarter":
        return f"Q{(start.month + 2) // 3} {start.year}"
    return str(start.year) if kind == "year" else _d(start)


def _range_label(start: date, end: date) -> str:
    last = end - _ONE
    if start == last:
        return _d(start)
    if start.day == 1 and end.day == 1:  # whole months (or years): name them, not their days
        if start.month == 1 and end.month == 1:
            return str(start.year) if start.year == last.year else f"{start.year}{_DASH}{last.year}"
        if (start.year, start.month) == (last.year, last.month):
            return _unit_label(start, "month")
        first = _MONTHS[start.month - 1] + ("" if start.year == last.year else f" {start.year}")
        return f"{first}{_DASH}{_unit_label(last, 'month')}"
    return f"{_d(start, start.year != last.year)}{_DASH}{_d(last)}"


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive (HK local date)
    end: date  # the day after the last day, exclusive
    label: str
    kind: str  # "day" | "week" | "month" | "quarter" | "year" | "range"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period a growth figure compares with."""
        if self.kind not in _STEP:
            start = self.start - timedelta(days=self.days)
            return Period(start, self.start, _range_label(start, self.start), "range")
        start = _shift(self.start, self.kind, -1)
        if self.end == _shift(self.start, self.kind, 1):
            return Period(start, self.start, _unit_label(start, self.kind), self.kind)
        # To date: the same stretch of the previous unit. Through a month's end maps to
        # that month's end (Q1 to 29 Feb -> Q4 to 30 Nov); else _shift clamps (31 Mar -> 28 Feb).
        aligned = self.end.day == 1 and self.kind != "week"
        end = (
            _shift(self.end, self.kind, -1)
            if aligned
            else _shift(self.end - _ONE, self.kind, -1) + _ONE
        )
        end = min(end, self.start)
        return Period(start, end, _range_label(start, end), self.kind)

    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(), HONG_KONG).astimezone(UTC)

    def end_utc(self) -> datetime:
        return datetime.combine(self.end, time(), HONG_KONG).astimezone(UTC)

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end_inclusive": (self.end - _ONE).isoformat(),
                "label": self.label, "kind": self.kind}  # fmt: skip


@dataclass(frozen=True)
class _Point:
    """One side of a range, or a whole period: a day, month, quarter or year; maybe no year."""

    kind: str
    year: int | None
    month: int = 1
    day: int = 1

    def valid(self, year: int) -> bool:
        return self.day <= calendar.monthrange(year, self.month)[1]

    def span(self, year: int) -> tuple[date, date]:
        if not self.valid(year):
            name = f"{self.day} {_MONTHS[self.month - 1]} {year}"
            raise PeriodError("unparseable", f"There is no {name}.")
        start = date(year, self.month, self.day)
        return start, _shift(start, self.kind, 1)

    def recent_year(self, today: date) -> int:
        """The year given, else the most recent one in which this has started."""
        if self.year is not None:
            return self.year
        year = today.year
        while not self.valid(year) or date(year, self.month, self.day) > today:
            year -= 1  # at most 7 steps back (29 February)
        return year


_SP, _OSP = r"\s++", r"\s*+"  # possessive: whitespace is never given back, so no backtracking
_MON = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
        r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])")  # fmt: skip
_YEAR = r"(?P<y>(?:19|20|21)\d\d)(?!\d)"
_DAY = r"(?P<d>\d{1,2})(?!\d)(?:st|nd|rd|th)?(?![a-z])"
_DAY_POINTS = {
    "word": r"(?P<w>today|yesterday|tomorrow|now)(?![a-z])",
    "iso": rf"{_YEAR}[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}})(?!\d)",
    "dmy": rf"(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})(?:/{_YEAR})?(?![\d/])",  # day first, as in HK
    "day_mon": rf"{_DAY}(?:{_SP}|-)(?:of{_SP})?{_MON}(?:(?:,?{_SP}|-){_YEAR})?",
    "mon_day": rf"{_MON}{_SP}{_DAY}(?:,?{_SP}{_YEAR})?",
}
_POINTS = {
    **_DAY_POINTS,
    "iso_month": rf"{_YEAR}-(?P<m>\d{{1,2}})(?![\d-])",
    "year_q": rf"{_YEAR}{_OSP}[/-]?{_OSP}q(?P<q>\d{{1,2}})(?!\d)",  # before "year": longer
    "quarter": rf"q(?P<q>\d{{1,2}})(?!\d)(?:(?:{_SP}(?:of{_SP})?|{_OSP}[/-]{_OSP}){_YEAR})?",
    "ord_q": rf"(?P<o>first|second|third|fourth|fifth|\d(?:st|nd|rd|th)?)(?:{_SP}|-)quarter"
    rf"(?![a-z])(?:{_SP}(?:of{_SP})?{_YEAR})?",
    "month_no": rf"month{_SP}(?P<m>\d{{1,2}})(?!\d)(?:{_SP}(?:of{_SP})?{_YEAR})?",
    "month": rf"{_MON}(?:(?:{_SP}(?:of{_SP})?|-|/|,{_OSP}){_YEAR})?",
    "year": rf"(?:(?:the{_SP})?(?:calendar{_SP})?year{_SP})?{_YEAR}",
}
_FLAGS = re.IGNORECASE | re.ASCII
_POINT_RES = [(name, re.compile(p, _FLAGS)) for name, p in _POINTS.items()]


def _any(points: dict[str, str]) -> str:
    """The points as one group-free alternation, to embed (twice, in ranges) in bigger patterns."""
    return "(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", p) for p in points.values()) + ")"


# Staff type "last mth", "past 3 wks", "this yr"; _build reads them as the full unit.
_UNIT_ALIASES = {"wk": "week", "mth": "month", "qtr": "quarter", "yr": "year"}
_UNITS = "week|wk|month|mth|quarter|qtr|year|yr"


def _unit(group: str) -> str:
    return rf"(?P<{group}>{_UNITS})(?![a-z])"


_P = _any(_POINTS)
_SUFFIX = rf"(?:{_SP}(?:to(?:{_SP}|-)date|so{_SP}far))?"
_SEP = rf"(?:{_SP}(?:to|until|till|through|thru){_SP}|{_OSP}(?:-|\u2013|\u2014|\.\.){_OSP})"
_TOP = {
    "to_date": rf"(?:(?P<abbr>[wmqy])td|{_unit('u1')}(?:{_SP}|-)to(?:{_SP}|-)date"
    rf"|so{_SP}far{_SP}this{_SP}{_unit('u2')})",
    "relative": rf"(?P<rel>this|current|last|previous|prev|past|next){_SP}{_unit('unit')}"
    + _SUFFIX,
    "rolling": rf"(?P<rel>last|past|previous|trailing|next){_SP}"
    rf"(?P<n>\d{{1,6}}|{'|'.join(_NUMBERS)}){_SP}(?P<unit>day|{_UNITS})s?(?![a-z])",
    "rel_month": rf"(?P<rel>this|last|next){_SP}{_MON}{_SUFFIX}",
    "week_of": rf"week{_SP}(?:of|starting|beginning|commencing){_SP}(?P<p>{_any(_DAY_POINTS)})",
    # Before the ranges: "2026-Q3", "Jan-2026" are one period, not "2026" to "Q3".
    "single": rf"(?P<p>{_P}){_SUFFIX}",
    "between": rf"between{_SP}(?P<a>{_P})(?:{_SP}and{_SP}|{_SEP})(?P<b>{_P}){_SUFFIX}",
    "range": rf"(?:from{_SP})?(?P<a>{_P}){_SEP}(?P<b>{_P}){_SUFFIX}",
    "since": rf"(?:since|from|starting(?:{_SP}from)?){_SP}(?P<p>{_P})",
}
# What may follow a match in a sentence: not "2025-0001", "Q3x", "3/4/", "2025.5".
_PATTERNS = [(n, re.compile(p + r"(?![a-z0-9_/%$-]|[.,]\d)", _FLAGS)) for n, p in _TOP.items()]
_LEAD = re.compile(r"(?:(?:in|on|for|during|over|within|throughout|of)\s)?(?:the\s)?", _FLAGS)
_PAREN = re.compile(r"(?P<outer>[^()]*)\((?P<inner>[^()]+)\)")


def _point(text: str, today: date) -> _Point:
    m = next((m for _, rx in _POINT_RES if (m := rx.fullmatch(text))), None)
    if m is None:  # callers matched the same alternation, so this is only a safety net
        raise PeriodError("unparseable", f"I couldn't read {_quote(text)} as a date.")
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") else None
    if g.get("w"):
        d = today + _ONE * {"today": 0, "now": 0, "yesterday": -1, "tomorrow": 1}[g["w"].lower()]
        return _Point("day", d.year, d.month, d.day)
    if g.get("q") or g.get("o"):
        ordinal = (g.get("o") or "").lower()
        quarter = int(g.get("q") or _ORDINALS.get(ordinal) or ordinal[0])
        if not 1 <= quarter <= 4:
            raise PeriodError("unparseable", f"There is no Q{quarter}; quarters run from Q1 to Q4.")
        return _Point("quarter", year, 3 * quarter - 2)
    if not g.get("m") and not g.get("mon"):
        return _Point("year", year)
    month = int(g["m"]) if g.get("m") else _MONTH_NO[g["mon"][:3].lower()]
    if not 1 <= month <= 12:
        raise PeriodError("unparseable", f"There is no month {month}; months run from 1 to 12.")
    if not g.get("d"):
        return _Point("month", year, month)
    day = int(g["d"])
    if not 1 <= day <= _MAX_DAY[month - 1]:
        raise PeriodError("unparseable", f"There is no {day} {_MONTHS[month - 1]}.")
    return _Point("day", year, month, day)


def _range(a: _Point, b: _Point, today: date) -> tuple[date, date]:
    if a.year is None and b.year is None:  # this year, unless that would start in the future
        year = today.year if (a.month, a.day) <= (today.month, today.day) else today.year - 1
        ya = yb = year
    elif a.year is None:  # "1 Jan - 31 Mar 2026": the year at the end applies to both sides
        ya = yb = b.year  # type: ignore[assignment]
    elif b.year is None:  # "from 1 Dec 2025 to 31 Jan": the first such date after the start
        ya = a.year
        yb = ya if (b.month, b.day) >= (a.month, a.day) else ya + 1
    else:
        ya, yb = a.year, b.year
    start, end = a.span(ya)[0], b.span(yb)[1]
    if end <= start:
        raise PeriodError("reversed", f"That range ends on {_d(end - _ONE)}, before it starts "
                          f"on {_d(start)}.")  # fmt: skip
    return start, end


def _finish(start: date, end: date, kind: str, today: date, *, name: str = "",
            note: str = "") -> Period:  # fmt: skip
    """Check and clip a period; ``name`` is what to call it when clipped ("this year"),
    ``note`` a label prefix for periods that always end today ("last 30 days")."""
    full = _range_label(start, end) if kind == "range" else _unit_label(start, kind)
    if start > today:
        raise PeriodError("future", f"That period ({full}) starts after today ({_d(today)}).")
    if start < EARLIEST:
        raise PeriodError("too_old", f"That period ({full}) starts before {_d(EARLIEST)}; "
                          "there is no data that old.")  # fmt: skip
    clipped, end = end > today + _ONE, min(end, today + _ONE)
    if start < _add_months(end, -12 * MAX_YEARS):
        raise PeriodError("too_long", f"That period ({_range_label(start, end)}) is longer than "
                          f"{MAX_YEARS} years; please choose a shorter one.")  # fmt: skip
    if not (note or clipped):
        return Period(start, end, full, kind)
    label = f"{note or (name or full) + ' to date'} ({_range_label(start, end)})"
    return Period(start, end, label, kind)


def _build(name: str, m: re.Match[str], today: date) -> Period:
    g = {k: v.lower() for k, v in m.groupdict().items() if v}
    if name in ("to_date", "relative"):
        abbr = {"w": "week", "m": "month", "q": "quarter", "y": "year"}.get(g.get("abbr", ""))
        unit = abbr or g.get("unit") or g.get("u1") or g["u2"]
        unit = _UNIT_ALIASES.get(unit, unit)
        rel = g.get("rel", "this")
        step = 0 if rel in ("this", "current") else 1 if rel == "next" else -1
        start = _shift(_unit_start(today, unit), unit, step)
        return _finish(start, _shift(start, unit, 1), unit, today, name=f"this {unit}")
    if name == "rolling":
        n, unit = _NUMBERS.get(g["n"]) or int(g["n"]), _UNIT_ALIASES.get(g["unit"], g["unit"])
        if n < 1:
            raise PeriodError("unparseable", f"The number of {unit}s must be at least 1.")
        if n * _MIN_DAYS[unit] > 366 * MAX_YEARS:  # before any date arithmetic can overflow
            raise PeriodError("too_long", f"{n:,} {unit}s is longer than {MAX_YEARS} years; "
                              "please choose a shorter period.")  # fmt: skip
        if g["rel"] == "next":
            return _finish(today + _ONE, _shift(today + _ONE, unit, n), "range", today)
        start = _shift(today, unit, -n) + _ONE
        return _finish(start, today + _ONE, "range", today, note=f"last {n} {unit}{'s' * (n != 1)}")
    if name == "rel_month":
        month, rel = _MONTH_NO[g["mon"][:3]], g["rel"]
        year = today.year - (rel == "last" and month >= today.month)
        year += rel == "next" and month <= today.month
        return _finish(*_Point("month", year, month).span(year), "month", today)
    if name in ("between", "range"):
        return _finish(*_range(_point(m["a"], today), _point(m["b"], today), today), "range", today)
    point = _point(m["p"], today)
    start, end = point.span(point.recent_year(today))
    if name == "since":
        return _finish(start, today + _ONE, "range", today, note=f"since {_d(start)}")
    if name == "week_of":
        start = _unit_start(start, "week")
        return _finish(start, start + 7 * _ONE, "week", today)
    return _finish(start, end, point.kind, today)


def _quote(text: str) -> str:
    return f'"{text[:57]}…"' if len(text) > 60 else f'"{text}"'


def parse_period(text: str, *, today: date) -> Period:
    """The period ``text`` names, as Hong Kong dates relative to ``today``; else PeriodError."""
    if len(text) > MAX_INPUT:  # before any regex: a megabyte of input costs nothing
        raise PeriodError("unparseable", f"That period is too long to read; please keep it under "
                          f"{MAX_INPUT} characters.")  # fmt: skip
    if isinstance(today, datetime):
        today = today.astimezone(HONG_KONG).date()
    clean = " ".join(text.split()).rstrip(".!?,;: ")
    clean = clean[_LEAD.match(clean).end() :]  # type: ignore[union-attr]
    if not clean:
        raise PeriodError("unparseable", 'No period was given; try e.g. "last month" or "2025".')
    paren = _PAREN.fullmatch(clean)
    if paren:  # one of our own labels, "this year to date (1 Jan - 6 Dec 2026)": dates win
        inner = parse_period(paren["inner"], today=today)
        try:
            outer = parse_period(paren["outer"], today=today)
        except PeriodError:
            return inner
        return outer if (outer.start, outer.end) == (inner.start, inner.end) else inner
    for name, rx in _PATTERNS:
        m = rx.fullmatch(clean)
        if m:
            return _build(name, m, today)
    raise PeriodError("unparseable", f"I couldn't read {_quote(clean)} as a period; try e.g. "
                      f'"last month", "Q3 2026", "2025" or "1 Jan{_DASH}31 Mar 2026".')  # fmt: skip


# Heuristics for sentences only: "top 2025 customers" is a count, "May I see" is a verb.
_QUANTITY = frozenset(("top", "bottom", "first", "best", "worst", "over", "under", "above",
    "below", "than", "least", "most", "max", "min", "maximum", "minimum", "limit", "about",
    "around", "nearly", "almost", "exactly", "only", "hk", "hkd", "usd"))  # fmt: skip
_CONTEXT = frozenset(("in", "on", "of", "for", "during", "since", "from", "to", "until", "till",
    "through", "between", "and", "before", "after"))  # fmt: skip
_COUNTED = frozenset(("customers", "clients", "members", "people", "users", "records", "rows",
    "items", "units", "pieces", "pcs", "points", "dollars", "hkd", "products", "skus"))  # fmt: skip
_WORD_BEFORE = re.compile(r"([a-z]+)[^a-z]*$", _FLAGS)
_WORD_AFTER = re.compile(r"[^a-z]*([a-z]+)", _FLAGS)
_BARE_DMY = re.compile(r"\d{1,2}/\d{1,2}")


def _plausible(name: str, m: re.Match[str], text: str) -> bool:
    if m.start() and re.match(r"[a-z0-9_$#/.-]", text[m.start() - 1], _FLAGS):
        return False  # inside "CMP-2025-0001", "#2025", "HK$2000", "x/2025"
    before = _WORD_BEFORE.search(text, max(0, m.start() - 30), m.start())
    after = _WORD_AFTER.match(text, m.end(), m.end() + 30)
    prev, following = (w.group(1).lower() if w else "" for w in (before, after))
    if m.group()[0].isdigit() and prev in _QUANTITY:
        return False
    if name != "single":
        return True
    point = m["p"].lower()
    if point == "may" or _BARE_DMY.fullmatch(point):
        return prev in _CONTEXT
    return point != "now" and not (point[0].isdigit() and following in _COUNTED)


def find_period(text: str) -> str | None:
    """The period expression in a sentence (the earliest, then the longest), or None."""
    best: tuple[int, int, str] | None = None
    for name, rx in _PATTERNS:
        m = rx.search(text)
        while m and not _plausible(name, m, text):  # "top 10 march": retry inside the match
            m = rx.search(text, m.start() + 1)
        if m and (best is None or (m.start(), -len(m.group())) < best[:2]):
            best = (m.start(), -len(m.group()), m.group())
    return best[2] if best else None
