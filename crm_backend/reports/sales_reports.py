"""Sales reports: totals by channel, store or month with growth, and the top customers."""

from __future__ import annotations

import pandas as pd

from crm_backend.reports import data
from crm_backend.reports.base import (
    Chart,
    Column,
    ReportContext,
    ReportFrame,
    change,
    money,
    percent,
    plural,
)

SALES_DIMENSIONS = ("total", "channel", "store", "month")
_GROUP_LABELS = {"total": "Scope", "channel": "Channel", "store": "Store", "month": "Month"}


def sales_by(rows: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Sales, orders, average order value and share per ``dimension`` value, largest first
    (months in calendar order). ``rows`` is ``data.sales`` output."""
    if dimension == "total":
        keys = pd.Series(["all sales"] * len(rows), index=rows.index)
    elif dimension == "month":
        keys = rows["at"].dt.strftime("%Y-%m")
    elif dimension == "store":
        keys = rows["store"].where(rows["channel"] == "store", "online")
    else:
        keys = rows["channel"].astype(str)
    grouped = rows.groupby(keys.rename(dimension)).agg(
        cents=("cents", "sum"), orders=("cents", "size")
    )
    if dimension == "month":
        grouped = grouped.sort_index()
    else:
        grouped = grouped.sort_values("cents", ascending=False, kind="stable")
    total = int(grouped["cents"].sum())
    out = grouped.reset_index()
    out["cents"] = out["cents"].astype("int64")
    out["orders"] = out["orders"].astype("int64")
    out["average_cents"] = (out["cents"] / out["orders"]).round().astype("int64")
    out["share"] = (out["cents"] / total * 100).round(1) if total else 0.0
    return out


def sales_summary(ctx: ReportContext) -> ReportFrame:
    period = ctx.params.period
    dimension = ctx.params.dimension or SALES_DIMENSIONS[0]
    assert period is not None
    rows = data.sales(ctx.session, period)
    table = sales_by(rows, dimension)
    total, orders = int(rows["cents"].sum()), len(rows)
    previous_total = data.sales_total(ctx.session, period.previous())
    first = (
        f"Sales in {period.label}: {money(total)} from {plural(orders, 'order')}"
        + (f" (average {money(total / orders)})" if orders else "")
        + f"; {change(total, previous_total)} ({period.previous().label}: {money(previous_total)})."
    )
    if dimension in ("channel", "store") and len(table):
        parts = [
            f"{row[dimension]} {money(row['cents'])} ({percent(row['share'])})"
            for row in table.head(3).to_dict("records")
        ]
        second = "By " + dimension + ": " + ", ".join(parts) + "."
    elif dimension == "month" and len(table):
        best = table.loc[table["cents"].idxmax()]
        second = f"Best month: {best['month']} with {money(best['cents'])}."
    else:
        second = f"{plural(rows['customer_id'].nunique(), 'customer')} bought in the period."
    label = _GROUP_LABELS.get(dimension, "Sales")
    return ReportFrame(
        columns=[
            Column(dimension, label),
            Column("cents", "Sales", "money"),
            Column("orders", "Orders", "int"),
            Column("average_cents", "Average order", "money"),
            Column("share", "Share", "percent"),
        ],
        data=table,
        summary=[first, second],
        chart=(
            None
            if dimension == "total"
            else Chart(
                "line" if dimension == "month" else "bar",
                dimension,
                ("cents",),
                f"Sales by {dimension}, {period.label}",
                "HKD",
            )
        ),
    )


def top_customers(ctx: ReportContext) -> ReportFrame:
    period = ctx.params.period
    top = ctx.params.top or 10
    assert period is not None
    rows = data.sales(ctx.session, period)
    per_customer = (
        rows.groupby("customer_id")
        .agg(cents=("cents", "sum"), orders=("cents", "size"), last=("at", "max"))
        .reset_index()
        # Equal spend: the lower customer id first, so the order never changes between runs.
        .sort_values(["cents", "customer_id"], ascending=[False, True], kind="stable")
    )
    total = int(rows["cents"].sum())
    numbers = data.customer_numbers(ctx.session, per_customer["customer_id"].head(top).tolist())
    shown = per_customer.head(top).copy()
    shown.insert(0, "rank", range(1, len(shown) + 1))
    shown["customer_no"] = [numbers[int(i)] for i in shown["customer_id"]]
    shown["share"] = (shown["cents"] / total * 100).round(1) if total else 0.0
    shown["last"] = shown["last"].dt.date
    top_cents = int(shown["cents"].sum())
    summary = [
        f"Top {plural(len(shown), 'customer')} in {period.label} spent {money(top_cents)}, "
        f"{percent(top_cents / total * 100 if total else 0)} of {money(total)} in sales.",
        (
            f"Number 1: {shown.iloc[0]['customer_no']} with {money(shown.iloc[0]['cents'])} "
            f"over {plural(int(shown.iloc[0]['orders']), 'order')}."
            if len(shown)
            else "Nobody bought in the period."
        ),
    ]
    table = shown[["rank", "customer_no", "orders", "cents", "share", "last"]]
    return ReportFrame(
        columns=[
            Column("rank", "#", "int"),
            Column("customer_no", "Customer"),
            Column("orders", "Orders", "int"),
            Column("cents", "Spend", "money"),
            Column("share", "Share of sales", "percent"),
            Column("last", "Last order", "date"),
        ],
        data=table.reset_index(drop=True),
        summary=summary,
        chart=Chart("barh", "customer_no", ("cents",), f"Top customers, {period.label}", "HKD"),
        customer_key="customer_no",
    )
