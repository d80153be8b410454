"""The model-based reports (churn_risk, customer_value, forecast_backtest) on a made-up
purchase history big enough for BG/NBD and Gamma-Gamma, on SQLite and PostgreSQL.

The fitted parameters are not hand-computable, so these tests pin what is: counts, dates,
spends, the holdout's actual purchases, and the orderings the model must give (a customer
who buys every month ranks as more alive than one silent for 17 months). The fits
themselves are tested on the published CDNOW data in test_clv.py.

Groups (customer numbers TC01xx ... TC05xx, i = 1..10; "now" is 15 Nov 2026 in Hong Kong):
  steady     TC01ii  day 1+i of every month, Jan 2025 - Nov 2026 (23 purchase days)
  lapsed     TC02ii  day 1+i of every month, Jan - Jun 2025 (6), then nothing
  one-off    TC03ii  the 15th of month i of 2025 (1)
  quarterly  TC04ii  day i of Feb, May, Aug and Nov, 2025 and 2026 (8)
  new        TC050i  (i = 1..3) 15 Jul and 15 Aug 2026 (2): after the backtest's calibration
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from report_fixtures import OrderBook, customer, hk, migrated_database, run
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crm_backend.db import make_engine
from crm_backend.models.enums import OrderStatus
from crm_backend.reports import clv

GROUPS = ("steady", "lapsed", "one-off", "quarterly", "new")
MONTHS_2025_2026 = [(y, m) for y in (2025, 2026) for m in range(1, 13) if (y, m) <= (2026, 11)]


def purchases() -> list[tuple[int, datetime, str]]:
    """(customer number, Hong Kong time, amount) of every sale, as the groups above say."""
    out: list[tuple[int, datetime, str]] = []
    for i in range(1, 11):
        for y, m in MONTHS_2025_2026:
            out.append((100 + i, hk(y, m, 1 + i), f"{100 + 10 * i + 5 * (m % 3)}.00"))
            if (y, m) <= (2025, 6):
                out.append((200 + i, hk(y, m, 1 + i), f"{120 + 10 * i + 5 * (m % 3)}.00"))
            if m in (2, 5, 8, 11):
                out.append((400 + i, hk(y, m, i), f"{200 + 15 * i + 10 * (y - 2025)}.50"))
        out.append((300 + i, hk(2025, i, 15), f"{80 + 10 * i}.00"))
    out += [(500 + i, hk(2026, m, 15), "50.00") for i in (1, 2, 3) for m in (7, 8)]
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    for url in migrated_database(request.param, tmp_path_factory.mktemp("models")):
        engine = make_engine(url)
        with Session(engine) as session:
            numbers = sorted({n for n, _, _ in purchases()})
            people = {n: customer(n) for n in numbers}
            session.add_all(people.values())
            session.flush()
            order = OrderBook()
            session.add_all(order(people[n], at, amount) for n, at, amount in purchases())
            # Same day as a purchase: one shopping trip. Cancelled: no purchase at all.
            session.add(order(people[101], hk(2026, 7, 2, 18), "30.00", "Mong Kok"))
            session.add(order(people[102], hk(2026, 7, 20), "999.00",
                              status=OrderStatus.CANCELLED))  # fmt: skip
            session.commit()
        yield engine
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
        session.rollback()


def group(customer_no: str) -> str:
    return GROUPS[int(customer_no[2:]) // 100 - 1]


# --- forecast_backtest ---------------------------------------------------------------------

# Q3 2026 (1 Jul - 30 Sep), fitted on purchases up to 30 Jun. Repeat purchase days in it by
# the 40 customers who had bought by then: steady 3 each (Jul, Aug, Sep; TC0101's two orders
# on 2 Jul are one day, TC0102's cancelled order is none) = 30, quarterly 1 each (Aug) = 10.
# Weeks run 1-7 Jul, 8-14 Jul, ...; the last (week 14) is 30 Sep alone:
#   wk1 2-7 Jul: 6 steady; wk2 8-11 Jul: 4; wk5 1-4 Aug: 4 quarterly + 3 steady;
#   wk6 5-11 Aug: 6 quarterly + 7 steady; wk10 2-8 Sep: 7; wk11 9-11 Sep: 3.
ACTUAL_CUMULATIVE = [6, 10, 10, 10, 17, 30, 30, 30, 30, 37, 40, 40, 40, 40]


def test_forecast_backtest_matches_clv_backtest_and_counts_actuals_exactly(session):
    result = run(session, "forecast_backtest", period="last quarter")
    weekly = result.frame.data
    assert weekly["week"].tolist() == list(range(1, 15))
    assert weekly["week_end"].iloc[0] == date(2026, 7, 7)
    assert weekly["week_end"].iloc[-1] == date(2026, 9, 30)
    assert weekly["actual_cumulative"].tolist() == ACTUAL_CUMULATIVE

    # The same history straight into the model code, as Hong Kong wall-clock times: the
    # report must say what clv.backtest says (the fit itself is test_clv.py's business).
    sales = [(n, at.astimezone(UTC).replace(tzinfo=None) + pd.Timedelta(hours=8), float(a))
             for n, at, a in purchases()]  # fmt: skip
    sales.append((101, datetime(2026, 7, 2, 18), 30.0))
    expected = clv.backtest(
        pd.DataFrame(sales, columns=["customer_id", "date", "amount"]),
        calibration_end="2026-06-30",
        holdout_end="2026-09-30",
    )
    assert (expected.customers, expected.actual) == (40, 40)
    predicted = weekly["predicted_cumulative"].to_numpy()
    assert predicted[-1] == pytest.approx(round(expected.predicted, 1), abs=0.051)
    assert np.all(np.diff(predicted) >= 0)  # a cumulative forecast never falls
    error = (expected.predicted - 40) / 40 * 100
    assert result.frame.summary == [
        f"For Q3 2026: the model predicted {expected.predicted:,.0f} repeat purchases by 40 "
        f"customers; they made 40 ({error:.1f}% off).",
        f"Fitted on purchases up to 30 Jun 2026; mean absolute error {expected.mae:.2f} "
        "purchases per customer.",
    ]


# --- churn_risk ----------------------------------------------------------------------------


def test_churn_risk_lists_the_lapsed_and_not_the_regulars(session):
    result = run(session, "churn_risk", top=1000)
    table = result.frame.data
    listed = {group(n) for n in table["customer_no"]}
    assert {"steady", "quarterly", "one-off"}.isdisjoint(listed)  # one-offs: P(alive) = 1
    lapsed = table[table["customer_no"].map(group) == "lapsed"]
    # All ten lapsed, biggest spender first: 6 purchases of 120 + 10i + 5 * (m % 3) for
    # m = 1..6 = 6 * (120 + 10i) + 30 = 750 + 60i dollars; TC0210 spent 1,350.00.
    assert lapsed["customer_no"].tolist() == [f"TC02{i:02d}" for i in range(10, 0, -1)]
    assert lapsed["cents"].tolist() == [(750 + 60 * i) * 100 for i in range(10, 0, -1)]
    assert lapsed["orders"].tolist() == [6] * 10
    # Last purchase on 1+i Jun 2025; to 15 Nov 2026 is 532 - i days: TC0201 531 / 7 =
    # 75.857 -> 75.9 weeks, ..., TC0210 522 / 7 = 74.571 -> 74.6
    assert lapsed["weeks_since"].tolist() == [round((532 - i) / 7, 1) for i in range(10, 0, -1)]
    assert (table["p_alive"] < 50).all()
    assert table["cents"].is_monotonic_decreasing
    assert result.frame.summary[0].startswith(
        f"{len(table)} repeat customers of 33 ("  # steady, lapsed, quarterly, new repeat
    )


def test_churn_risk_top_n_keeps_the_biggest_spenders(session):
    everyone = run(session, "churn_risk", top=1000).frame.data
    top3 = run(session, "churn_risk", top=3).frame.data
    assert top3["customer_no"].tolist() == everyone["customer_no"].head(3).tolist()
    assert top3["customer_no"].tolist() == ["TC0210", "TC0209", "TC0208"]


# --- customer_value ------------------------------------------------------------------------


def test_customer_value_ranks_regular_buyers_above_lapsed_ones(session):
    result = run(session, "customer_value", top=1000)
    table = result.frame.data.set_index("customer_no")
    assert len(table) == 43  # every buyer: 10 + 10 + 10 + 10 + 3
    assert table["expected_cents"].is_monotonic_decreasing
    by_group = table.groupby(table.index.map(group))
    purchases_ = by_group["expected_purchases"]
    # A monthly buyer still buying expects more purchases than anyone silent since June 2025
    assert purchases_.min()["steady"] > purchases_.max()["lapsed"]
    assert purchases_.min()["quarterly"] > purchases_.max()["lapsed"]
    assert purchases_.min()["steady"] > purchases_.max()["quarterly"]
    # Within the steady group spend rises with i (100 + 10i a month), so value does too
    steady = table.loc[[f"TC01{i:02d}" for i in range(1, 11)]]
    assert steady["expected_cents"].is_monotonic_increasing
    assert steady["average_cents"].is_monotonic_increasing
    # Without a repeat purchase the expected spend is the population mean, the same for all
    one_off = table.loc[[f"TC03{i:02d}" for i in range(1, 11)]]
    assert one_off["average_cents"].nunique() == 1
    # Past spend is exact. TC0101: 23 months of 110 + 5 * (m % 3); m % 3 sums to 12 over
    # 2025 and 12 over Jan-Nov 2026: 23 * 110 + 5 * 24 = 2,650.00, plus 30.00 on 2 Jul 2026
    assert table.loc["TC0101", "cents"] == 268000
    assert table.loc["TC0201", "cents"] == 81000  # 750 + 60
    assert table.loc["TC0501", "cents"] == 10000


def test_customer_value_totals_agree_with_the_rows(session):
    result = run(session, "customer_value", top=1000)
    table = result.frame.data
    total = int(table["expected_cents"].sum())  # all 43 rows are here
    assert result.frame.summary[0].startswith("Expected in the next 13 weeks from 43 customers:")
    assert result.frame.summary[0].endswith(f" worth HKD {total / 100:,.2f}.")
    top5 = run(session, "customer_value", top=5).frame.data
    assert top5["customer_no"].tolist() == table["customer_no"].head(5).tolist()
