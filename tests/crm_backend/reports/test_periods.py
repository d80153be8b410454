"""Report periods: expressions to Hong Kong date ranges, errors, finding them in sentences."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crm_backend.reports.periods import (
    HONG_KONG,
    Period,
    PeriodError,
    find_period,
    hk_today,
    parse_period,
)

D = date
SUNDAY = D(2026, 12, 6)  # the usual "today": a Sunday in December
LEAP = D(2028, 2, 29)  # a Tuesday on a leap day
FEB = D(2026, 2, 15)  # a Sunday before March has started


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("today", D(2026, 12, 6), D(2026, 12, 7), "day"),
        ("yesterday", D(2026, 12, 5), D(2026, 12, 6), "day"),
        ("this week", D(2026, 11, 30), D(2026, 12, 7), "week"),
        ("last week", D(2026, 11, 23), D(2026, 11, 30), "week"),
        ("previous week", D(2026, 11, 23), D(2026, 11, 30), "week"),
        ("past week", D(2026, 11, 23), D(2026, 11, 30), "week"),
        ("this month", D(2026, 12, 1), D(2026, 12, 7), "month"),
        ("last month", D(2026, 11, 1), D(2026, 12, 1), "month"),
        ("this quarter", D(2026, 10, 1), D(2026, 12, 7), "quarter"),
        ("last quarter", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        # The abbreviations staff type.
        ("last mth", D(2026, 11, 1), D(2026, 12, 1), "month"),
        ("last qtr", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("this yr", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("last wk", D(2026, 11, 23), D(2026, 11, 30), "week"),
        ("past 2 wks", D(2026, 11, 23), D(2026, 12, 7), "range"),
        ("this year", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("last year", D(2025, 1, 1), D(2026, 1, 1), "year"),
        ("this month so far", D(2026, 12, 1), D(2026, 12, 7), "month"),
        ("month to date", D(2026, 12, 1), D(2026, 12, 7), "month"),
        ("MTD", D(2026, 12, 1), D(2026, 12, 7), "month"),
        ("year to date", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("year-to-date", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("YTD", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("so far this year", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("quarter to date", D(2026, 10, 1), D(2026, 12, 7), "quarter"),
        ("QTD", D(2026, 10, 1), D(2026, 12, 7), "quarter"),
        ("last 30 days", D(2026, 11, 7), D(2026, 12, 7), "range"),
        ("past 7 days", D(2026, 11, 30), D(2026, 12, 7), "range"),
        ("for the last 2 weeks", D(2026, 11, 23), D(2026, 12, 7), "range"),
        ("last 12 months", D(2025, 12, 7), D(2026, 12, 7), "range"),
        ("the past three months", D(2026, 9, 7), D(2026, 12, 7), "range"),
        ("last 1 day", D(2026, 12, 6), D(2026, 12, 7), "range"),
        ("March", D(2026, 3, 1), D(2026, 4, 1), "month"),
        ("Mar 2026", D(2026, 3, 1), D(2026, 4, 1), "month"),
        ("in March 2026", D(2026, 3, 1), D(2026, 4, 1), "month"),
        ("November 2025", D(2025, 11, 1), D(2025, 12, 1), "month"),
        ("sept 2025", D(2025, 9, 1), D(2025, 10, 1), "month"),
        ("2025-09", D(2025, 9, 1), D(2025, 10, 1), "month"),
        ("month 9 of 2025", D(2025, 9, 1), D(2025, 10, 1), "month"),
        ("December", D(2026, 12, 1), D(2026, 12, 7), "month"),
        ("last March", D(2026, 3, 1), D(2026, 4, 1), "month"),
        ("this March", D(2026, 3, 1), D(2026, 4, 1), "month"),
        ("Q3 2026", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("Q3", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("Q4", D(2026, 10, 1), D(2026, 12, 7), "quarter"),
        ("2026 Q3", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("2026-Q3", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("Q3/2026", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("third quarter", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("in the 3rd quarter of 2025", D(2025, 7, 1), D(2025, 10, 1), "quarter"),
        ("2025", D(2025, 1, 1), D(2026, 1, 1), "year"),
        ("in 2025", D(2025, 1, 1), D(2026, 1, 1), "year"),
        ("calendar year 2025", D(2025, 1, 1), D(2026, 1, 1), "year"),
        ("2026", D(2026, 1, 1), D(2026, 12, 7), "year"),
        ("1997", D(1997, 1, 1), D(1998, 1, 1), "year"),  # CDNOW research data
        ("between 1 Jan and 31 Mar", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("from 1 Jan 2026 to 31 Mar 2026", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("1 Jan - 31 Mar 2026", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("1 Jan \u2013 31 Mar 2026", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("Jan 1 to Mar 31", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("Jan 1st, 2025 through Mar 31st, 2025", D(2025, 1, 1), D(2025, 4, 1), "range"),
        ("2026-01-01..2026-03-31", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("2026-01-01 to 2026-03-31", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("1/1/2026-31/3/2026", D(2026, 1, 1), D(2026, 4, 1), "range"),
        ("3/2/2026 - 4/2/2026", D(2026, 2, 3), D(2026, 2, 5), "range"),  # day first
        ("between March and May", D(2026, 3, 1), D(2026, 6, 1), "range"),
        ("Dec 2025 - Feb 2026", D(2025, 12, 1), D(2026, 3, 1), "range"),
        ("from 1 Dec 2025 to 31 Jan", D(2025, 12, 1), D(2026, 2, 1), "range"),
        ("2024-2025", D(2024, 1, 1), D(2026, 1, 1), "range"),
        ("Q1 - Q3 2026", D(2026, 1, 1), D(2026, 10, 1), "range"),
        ("from 1 Nov to today", D(2026, 11, 1), D(2026, 12, 7), "range"),
        ("between 1 Nov and 31 Dec", D(2026, 11, 1), D(2026, 12, 7), "range"),  # clipped
        ("since March", D(2026, 3, 1), D(2026, 12, 7), "range"),
        ("since 1 Mar 2026", D(2026, 3, 1), D(2026, 12, 7), "range"),
        ("from 2026-03-01", D(2026, 3, 1), D(2026, 12, 7), "range"),
        ("since 2025", D(2025, 1, 1), D(2026, 12, 7), "range"),
        ("1 Dec 2026", D(2026, 12, 1), D(2026, 12, 2), "day"),
        ("2026-12-01", D(2026, 12, 1), D(2026, 12, 2), "day"),
        ("on 3 March", D(2026, 3, 3), D(2026, 3, 4), "day"),
        ("on the 3rd of March 2025", D(2025, 3, 3), D(2025, 3, 4), "day"),
        ("1/3", D(2026, 3, 1), D(2026, 3, 2), "day"),
        ("29 Feb", D(2024, 2, 29), D(2024, 3, 1), "day"),  # the latest 29 Feb
        ("week of 23 Nov 2026", D(2026, 11, 23), D(2026, 11, 30), "week"),
        ("week of 25 Nov 2026", D(2026, 11, 23), D(2026, 11, 30), "week"),  # its Monday
        # Case, spacing and trailing punctuation do not matter.
        ("  LAST   Month?! ", D(2026, 11, 1), D(2026, 12, 1), "month"),
        ("q3 2026.", D(2026, 7, 1), D(2026, 10, 1), "quarter"),
        ("Between 1 JAN and 31 mar", D(2026, 1, 1), D(2026, 4, 1), "range"),
    ],
)
def test_expressions_in_december(text: str, start: date, end: date, kind: str) -> None:
    period = parse_period(text, today=SUNDAY)
    assert (period.start, period.end, period.kind) == (start, end, kind)


@pytest.mark.parametrize(
    ("today", "text", "start", "end"),
    [
        (FEB, "March", D(2025, 3, 1), D(2025, 4, 1)),  # March has not started: last year's
        (FEB, "Q2", D(2025, 4, 1), D(2025, 7, 1)),
        (FEB, "Q1", D(2026, 1, 1), D(2026, 2, 16)),
        (FEB, "between March and May", D(2025, 3, 1), D(2025, 6, 1)),  # would start later
        (FEB, "between 1 Jan and 31 Mar", D(2026, 1, 1), D(2026, 2, 16)),
        (FEB, "since March", D(2025, 3, 1), D(2026, 2, 16)),
        (FEB, "last march", D(2025, 3, 1), D(2025, 4, 1)),
        (FEB, "this week", D(2026, 2, 9), D(2026, 2, 16)),  # Sunday: the whole week
        (LEAP, "this week", D(2028, 2, 28), D(2028, 3, 1)),
        (LEAP, "this month", D(2028, 2, 1), D(2028, 3, 1)),  # the last day: not clipped
        (LEAP, "29 Feb", D(2028, 2, 29), D(2028, 3, 1)),
        (LEAP, "last 12 months", D(2027, 3, 1), D(2028, 3, 1)),
        (LEAP, "last year", D(2027, 1, 1), D(2028, 1, 1)),
        (D(2026, 3, 31), "last 1 month", D(2026, 3, 1), D(2026, 4, 1)),
        (D(2026, 3, 30), "last month", D(2026, 2, 1), D(2026, 3, 1)),
        (D(2026, 1, 1), "last week", D(2025, 12, 22), D(2025, 12, 29)),  # a Thursday
        (D(2026, 1, 1), "Dec", D(2025, 12, 1), D(2026, 1, 1)),
    ],
)
def test_expressions_on_other_days(today: date, text: str, start: date, end: date) -> None:
    period = parse_period(text, today=today)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("last month", "November 2026"),
        ("last quarter", "Q3 2026"),
        ("2025", "2025"),
        ("last week", "week of 23 Nov 2026"),
        ("today", "6 Dec 2026"),
        ("this year", "this year to date (1 Jan \u2013 6 Dec 2026)"),
        ("YTD", "this year to date (1 Jan \u2013 6 Dec 2026)"),
        ("this month", "this month to date (1 Dec \u2013 6 Dec 2026)"),
        ("Q4", "Q4 2026 to date (1 Oct \u2013 6 Dec 2026)"),
        ("last 30 days", "last 30 days (7 Nov \u2013 6 Dec 2026)"),
        ("last 1 week", "last 1 week (30 Nov \u2013 6 Dec 2026)"),
        ("since 1 Mar 2026", "since 1 Mar 2026 (1 Mar \u2013 6 Dec 2026)"),
        ("between 2 Jan and 30 Mar", "2 Jan \u2013 30 Mar 2026"),
        ("15 Dec 2025 - 14 Jan 2026", "15 Dec 2025 \u2013 14 Jan 2026"),
        ("between March and May", "March \u2013 May 2026"),
        ("Dec 2025 - Feb 2026", "December 2025 \u2013 February 2026"),
        ("2024 to 2025", "2024 \u2013 2025"),
    ],
)
def test_labels(text: str, label: str) -> None:
    assert parse_period(text, today=SUNDAY).label == label


@pytest.mark.parametrize(
    ("today", "text", "start", "end"),
    [
        (SUNDAY, "last month", D(2026, 10, 1), D(2026, 11, 1)),
        (SUNDAY, "last quarter", D(2026, 4, 1), D(2026, 7, 1)),
        (SUNDAY, "last year", D(2024, 1, 1), D(2025, 1, 1)),
        (SUNDAY, "last week", D(2026, 11, 16), D(2026, 11, 23)),
        (SUNDAY, "today", D(2026, 12, 5), D(2026, 12, 6)),
        (SUNDAY, "this month", D(2026, 11, 1), D(2026, 11, 7)),  # 1-6 Dec -> 1-6 Nov
        (SUNDAY, "this year", D(2025, 1, 1), D(2025, 12, 7)),
        (SUNDAY, "this quarter", D(2026, 7, 1), D(2026, 9, 7)),
        (SUNDAY, "last 30 days", D(2026, 10, 8), D(2026, 11, 7)),
        (SUNDAY, "between 1 Jan and 31 Mar", D(2025, 10, 3), D(2026, 1, 1)),  # 90 days
        (D(2026, 12, 2), "this week", D(2026, 11, 23), D(2026, 11, 26)),  # Mon-Wed
        (LEAP, "this year", D(2027, 1, 1), D(2027, 3, 1)),  # to 29 Feb -> to 28 Feb
        (LEAP, "this quarter", D(2027, 10, 1), D(2027, 12, 1)),  # to a month's end
        (D(2026, 3, 30), "this month", D(2026, 2, 1), D(2026, 3, 1)),  # 30 Feb clamps
        (D(2026, 5, 31), "this quarter", D(2026, 1, 1), D(2026, 3, 1)),
    ],
)
def test_previous(today: date, text: str, start: date, end: date) -> None:
    previous = parse_period(text, today=today).previous()
    assert (previous.start, previous.end) == (start, end)


def test_utc_bounds_and_dict() -> None:
    period = parse_period("last month", today=SUNDAY)
    assert period.start_utc() == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert period.end_utc() == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert period.days == 30
    assert period.as_dict() == {
        "start": "2026-11-01",
        "end_inclusive": "2026-11-30",
        "label": "November 2026",
        "kind": "month",
    }


def test_today_may_be_an_aware_datetime_and_hk_today_is_local() -> None:
    late = datetime(2026, 12, 5, 17, tzinfo=UTC)  # already 6 Dec in Hong Kong
    assert parse_period("today", today=late).start == SUNDAY
    assert hk_today() == datetime.now(HONG_KONG).date()


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        ("next year", "future", "That period (2027) starts after today (6 Dec 2026)."),
        ("Q1 2027", "future", "Q1 2027"),
        ("Jan 2027", "future", "January 2027"),
        ("tomorrow", "future", "after today"),
        ("next 7 days", "future", "after today"),
        ("between 31 Mar and 1 Jan 2026", "reversed", "ends on 1 Jan 2026"),
        ("2026-03-31 to 2026-01-01", "reversed", "starts on 31 Mar 2026"),
        ("Q5", "unparseable", "There is no Q5"),
        ("fifth quarter of 2025", "unparseable", "There is no Q5"),
        ("31 Feb 2026", "unparseable", "There is no 31 February."),
        ("29 Feb 2025", "unparseable", "There is no 29 February 2025."),
        ("month 13", "unparseable", "There is no month 13"),
        ("2026-13-01", "unparseable", "There is no month 13"),
        ("32/1/2026", "unparseable", "There is no 32 January."),
        ("last 0 days", "unparseable", "at least 1"),
        ("blah", "unparseable", '"blah"'),
        ("FY2025", "unparseable", "FY2025"),
        ("", "unparseable", "No period"),
        ("   ", "unparseable", "No period"),
        ("1/1/26", "unparseable", "1/1/26"),  # two-digit years are not guessed
        ("since 1995", "too_long", "longer than 20 years"),
        ("2000 - 2025", "too_long", "longer than 20 years"),
        ("last 10000 days", "too_long", "longer than 20 years"),
        ("last 999999 years", "too_long", "longer than 20 years"),
        ("1985", "too_old", "before 1 Jan 1990"),
        ("from 1 Jan 1989 to 31 Dec 1990", "too_old", "before 1 Jan 1990"),
    ],
)
def test_errors(text: str, code: str, says: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, today=SUNDAY)
    assert caught.value.code == code
    assert says in caught.value.message
    assert str(caught.value) == caught.value.message


def test_twenty_years_is_the_limit() -> None:
    assert parse_period("2006 - 2025", today=SUNDAY).days == 7305
    assert parse_period("last 240 months", today=SUNDAY).start == D(2006, 12, 7)
    with pytest.raises(PeriodError, match="longer than 20 years"):
        parse_period("last 241 months", today=SUNDAY)


def test_huge_input_is_refused_quickly_and_not_echoed() -> None:
    started = time.perf_counter()
    for text in ("1 " * 500_000, "x" * 1_000_000, "between " * 25 + "x"):
        with pytest.raises(PeriodError) as caught:
            parse_period(text, today=SUNDAY)
        assert caught.value.code == "unparseable"
        assert text[:61] not in caught.value.message
    assert time.perf_counter() - started < 0.5


def test_error_messages_quote_at_most_60_characters() -> None:
    text = "please show me the numbers for the period around the big sale " * 3
    with pytest.raises(PeriodError) as caught:
        parse_period(text[:190], today=SUNDAY)
    assert text[:61] not in caught.value.message
    assert text[:57] in caught.value.message


@pytest.mark.parametrize(
    ("sentence", "found"),
    [
        ("complaints by category last month", "last month"),
        ("what were our total sales in 2025", "2025"),
        ("break down Q3 sales by channel", "Q3"),
        ("top 10 customers this year", "this year"),
        ("how good was last quarter's forecast", "last quarter"),
        ("sales between 1 Jan and 31 Mar", "between 1 Jan and 31 Mar"),
        ("since March", "since March"),
        ("complaints since March please", "since March"),
        ("sales from 1 Jan 2026 to 31 Mar 2026 by store", "from 1 Jan 2026 to 31 Mar 2026"),
        ("revenue 2026-01-01..2026-03-31", "2026-01-01..2026-03-31"),
        ("orders 1/1/2026-31/3/2026, by channel", "1/1/2026-31/3/2026"),
        ("top 5 products in the last 30 days", "last 30 days"),
        ("sales year-to-date by channel", "year-to-date"),
        ("CSAT so far this year", "so far this year"),
        ("sales for the week of 23 Nov 2026", "week of 23 Nov 2026"),
        ("sales in the third quarter of 2025", "third quarter of 2025"),
        ("May I see sales for March", "March"),
        ("sales in May", "May"),
        ("orders on 3/4", "3/4"),
        ("top 10 March sales", "March"),
        ("sales 2025 by channel", "2025"),
        ("top 2025 customers in 2024", "2024"),
        ("status of CMP-2025-0001 last week", "last week"),
        ("sales in 2025\u5e74", "2025"),
        ("x" * 100_000 + " last month", "last month"),
    ],
)
def test_find_period(sentence: str, found: str) -> None:
    assert find_period(sentence) == found
    parse_period(found, today=SUNDAY)


@pytest.mark.parametrize(
    "sentence",
    [
        "top 10 customers",
        "complaints by category",
        "complaints by category for CMP-000123",
        "details of CMP-2025-0001",
        "top 2025 customers",
        "show 2000 customers",
        "orders over HK$2000",
        "orders above 1999",
        "order #2025 status",
        "May I see the forecast",
        "what is now open",
        "the ratio 3/4 of stores",
        "last 10 customers",
        "this weekend's promotions",
        "",
    ],
)
def test_find_period_ignores_numbers_that_are_not_periods(sentence: str) -> None:
    assert find_period(sentence) is None


# ---- Properties ----

TODAYS = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))
UNITS = st.sampled_from(["week", "month", "quarter", "year"])
EARLIEST_DATA = D(1990, 1, 1)
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]  # fmt: skip


def _next_unit(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = start.year * 12 + start.month - 1 + months
    return D(index // 12, index % 12 + 1, 1)


def _case(text: str, how: int) -> str:
    return (text, text.upper(), text.lower(), text.swapcase(), text.title())[how]


@given(TODAYS, st.sampled_from(["last", "previous", "past"]), UNITS)
def test_last_unit_is_a_whole_unit_before_this_one(today: date, rel: str, unit: str) -> None:
    period = parse_period(f"{rel} {unit}", today=today)
    this = parse_period(f"this {unit}", today=today)
    assert period.kind == unit == this.kind
    assert period.start < period.end == this.start <= today < this.end == today + timedelta(1)
    assert period.end == _next_unit(period.start, unit)
    assert period.previous().end == period.start
    assert parse_period(period.label, today=today) == period
    assert this.previous().start == period.start
    if this.end != _next_unit(this.start, unit):  # to date: the same stretch of last unit
        assert abs(this.previous().days - this.days) <= 3  # calendar-aligned, so months vary


@given(TODAYS, st.integers(1, 3660), st.sampled_from(["last", "past"]), st.integers(0, 4))
def test_last_n_days(today: date, n: int, rel: str, how: int) -> None:
    period = parse_period(_case(f"{rel} {n} days", how), today=today)
    assert (period.end, period.days, period.kind) == (today + timedelta(1), n, "range")
    assert period.previous().days == n
    assert period.previous().end == period.start
    assert parse_period(period.label, today=today) == period


@given(TODAYS, st.integers(1, 240), st.sampled_from(["weeks", "months"]))
def test_last_n_weeks_or_months(today: date, n: int, unit: str) -> None:
    assume(today - timedelta(days=31 * n) >= EARLIEST_DATA)
    period = parse_period(f"last {n} {unit}", today=today)
    assert period.start < period.end == today + timedelta(1)
    if unit == "weeks":
        assert period.days == 7 * n
    else:
        assert 28 * n <= period.days <= 31 * n


@st.composite
def past_month(draw: st.DrawFn) -> tuple[date, date, str]:
    today = draw(TODAYS)
    index = draw(st.integers(1990 * 12, today.year * 12 + today.month - 1))
    start = D(index // 12, index % 12 + 1, 1)
    name = MONTH_NAMES[start.month - 1]
    text = draw(
        st.sampled_from(
            [f"{name} {start.year}", f"{name[:3]} {start.year}", f"in {name} {start.year}",
             f"{start.year}-{start.month:02d}", f"{name[:3]}-{start.year}"]
        )
    )  # fmt: skip
    return today, start, _case(text, draw(st.integers(0, 4)))


@given(past_month())
def test_month_with_a_year(case: tuple[date, date, str]) -> None:
    today, start, text = case
    period = parse_period(text, today=today)
    assert (period.start, period.end) == (
        start,
        min(_next_unit(start, "month"), today + timedelta(1)),
    )
    assert period.kind == "month"
    assert period.start < period.end <= today + timedelta(1)
    assert parse_period(period.label, today=today) == period
    if period.end == _next_unit(start, "month"):
        assert period.previous().end == start
        assert parse_period(period.label.upper(), today=today) == period


@given(TODAYS, st.integers(1990, 2100), st.integers(1, 4), st.integers(0, 5), st.integers(0, 4))
def test_quarter_with_a_year(today: date, year: int, quarter: int, form: int, how: int) -> None:
    start = D(year, 3 * quarter - 2, 1)
    assume(start <= today)
    ordinal = ("first", "second", "third", "fourth")[quarter - 1]
    text = (f"Q{quarter} {year}", f"{year} Q{quarter}", f"Q{quarter}/{year}", f"{year}q{quarter}",
            f"{ordinal} quarter of {year}", f"the {ordinal} quarter {year}")[form]  # fmt: skip
    period = parse_period(_case(text, how), today=today)
    assert period.start == start
    assert period.end == min(_next_unit(start, "quarter"), today + timedelta(1))
    assert parse_period(period.label, today=today) == period
    assert _next_unit(period.previous().start, "quarter") == start
    assert period.previous().end <= period.start


@given(TODAYS, st.integers(1990, 2100))
def test_year(today: date, year: int) -> None:
    assume(year <= today.year)
    period = parse_period(str(year), today=today)
    assert period.start == D(year, 1, 1)
    assert period.end == min(D(year + 1, 1, 1), today + timedelta(1))
    assert parse_period(period.label, today=today) == period


@st.composite
def explicit_range(draw: st.DrawFn) -> tuple[date, date, date, str]:
    today = draw(TODAYS)
    first = draw(st.dates(min_value=max(EARLIEST_DATA, today - timedelta(7300)), max_value=today))
    last = draw(st.dates(min_value=first, max_value=min(today, first + timedelta(7000))))
    iso = (first.isoformat(), last.isoformat())
    dmy = (f"{first.day}/{first.month}/{first.year}", f"{last.day}/{last.month}/{last.year}")
    words = (f"{first.day} {MONTH_NAMES[first.month - 1]} {first.year}",
             f"{last.day} {MONTH_NAMES[last.month - 1][:3]} {last.year}")  # fmt: skip
    a, b = draw(st.sampled_from([iso, dmy, words]))
    form = draw(st.sampled_from(["{}..{}", "{} to {}", "from {} to {}", "between {} and {}",
                                 "{} - {}", "{}\u2013{}"]))  # fmt: skip
    return today, first, last, _case(form.format(a, b), draw(st.integers(0, 4)))


@given(explicit_range())
def test_explicit_ranges(case: tuple[date, date, date, str]) -> None:
    today, first, last, text = case
    period = parse_period(text, today=today)
    assert (period.start, period.end, period.kind) == (first, last + timedelta(1), "range")
    assert period.previous().days == period.days
    assert period.previous().end == period.start
    again = parse_period(period.label, today=today)
    assert (again.start, again.end) == (period.start, period.end)


@given(explicit_range())
def test_find_period_picks_the_expression_out_of_a_sentence(
    case: tuple[date, date, date, str],
) -> None:
    today, _first, _last, text = case
    sentence = f"show me the sales {text} by channel, please"
    assert find_period(sentence) == text
    assert parse_period(text, today=today) == parse_period(find_period(sentence) or "", today=today)


EXPRESSIONS = st.sampled_from(
    ["this week", "last week", "this month", "last month", "this quarter", "last quarter",
     "this year", "last year", "ytd", "mtd", "qtd", "wtd", "last 7 days", "past 90 days",
     "last 12 months", "March", "Q1", "Q4", "since June", "between 1 Feb and 28 Feb",
     "between March and May", "1 Jan", "29 Feb", "today", "yesterday", "third quarter"]
)  # fmt: skip


@given(TODAYS, EXPRESSIONS, st.integers(0, 4))
def test_any_period_is_within_bounds_and_its_label_reads_back(
    today: date, text: str, how: int
) -> None:
    period = parse_period(_case(text, how), today=today)
    assert period.start < period.end <= today + timedelta(1)
    assert period.start <= today
    assert parse_period(text, today=today) == period
    again = parse_period(period.label, today=today)
    assert (again.start, again.end) == (period.start, period.end)
    assert period.previous().end <= period.start
    assert find_period(f"show complaints {text} by category") == text


@given(st.text(max_size=250))
def test_any_text_either_parses_or_raises_a_period_error(text: str) -> None:
    try:
        period = parse_period(text, today=SUNDAY)
    except PeriodError as error:
        assert error.message
        assert len(text) < 61 or text[:61] not in error.message
    else:
        assert isinstance(period, Period)
        assert period.start < period.end <= SUNDAY + timedelta(1)
    found = find_period(text)
    if found is not None:
        assert found in text
        try:
            parse_period(found, today=SUNDAY)
        except PeriodError as error:  # a real date error ("31 Feb"), never "couldn't read"
            assert "couldn't read" not in error.message
