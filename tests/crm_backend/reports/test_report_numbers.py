"""Exact report numbers on a small hand-made data set, on SQLite and PostgreSQL.

Every expected value is worked out by hand from the rows below (the arithmetic is in the
comments); none comes from the code under test. "Now" is 12:00 on 15 Nov 2026 in Hong Kong,
so "last month" is October 2026 and its previous period September 2026. The model-based
reports (churn_risk, customer_value, forecast_backtest) are in test_report_models.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from report_fixtures import (
    COMPLIANCE,
    MANAGER,
    NOW,
    OrderBook,
    customer,
    hk,
    migrated_database,
    rows,
    run,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crm_backend.db import make_engine
from crm_backend.models import AuditLogEntry, Complaint, Consent, Feedback, MarketingPreference
from crm_backend.models.enums import ActorType, FeedbackKind, MarketingChannel
from crm_backend.models.enums import ComplaintStatus as S
from crm_backend.models.enums import OrderStatus as O
from crm_backend.models.enums import Priority as P
from crm_backend.reports.runner import run_report

DASH = " \u2013 "  # the spaced en dash in period labels: "1 Nov \u2013 15 Nov 2026"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    for url in migrated_database(request.param, tmp_path_factory.mktemp("reports")):
        engine = make_engine(url)
        with Session(engine) as session:
            _seed(session)
            session.commit()
        yield engine
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
        session.rollback()  # the audit entries the runs added


def _seed(session: Session) -> None:
    stale = NOW - timedelta(days=731)
    c = [
        customer(1, district=None, address_line="Flat A, 1/F, 1 Test Road, Mong Kok"),
        customer(2, email=None),  # missing email
        customer(3, email="not-an-email", phone="12345", address_line=None),
        customer(4, phone=None, district=None, address_line="2 Nowhere Lane", updated_at=stale),
        customer(5, email=None, updated_at=NOW - timedelta(days=800)),
        customer(6, email="   ", phone="", updated_at=NOW - timedelta(days=730)),  # not stale
    ]
    session.add_all(c)
    session.flush()
    c1, c2, c3, c4, c5, c6 = c
    order = OrderBook()
    session.add_all([
        # October 2026: 1,234.50 + 100.26 + 500.00 + 300.10 + 199.90 = 2,334.76 in 5 orders
        order(c1, hk(2026, 10, 1, 0, 0), "1234.50", "Mong Kok"),  # first minute: in
        order(c1, hk(2026, 10, 31, 23, 59), "100.26", status=O.DELIVERED),  # last minute: in
        order(c2, hk(2026, 10, 10, 15), "500.00", "Sha Tin", O.PAID),
        order(c2, hk(2026, 10, 11), "999.99", status=O.CANCELLED),  # not a sale
        order(c2, hk(2026, 10, 12), "250.00", "Mong Kok", O.RETURNED),  # not a sale
        order(c3, hk(2026, 10, 20, 9), "300.10", status=O.SHIPPED),
        order(c3, hk(2026, 10, 21, 18, 30), "199.90", "Sha Tin", O.PLACED),
        # November (00:00 on 1 Nov HK is 16:00 on 31 Oct UTC): out of October
        order(c4, hk(2026, 11, 1, 0, 0), "777.77"),
        # September 2026: 400.00 + 400.00 = 800.00 in 2 orders
        order(c4, hk(2026, 9, 30, 23, 59), "400.00", "Mong Kok"),
        order(c5, hk(2026, 9, 15), "400.00"),
        order(c5, hk(2026, 9, 16), "50.00", status=O.CANCELLED),
        # March 2026: an old, frequent buyer (for RFM)
        *(order(c6, hk(2026, 3, day), "100.00") for day in (2, 9, 16)),
    ])  # fmt: skip
    session.add_all(_complaints(c1.id))
    session.add_all([
        Feedback(kind=FeedbackKind.COMPLIMENT, text="Helpful staff.", rating=5,
                 store_name="Mong Kok", created_at=hk(2026, 10, 3)),
        Feedback(kind=FeedbackKind.REVIEW, text="Fine.", rating=3, created_at=hk(2026, 10, 20)),
        Feedback(kind=FeedbackKind.SUGGESTION, text="More sizes.", created_at=hk(2026, 10, 21)),
        Feedback(kind=FeedbackKind.REVIEW, text="Good.", rating=4, store_name="Sha Tin",
                 created_at=hk(2026, 11, 1, 0, 0)),
    ])  # fmt: skip
    email, sms, phone = MarketingChannel.EMAIL, MarketingChannel.SMS, MarketingChannel.PHONE
    session.add_all([
        MarketingPreference(customer_id=c1.id, channel=email, opted_in=True),
        MarketingPreference(customer_id=c1.id, channel=sms, opted_in=True),
        MarketingPreference(customer_id=c2.id, channel=email, opted_in=True),
        MarketingPreference(customer_id=c2.id, channel=sms, opted_in=False),
        MarketingPreference(customer_id=c3.id, channel=phone, opted_in=True),
        MarketingPreference(customer_id=c4.id, channel=email, opted_in=False),
    ])  # fmt: skip
    for who, purpose, granted, at in (
        (c1, "direct_marketing_email", True, hk(2026, 10, 3)),
        (c1, "direct_marketing_sms", True, hk(2026, 10, 3)),
        (c4, "direct_marketing_email", False, hk(2026, 10, 8)),
        (c3, "direct_marketing_phone", True, hk(2026, 10, 31, 23, 59)),
        (c2, "profile_update", True, hk(2026, 10, 20)),
        (c2, "direct_marketing_email", True, hk(2026, 9, 10)),  # September
        (c2, "direct_marketing_sms", False, hk(2026, 11, 1, 0, 0)),  # November
    ):
        session.add(Consent(customer_id=who.id, purpose=purpose, statement_version="t1",
                            granted=granted, channel="chat", created_at=at))  # fmt: skip
    staff, cust, system, bot = ActorType.STAFF, ActorType.CUSTOMER, ActorType.SYSTEM, ActorType.BOT
    for actor_type, actor, action, record, purpose, at in (
        (staff, "cs.test1", "read", "customer", "complaint_handling", hk(2026, 10, 2)),
        (staff, "cs.test1", "read", "complaint", "complaint_handling", hk(2026, 10, 3)),
        (staff, "mgmt.test", "run_report", "report", "staff_report", hk(2026, 10, 4)),
        (cust, "TC0001", "read", "customer", "self_service", hk(2026, 10, 5)),
        (system, None, "delete", "customer", "retention", hk(2026, 10, 31, 23, 59)),
        (staff, "cs.test2", "read", "customer", "complaint_handling", hk(2026, 11, 1, 0, 0)),
        (bot, None, "read", "complaint", "complaint_handling", hk(2026, 9, 30, 23, 59)),
    ):
        session.add(AuditLogEntry(actor_type=actor_type, actor_id=actor, action=action,
                                  record_type=record, record_id="x", purpose=purpose,
                                  created_at=at))  # fmt: skip


COMPLAINT_FIELDS = ("category", "priority", "channel", "status", "created_at",
                    "first_response_due_at", "first_responded_at", "resolution_due_at",
                    "resolved_at", "csat_score", "csat_at")  # fmt: skip


def _complaints(customer_id: int) -> list[Complaint]:
    rows: list[tuple[Any, ...]] = [
        # category, priority, channel, status, created, response due, responded,
        # resolution due, resolved, csat, csat_at   (Hong Kong times)
        ("product_quality", P.HIGH, "chat", S.RESOLVED, hk(2026, 10, 2, 9), hk(2026, 10, 2, 13),
         hk(2026, 10, 2, 11), hk(2026, 10, 4, 9), hk(2026, 10, 3, 9), 5, hk(2026, 10, 5)),
        ("product_quality", P.MEDIUM, "email", S.CLOSED, hk(2026, 10, 5, 10), hk(2026, 10, 5, 18),
         hk(2026, 10, 5, 20), hk(2026, 10, 8, 10), hk(2026, 10, 9, 10), 2, hk(2026, 10, 12)),
        ("delivery", P.LOW, "chat", S.IN_PROGRESS, hk(2026, 10, 10, 8), hk(2026, 10, 11, 8),
         hk(2026, 10, 10, 14), hk(2026, 10, 17, 8), None, None, None),
        ("delivery", P.URGENT, "phone", S.NEW, hk(2026, 10, 31, 23, 59), hk(2026, 11, 1, 1, 59),
         None, hk(2026, 11, 1, 23, 59), None, None, None),
        # closed without a resolution (withdrawn): no resolution target applies
        ("billing", P.MEDIUM, "chat", S.CLOSED, hk(2026, 10, 15, 12), hk(2026, 10, 15, 20),
         hk(2026, 10, 15, 13), hk(2026, 10, 18, 12), None, None, None),
        # November, then September (the previous period): counted in neither October figure,
        # but the September one's CSAT answer came on 1 Oct 00:00 HK, so it is October's
        ("service", P.LOW, "chat", S.ACKNOWLEDGED, hk(2026, 11, 1, 0, 0), hk(2026, 11, 2),
         None, hk(2026, 11, 8), None, None, None),
        ("service", P.LOW, "email", S.RESOLVED, hk(2026, 9, 20), hk(2026, 9, 21), hk(2026, 9, 20),
         hk(2026, 9, 27), hk(2026, 9, 25), 4, hk(2026, 10, 1, 0, 0)),
        ("refund", P.LOW, "chat", S.CLOSED, hk(2026, 9, 25), hk(2026, 9, 26), hk(2026, 9, 25),
         hk(2026, 10, 2), hk(2026, 9, 26), 1, hk(2026, 9, 28)),
    ]  # fmt: skip
    return [
        Complaint(reference=f"CMP-{i:06d}", customer_id=customer_id, sla_policy_version="t",
                  description="Test complaint.", **dict(zip(COMPLAINT_FIELDS, row, strict=True)))
        for i, row in enumerate(rows, start=1)
    ]  # fmt: skip


# --- sales_summary -------------------------------------------------------------------------


def test_sales_total_excludes_cancelled_and_returned_and_keeps_hk_day_boundaries(session):
    result = run(session, "sales_summary", period="last month", dimension="total")
    # 5 orders; avg 2,334.76 / 5 = 466.952 -> 466.95; growth (2,334.76 - 800) / 800 = +191.8%
    assert rows(result, "total", "cents", "orders", "average_cents", "share") == [
        ("all sales", 233476, 5, 46695, 100.0)
    ]
    assert result.frame.summary == [
        "Sales in October 2026: HKD 2,334.76 from 5 orders (average HKD 466.95); "
        "+191.8% vs the previous period (September 2026: HKD 800.00).",
        "3 customers bought in the period.",
    ]


def test_sales_by_channel(session):
    result = run(session, "sales_summary", period="last month", dimension="channel")
    # store 1,234.50 + 500.00 + 199.90 = 1,934.40 (82.85%), avg 644.80;
    # online 100.26 + 300.10 = 400.36 (17.15%), avg 200.18
    assert rows(result, "channel", "cents", "orders", "average_cents", "share") == [
        ("store", 193440, 3, 64480, 82.9),
        ("online", 40036, 2, 20018, 17.1),
    ]
    assert result.frame.summary[1] == (
        "By channel: store HKD 1,934.40 (82.9%), online HKD 400.36 (17.1%)."
    )


def test_sales_by_store(session):
    result = run(session, "sales_summary", period="last month", dimension="store")
    # Mong Kok 1,234.50 (52.87%); Sha Tin 500.00 + 199.90 = 699.90 (29.98%); online 400.36
    assert rows(result, "store", "cents", "orders", "average_cents", "share") == [
        ("Mong Kok", 123450, 1, 123450, 52.9),
        ("Sha Tin", 69990, 2, 34995, 30.0),
        ("online", 40036, 2, 20018, 17.1),
    ]


def test_sales_by_month_over_a_range_with_nothing_before_it(session):
    result = run(session, "sales_summary", period="between 1 Sep and 31 Oct 2026",
                 dimension="month")  # fmt: skip
    # 800.00 + 2,334.76 = 3,134.76 in 7 orders, avg 447.823 -> 447.82; shares 25.5 / 74.5
    assert rows(result, "month", "cents", "orders", "average_cents", "share") == [
        ("2026-09", 80000, 2, 40000, 25.5),
        ("2026-10", 233476, 5, 46695, 74.5),
    ]
    assert result.frame.summary == [
        f"Sales in September{DASH}October 2026: HKD 3,134.76 from 7 orders (average HKD 447.82); "
        f"nothing in the previous period to compare with (2 Jul{DASH}31 Aug 2026: HKD 0.00).",
        "Best month: 2026-10 with HKD 2,334.76.",
    ]


def test_sales_month_to_date_compares_with_the_same_days_of_last_month(session):
    result = run(session, "sales_summary", period="this month", dimension="total")
    # 1-15 Nov: 777.77 (the 00:00 order); 1-15 Oct: 1,234.50 + 500.00 = 1,734.50;
    # (777.77 - 1,734.50) / 1,734.50 = -55.16%
    assert rows(result, "cents", "orders") == [(77777, 1)]
    assert result.frame.summary[0] == (
        f"Sales in this month to date (1 Nov{DASH}15 Nov 2026): HKD 777.77 from 1 order (average "
        f"HKD 777.77); -55.2% vs the previous period (1 Oct{DASH}15 Oct 2026: HKD 1,734.50)."
    )


# --- top_customers -------------------------------------------------------------------------


def test_top_customers_orders_by_spend_then_customer_on_ties(session):
    result = run(session, "top_customers", period="last month", top=3)
    # TC0001 1,334.76 (57.2%); TC0002 and TC0003 both 500.00 (21.4%): the lower id first
    assert rows(result, "rank", "customer_no", "orders", "cents", "share", "last", "name") == [
        (1, "TC0001", 2, 133476, 57.2, date(2026, 10, 31), "Test Customer 1"),
        (2, "TC0002", 1, 50000, 21.4, date(2026, 10, 10), "Test Customer 2"),
        (3, "TC0003", 2, 50000, 21.4, date(2026, 10, 21), "Test Customer 3"),
    ]


def test_top_n_cuts_the_list_and_the_summary_says_so(session):
    result = run(session, "top_customers", period="last month", top=2)
    assert rows(result, "customer_no") == [("TC0001",), ("TC0002",)]
    # 1,334.76 + 500.00 = 1,834.76 of 2,334.76 = 78.58%
    assert result.frame.summary == [
        "Top 2 customers in October 2026 spent HKD 1,834.76, 78.6% of HKD 2,334.76 in sales.",
        "Number 1: TC0001 with HKD 1,334.76 over 2 orders.",
    ]


# --- complaints_summary --------------------------------------------------------------------

COMPLAINT_DIMENSIONS = {
    # October: 5 complaints, 2 still open (the delivery ones: in progress, new). Equal counts
    # keep alphabetical order.
    "category": [("delivery", 2, 40.0, 2), ("product quality", 2, 40.0, 0),
                 ("billing", 1, 20.0, 0)],
    "status": [("closed", 2, 40.0, 0), ("in progress", 1, 20.0, 1), ("new", 1, 20.0, 1),
               ("resolved", 1, 20.0, 0)],
    "priority": [("medium", 2, 40.0, 0), ("high", 1, 20.0, 0), ("low", 1, 20.0, 1),
                 ("urgent", 1, 20.0, 1)],
    "channel": [("chat", 3, 60.0, 1), ("email", 1, 20.0, 0), ("phone", 1, 20.0, 1)],
}  # fmt: skip


@pytest.mark.parametrize("dimension", list(COMPLAINT_DIMENSIONS))
def test_complaints_summary_by_dimension(session, dimension):
    result = run(session, "complaints_summary", period="last month", dimension=dimension)
    assert rows(result, dimension, "complaints", "share", "open") == COMPLAINT_DIMENSIONS[dimension]


def test_complaints_summary_lines(session):
    result = run(session, "complaints_summary", period="last month", dimension="category")
    # 5 in October against 2 in September: (5 - 2) / 2 = +150.0%; the one at 23:59 on
    # 31 Oct is October's, the one at 00:00 on 1 Nov is not
    assert result.frame.summary == [
        "5 complaints in October 2026; 2 still open (+150.0% vs the previous period).",
        "Most by category: delivery with 2 (40.0%).",
    ]


# --- complaint_sla -------------------------------------------------------------------------


def test_complaint_sla_breach_rates_and_medians(session):
    result = run(session, "complaint_sla", period="last month", dimension="priority")
    # First response: late for the medium email one (10 h > 8 h) and the urgent one (never
    # answered, past due by now): 2 / 5 = 40.0%. Resolution: 4 count (the withdrawn one
    # does not): medium email resolved after its due time, low and urgent still open past
    # due: 3 / 4 = 75.0%. Response hours 2, 10, 6, 1 -> median 4.0; resolution 24, 96 -> 60.0
    assert result.frame.summary == [
        "5 complaints opened in October 2026: 40.0% missed the first-response target, "
        "75.0% the resolution target.",
        "Median first response 4.0 h, median resolution 60.0 h.",
    ]
    keys = ("priority", "complaints", "response_breaches", "response_breach_rate",
            "resolution_breaches", "resolution_breach_rate", "median_response_hours",
            "median_resolution_hours")  # fmt: skip
    assert rows(result, *keys) == [
        ("high", 1, 0, 0.0, 0, 0.0, 2.0, 24.0),
        ("low", 1, 0, 0.0, 1, 100.0, 6.0, None),
        # medium: 1 / 2 late responses; resolution 1 / 1 (the withdrawn one is not counted);
        # response (10 + 1) / 2 = 5.5 h
        ("medium", 2, 1, 50.0, 1, 100.0, 5.5, 96.0),
        ("urgent", 1, 1, 100.0, 1, 100.0, None, None),
    ]


def test_complaint_sla_by_category(session):
    result = run(session, "complaint_sla", period="last month", dimension="category")
    keys = ("category", "complaints", "response_breaches", "resolution_breaches",
            "resolution_breach_rate", "median_response_hours")  # fmt: skip
    assert rows(result, *keys) == [
        ("billing", 1, 0, 0, 0.0, 1.0),  # withdrawn: no resolution target
        ("delivery", 2, 1, 2, 100.0, 6.0),
        ("product quality", 2, 1, 1, 50.0, 6.0),  # (2 + 10) / 2
    ]


# --- csat ----------------------------------------------------------------------------------


def test_csat_counts_followups_by_answer_time_and_rated_feedback(session):
    result = run(session, "csat", period="last month", dimension="source")
    # Follow-ups answered in October: 5, 2 and 4 (a September complaint answered at 00:00
    # on 1 Oct); feedback: 5, 3 (unrated suggestion and the 1 Nov review left out).
    # 19 / 5 = 3.80; 3 of 5 satisfied = 60.0%; 1 unhappy
    assert result.frame.summary == [
        "CSAT 3.80 out of 5 from 5 answers in October 2026; 60.0% satisfied (4 or 5).",
        "Unhappy (1 or 2): 1.",
    ]
    keys = ("source", "answers", "average", "satisfied_share",
            "score_1", "score_2", "score_3", "score_4", "score_5")  # fmt: skip
    assert rows(result, *keys) == [
        ("complaint follow-up", 3, 3.67, 66.7, 0, 1, 0, 1, 1),  # 11 / 3
        ("feedback", 2, 4.0, 50.0, 0, 0, 1, 0, 1),
    ]


def test_csat_by_category_and_store(session):
    by_category = run(session, "csat", period="last month", dimension="category")
    assert rows(by_category, "category", "answers", "average") == [
        ("product quality", 2, 3.5), ("compliment", 1, 5.0), ("review", 1, 3.0),
        ("service", 1, 4.0),
    ]  # fmt: skip
    by_store = run(session, "csat", period="last month", dimension="store")
    # follow-ups have no store; the review without a store joins them: (5 + 2 + 4 + 3) / 4
    assert rows(by_store, "store", "answers", "average") == [
        ("online / none", 4, 3.5), ("Mong Kok", 1, 5.0),
    ]  # fmt: skip


# --- rfm_segments --------------------------------------------------------------------------

# Days from the last purchase day to today (15 Nov) / orders / spend:
#   TC0001 15 / 2 / 1,334.76   TC0002 36 / 1 / 500.00   TC0003 25 / 2 / 500.00
#   TC0004 14 / 2 / 1,177.77   TC0005 61 / 1 / 400.00   TC0006 244 / 3 / 300.00
# (TC0001's last order, 23:59 on 31 Oct HK, is 15:59 UTC: the HK day counts.)
# Quintile score = ceil(rank / 6 * 5), ties in customer order: ranks 1..6 -> 1, 2, 3, 4, 5, 5.
#   R, longest ago first: TC0006 1, TC0005 2, TC0002 3, TC0003 4, TC0001 5, TC0004 5.
#   F, fewest first: TC0002 1, TC0005 2, TC0001 3, TC0003 4, TC0004 5, TC0006 5.
#   M, least first: TC0006 1, TC0005 2, TC0002 3, TC0003 4, TC0004 5, TC0001 5.
# Segment of (R, F): (5, 5) champions; (4, 4) loyal; (5, 3) potential loyalists;
# (3, 1) about to sleep; (1, 5) cannot lose; (2, 2) hibernating.
RFM = {
    "champions": ("TC0004", 5, 5, 5, 14, 2.0, 117777),
    "loyal": ("TC0003", 4, 4, 4, 25, 2.0, 50000),
    "potential loyalists": ("TC0001", 5, 3, 5, 15, 2.0, 133476),
    "about to sleep": ("TC0002", 3, 1, 3, 36, 1.0, 50000),
    "cannot lose": ("TC0006", 1, 5, 1, 244, 3.0, 30000),
    "hibernating": ("TC0005", 2, 2, 2, 61, 1.0, 40000),
}


def test_rfm_segments_name_each_customer(session):
    result = run(session, "rfm_segments")
    expected = [(name, 1, 16.7, days, orders, cents, cents)
                for name, (_, _, _, _, days, orders, cents) in RFM.items()]  # fmt: skip
    keys = ("segment", "customers", "share", "recency_days", "orders", "average_cents", "cents")
    assert rows(result, *keys) == expected
    assert result.frame.summary[0] == (
        "6 customers with purchases, as of 15 Nov 2026: 1 champions, 1 loyal, 0 at risk, 0 lost."
    )


@pytest.mark.parametrize("segment", list(RFM))
def test_rfm_segment_filter_lists_its_member(session, segment):
    result = run(session, "rfm_segments", segment=segment.replace(" ", "_").upper())
    number, r, f, m, days, orders, cents = RFM[segment]
    last = date(2026, 11, 15) - timedelta(days=days)
    assert rows(result, "customer_no", "r", "f", "m", "last", "orders", "cents") == [
        (number, r, f, m, last, int(orders), cents)
    ]
    assert result.frame.summary[0] == (
        f"1 customer in the {segment} segment as of 15 Nov 2026 (16.7% of buyers)."
    )


def test_rfm_segments_read_back_from_a_snapshot_unchanged(session):
    live = run_report(session=session, principal=MANAGER, name="rfm_segments", now=NOW)
    stored = run_report(session=session, principal=MANAGER, name="rfm_segments", now=NOW)
    assert (live.source, stored.source) == ("live", "snapshot")
    keys = ("segment", "customers", "share", "recency_days", "orders", "cents")
    assert rows(stored, *keys) == rows(live, *keys)
    assert stored.frame.summary == live.frame.summary


def test_rfm_segment_filter_with_no_members(session):
    result = run(session, "rfm_segments", segment="at risk")
    assert len(result.frame.data) == 0
    assert result.frame.summary == [
        "0 customers in the at risk segment as of 15 Nov 2026 (0.0% of buyers).",
        "They spent HKD 0.00 in all; the biggest spenders first.",
    ]


# --- data_quality, consent_summary, audit_access -------------------------------------------


def test_data_quality_counts_each_problem(session):
    result = run(session, "data_quality")
    # of 6: email missing for 2, 5 and 6 (blank); invalid for 3. Phone missing for 4 and 6
    # (empty); invalid for 3. Address missing for 3; 4's names no district (1's names Mong
    # Kok). Stale: 4 (731 days) and 5 (800 days); 6 is exactly 730 days old, not stale.
    assert rows(result, "problem", "customers", "share") == [
        ("missing email", 3, 50.0), ("invalid email", 1, 16.7), ("missing phone", 2, 33.3),
        ("invalid phone", 1, 16.7), ("missing address", 1, 16.7), ("no district", 1, 16.7),
        ("stale", 2, 33.3),
    ]  # fmt: skip
    assert result.frame.summary[0] == (
        "Of 6 customer profiles, 3 (50.0%) have the commonest gap: missing email."
    )


def test_consent_summary(session):
    result = run(session, "consent_summary", period="last month")
    # now: email 2 of 6 (33.3%), sms 1, phone 1 (16.7%); October ledger per channel
    assert rows(result, "channel", "opted_in", "share", "granted", "withdrawn") == [
        ("email", 2, 33.3, 1, 1), ("sms", 1, 16.7, 1, 0), ("phone", 1, 16.7, 1, 0),
    ]  # fmt: skip
    assert result.frame.summary == [
        "Opted in to direct marketing now: email 2 (33.3%), sms 1 (16.7%), phone 1 (16.7%) "
        "of 6 customers.",
        # given: email, sms, phone (23:59 on 31 Oct), profile update; refused: email
        "In October 2026: 4 consents given and 1 refused or withdrawn (all purposes).",
    ]


def test_audit_access_by_action_and_actor(session):
    result = run(session, "audit_access", period="last month", principal=COMPLIANCE)
    # October: 5 entries (not the 00:00 1 Nov one, nor the 23:59 30 Sep one)
    assert rows(result, "action", "entries", "share") == [
        ("read", 3, 60.0), ("delete", 1, 20.0), ("run_report", 1, 20.0),
    ]  # fmt: skip
    assert result.frame.summary == [
        # staff: cs.test1 x2 + mgmt.test; customer TC0001; one system job
        "5 accesses to personal data logged in October 2026: 3 by 2 staff members, "
        "1 by customers, 1 by the system or the bot.",
        "Most by action: read (3).",
    ]
    by_actor = run(session, "audit_access", period="last month", dimension="actor",
                   principal=COMPLIANCE)  # fmt: skip
    assert rows(by_actor, "actor", "entries") == [
        ("cs.test1", 2), ("(system)", 1), ("TC0001", 1), ("mgmt.test", 1),
    ]  # fmt: skip
    by_purpose = run(session, "audit_access", period="last month", dimension="purpose",
                     principal=COMPLIANCE)  # fmt: skip
    assert rows(by_purpose, "purpose", "entries") == [
        ("complaint_handling", 2), ("retention", 1), ("self_service", 1), ("staff_report", 1),
    ]  # fmt: skip


# --- a period with nothing in it -----------------------------------------------------------

EMPTY_JUNE = {
    "sales_summary": [
        "Sales in June 2026: HKD 0.00 from 0 orders; nothing in the previous period to "
        "compare with (May 2026: HKD 0.00).",
        "0 customers bought in the period.",
    ],
    "top_customers": [
        "Top 0 customers in June 2026 spent HKD 0.00, 0.0% of HKD 0.00 in sales.",
        "Nobody bought in the period.",
    ],
    "complaints_summary": [
        "0 complaints in June 2026; 0 still open (nothing in the previous period to compare with).",
        "There is nothing to break down.",
    ],
    "complaint_sla": [
        "0 complaints opened in June 2026: 0.0% missed the first-response target, 0.0% the "
        "resolution target.",
        "Median first response n/a (none yet), median resolution n/a (none yet).",
    ],
    "csat": ["No satisfaction answers in June 2026.", "Unhappy (1 or 2): 0."],
    "audit_access": [
        "0 accesses to personal data logged in June 2026.",
        "Nothing was logged.",
    ],
}


@pytest.mark.parametrize("name", list(EMPTY_JUNE))
def test_an_empty_period_gives_an_empty_table_and_says_so(session, name):
    principal = COMPLIANCE if name == "audit_access" else MANAGER
    result = run(session, name, period="June 2026", principal=principal)
    assert len(result.frame.data) == 0
    assert result.frame.summary == EMPTY_JUNE[name]
