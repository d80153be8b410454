"""Forecast and backtest: BG/NBD + Gamma-Gamma fitted on the purchases before a holdout
period, predicted purchases in it compared with what customers really did."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from crm_backend.reports import clv, data
from crm_backend.reports.base import Chart, Column, ReportContext, ReportFrame, percent
from crm_backend.reports.periods import Period


def run_backtest(session: Session, *, calibration_end: date, holdout_end: date) -> clv.Backtest:
    """The backtest over every sale up to ``holdout_end`` (both ends inclusive days)."""
    until = Period(
        start=date(1990, 1, 1),
        end=holdout_end + timedelta(days=1),
        label="",
        kind="range",
    )
    rows = data.sales(session, until)
    return clv.backtest(
        rows.assign(amount=rows["cents"] / 100),
        calibration_end=pd.Timestamp(calibration_end),
        holdout_end=pd.Timestamp(holdout_end),
        customer_col="customer_id",
        date_col="at",
        amount_col="amount",
    )


def forecast_backtest(ctx: ReportContext) -> ReportFrame:
    period = ctx.params.period
    assert period is not None
    calibration_end = period.start - timedelta(days=1)
    result = run_backtest(
        ctx.session, calibration_end=calibration_end, holdout_end=period.end - timedelta(days=1)
    )
    if result.actual:
        error = (result.predicted - result.actual) / result.actual * 100
        outcome = f"they made {result.actual:,} ({percent(error)} off)"
    else:
        outcome = "they made none"
    weekly = result.weekly.copy()
    weekly["predicted_cumulative"] = weekly["predicted_cumulative"].round(1)
    weekly["week_end"] = pd.to_datetime(weekly["week_end"]).dt.date
    summary = [
        f"For {period.label}: the model predicted {result.predicted:,.0f} repeat purchases by "
        f"{result.customers:,} customers; {outcome}.",
        f"Fitted on purchases up to {calibration_end:%d %b %Y}; mean absolute error "
        f"{result.mae:.2f} purchases per customer.",
    ]
    return ReportFrame(
        columns=[
            Column("week", "Week", "int"),
            Column("week_end", "Week ending", "date"),
            Column("predicted_cumulative", "Predicted (cumulative)", "number"),
            Column("actual_cumulative", "Actual (cumulative)", "int"),
        ],
        data=weekly[["week", "week_end", "predicted_cumulative", "actual_cumulative"]],
        summary=summary,
        chart=Chart(
            "line",
            "week_end",
            ("predicted_cumulative", "actual_cumulative"),
            f"Repeat purchases in {period.label}: predicted vs actual",
            "purchases",
        ),
    )
