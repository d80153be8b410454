"""Customer reports: RFM segments, churn risk and expected value (BG/NBD + Gamma-Gamma)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_backend.reports import clv, data
from crm_backend.reports.base import (
    Chart,
    Column,
    ReportContext,
    ReportFrame,
    money,
    percent,
    plural,
)

# (R score, F score) -> segment, after the widely used RFM segment map, with "lost" for
# customers at the bottom of both.
SEGMENTS = (
    "champions",
    "loyal",
    "potential loyalists",
    "new customers",
    "promising",
    "need attention",
    "about to sleep",
    "at risk",
    "cannot lose",
    "hibernating",
    "lost",
)
CHURN_THRESHOLD = 0.5  # P(alive) below this: likely lapsed
VALUE_HORIZON_WEEKS = 13  # "next period" for customer_value: the next quarter


def segment_of(r: int, f: int) -> str:
    if r >= 5 and f >= 4:
        return "champions"
    if r >= 3 and f >= 4:
        return "loyal"
    if r >= 4 and f >= 2:
        return "potential loyalists"
    if r == 5 and f == 1:
        return "new customers"
    if r == 4 and f == 1:
        return "promising"
    if r == 3 and f == 3:
        return "need attention"
    if r == 3:
        return "about to sleep"
    if f == 5:
        return "cannot lose"
    if f >= 3:
        return "at risk"
    if r == 1 and f == 1:
        return "lost"
    return "hibernating"


_SEGMENT_TABLE = np.array([[segment_of(r, f) for f in range(1, 6)] for r in range(1, 6)])


def _score(values: pd.Series, *, higher_is_better: bool) -> pd.Series:
    """Quintile score 1-5 by rank (ties broken by position, so every quintile is used)."""
    ranks = values.rank(method="first", ascending=higher_is_better, pct=True)
    return np.ceil(ranks * 5).clip(1, 5).astype("int64")


def rfm_table(rows: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame:
    """Per customer (index customer_id): recency_days (whole days from the last purchase
    day to ``today``: 0 for a purchase today), orders, cents, R/F/M scores and segment.
    ``rows`` is ``data.sales`` output up to the end of ``today``."""
    per = rows.groupby("customer_id").agg(
        last=("at", "max"), orders=("cents", "size"), cents=("cents", "sum")
    )
    per = per.sort_index()
    per["recency_days"] = (today.normalize() - per["last"].dt.normalize()).dt.days
    per["r"] = _score(per["recency_days"], higher_is_better=False)
    per["f"] = _score(per["orders"], higher_is_better=True)
    per["m"] = _score(per["cents"], higher_is_better=True)
    per["segment"] = _SEGMENT_TABLE[per["r"].to_numpy() - 1, per["f"].to_numpy() - 1]
    return per


def _as_of(ctx: ReportContext) -> pd.Timestamp:
    return pd.Timestamp(ctx.today) + pd.Timedelta(days=1)


def rfm_segments(ctx: ReportContext) -> ReportFrame:
    rows = data.sales(ctx.session, None)
    rows = rows[rows["at"] < _as_of(ctx)]
    per = rfm_table(rows, pd.Timestamp(ctx.today))
    if ctx.params.segment:
        return _segment_members(ctx, per, ctx.params.segment)
    grouped = per.groupby("segment").agg(
        customers=("orders", "size"),
        recency_days=("recency_days", "mean"),
        orders=("orders", "mean"),
        cents=("cents", "sum"),
    )
    grouped = grouped.reindex(list(SEGMENTS)).dropna(subset=["customers"])
    table = grouped.reset_index()
    table["customers"] = table["customers"].astype("int64")
    table["share"] = (table["customers"] / len(per) * 100).round(1) if len(per) else 0.0
    table["recency_days"] = table["recency_days"].round(0).astype("int64")
    table["orders"] = table["orders"].round(1)
    table["cents"] = table["cents"].astype("int64")
    table["average_cents"] = (table["cents"] / table["customers"]).round().astype("int64")
    counts = dict(zip(table["segment"], table["customers"], strict=True))
    summary = [
        f"{plural(len(per), 'customer')} with purchases, as of {ctx.today:%d %b %Y}: "
        f"{counts.get('champions', 0):,} champions, {counts.get('loyal', 0):,} loyal, "
        f"{counts.get('at risk', 0):,} at risk, {counts.get('lost', 0):,} lost.",
        "Scores are quintiles of recency, frequency and spend; ask for one segment "
        '(e.g. "RFM segment at risk") to list its customers.',
    ]
    return ReportFrame(
        columns=[
            Column("segment", "Segment"),
            Column("customers", "Customers", "int"),
            Column("share", "Share", "percent"),
            Column("recency_days", "Days since last order (avg)", "int"),
            Column("orders", "Orders (avg)", "number"),
            Column("average_cents", "Spend per customer", "money"),
            Column("cents", "Total spend", "money"),
        ],
        data=table[
            ["segment", "customers", "share", "recency_days", "orders", "average_cents", "cents"]
        ],
        summary=summary,
        chart=Chart("barh", "segment", ("customers",), "Customers by RFM segment"),
    )


def _segment_members(ctx: ReportContext, per: pd.DataFrame, segment: str) -> ReportFrame:
    members = per[per["segment"] == segment].sort_values(
        ["cents", "orders"], ascending=False, kind="stable"
    )
    table = _with_numbers(ctx, members)
    table["last"] = table["last"].dt.date
    summary = [
        f"{plural(len(members), 'customer')} in the {segment} segment as of {ctx.today:%d %b %Y}"
        f" ({percent(len(members) / len(per) * 100 if len(per) else 0)} of buyers).",
        f"They spent {money(int(members['cents'].sum()))} in all; the biggest spenders first.",
    ]
    return ReportFrame(
        columns=[
            Column("customer_no", "Customer"),
            Column("r", "R", "int"),
            Column("f", "F", "int"),
            Column("m", "M", "int"),
            Column("last", "Last order", "date"),
            Column("orders", "Orders", "int"),
            Column("cents", "Spend", "money"),
        ],
        data=table[["customer_no", "r", "f", "m", "last", "orders", "cents"]],
        summary=summary,
        customer_key="customer_no",
    )


def _with_numbers(ctx: ReportContext, per: pd.DataFrame) -> pd.DataFrame:
    numbers = data.customer_numbers(ctx.session, per.index.tolist())
    out = per.reset_index()
    out.insert(0, "customer_no", [numbers[int(i)] for i in out["customer_id"]])
    return out


def _fitted_summary(ctx: ReportContext) -> pd.DataFrame:
    rows = data.sales(ctx.session, None)
    rows = rows[rows["at"] < _as_of(ctx)]
    summary = clv.summarise(
        rows.assign(amount=rows["cents"] / 100),
        calibration_end=pd.Timestamp(ctx.today),
        customer_col="customer_id",
        date_col="at",
        amount_col="amount",
    )
    totals = rows.groupby("customer_id")["cents"].sum()
    summary["cents"] = totals.reindex(summary.index).fillna(0).astype("int64")
    return summary


def churn_risk(ctx: ReportContext) -> ReportFrame:
    """Repeat customers the BG/NBD model thinks have probably stopped buying. (The model
    gives a one-time buyer P(alive) = 1, so they are never listed here.)"""
    summary = _fitted_summary(ctx)
    params = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    summary["p_alive"] = clv.probability_alive(
        params, summary["frequency"], summary["recency"], summary["T"]
    )
    repeat = summary[summary["frequency"] > 0]
    lapsed = repeat[repeat["p_alive"] < CHURN_THRESHOLD].sort_values(
        ["cents", "p_alive"], ascending=[False, True], kind="stable"
    )
    top = ctx.params.top or 20
    table = _with_numbers(ctx, lapsed.head(top))
    table["orders"] = table["frequency"].astype("int64") + 1
    table["weeks_since"] = (table["T"] - table["recency"]).round(1)
    table["p_alive"] = (table["p_alive"] * 100).round(1)
    share = len(lapsed) / len(repeat) * 100 if len(repeat) else 0.0
    lines = [
        f"{plural(len(lapsed), 'repeat customer')} of {len(repeat):,} ({percent(share)}) are "
        f"likely lapsed (chance still active under {CHURN_THRESHOLD:.0%}), as of "
        f"{ctx.today:%d %b %Y}; together they spent {money(int(lapsed['cents'].sum()))}.",
        f"BG/NBD fitted on {plural(len(summary), 'customer')} (r={params.r:.3f}, "
        f"alpha={params.alpha:.3f}, a={params.a:.3f}, b={params.b:.3f}); top {top} by past spend.",
    ]
    return ReportFrame(
        columns=[
            Column("customer_no", "Customer"),
            Column("orders", "Purchase days", "int"),
            Column("weeks_since", "Weeks since last", "number"),
            Column("p_alive", "Chance still active", "percent"),
            Column("cents", "Past spend", "money"),
        ],
        data=table[["customer_no", "orders", "weeks_since", "p_alive", "cents"]],
        summary=lines,
        chart=Chart(
            "barh",
            "customer_no",
            ("p_alive",),
            "Chance still active, biggest past spenders at risk",
            "%",
        ),
        customer_key="customer_no",
    )


def customer_value(ctx: ReportContext) -> ReportFrame:
    summary = _fitted_summary(ctx)
    bgnbd = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    spend = clv.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    summary["expected_purchases"] = clv.expected_purchases(
        bgnbd, VALUE_HORIZON_WEEKS, summary["frequency"], summary["recency"], summary["T"]
    )
    summary["expected_spend"] = clv.expected_average_spend(
        spend, summary["frequency"], summary["monetary_value"]
    )
    summary["expected_cents"] = (
        (summary["expected_purchases"] * summary["expected_spend"] * 100).round().astype("int64")
    )
    ranked = summary.sort_values("expected_cents", ascending=False, kind="stable")
    table = _with_numbers(ctx, ranked.head(ctx.params.top or 20))
    table["expected_purchases"] = table["expected_purchases"].round(2)
    table["average_cents"] = (table["expected_spend"] * 100).round().astype("int64")
    total = int(summary["expected_cents"].sum())
    lines = [
        f"Expected in the next {VALUE_HORIZON_WEEKS} weeks from {plural(len(summary), 'customer')}:"
        f" {summary['expected_purchases'].sum():,.0f} repeat purchases worth {money(total)}.",
        f"BG/NBD for purchases, Gamma-Gamma for spend (p={spend.p:.2f}, q={spend.q:.2f}, "
        f"v={spend.v:.2f}), fitted on purchases up to {ctx.today:%d %b %Y}.",
    ]
    return ReportFrame(
        columns=[
            Column("customer_no", "Customer"),
            Column("expected_purchases", "Expected purchases", "number"),
            Column("average_cents", "Expected spend per purchase", "money"),
            Column("expected_cents", "Expected spend", "money"),
            Column("cents", "Past spend", "money"),
        ],
        data=table[
            ["customer_no", "expected_purchases", "average_cents", "expected_cents", "cents"]
        ],
        summary=lines,
        chart=Chart("barh", "customer_no", ("expected_cents",), "Highest expected spend", "HKD"),
        customer_key="customer_no",
    )
