"""Complaint reports: volumes by dimension, SLA performance, and satisfaction (CSAT)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_backend.reports import data
from crm_backend.reports.base import (
    Chart,
    Column,
    ReportContext,
    ReportFrame,
    change,
    percent,
    plural,
)
from crm_backend.reports.periods import HONG_KONG

COMPLAINT_DIMENSIONS = ("category", "status", "priority", "channel")
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "awaiting_customer")
FINISHED = ("resolved", "closed")


def _label(value: str) -> str:
    return value.replace("_", " ")


def _share(counts: pd.Series) -> pd.Series:
    total = counts.sum()
    return (counts / total * 100).round(1) if total else counts * 0.0


def complaints_summary(ctx: ReportContext) -> ReportFrame:
    period = ctx.params.period
    dimension = ctx.params.dimension or COMPLAINT_DIMENSIONS[0]
    assert period is not None
    rows = data.complaints(ctx.session, period)
    previous = len(data.complaints(ctx.session, period.previous()))
    rows["open"] = rows["status"].isin(OPEN_STATUSES)
    grouped = rows.groupby(dimension).agg(complaints=("status", "size"), open=("open", "sum"))
    grouped = grouped.sort_values(["complaints"], ascending=False, kind="stable")
    table = pd.DataFrame(
        {
            dimension: [_label(str(v)) for v in grouped.index],
            "complaints": grouped["complaints"].astype(int).to_numpy(),
            "share": _share(grouped["complaints"]).to_numpy(),
            "open": grouped["open"].astype(int).to_numpy(),
        }
    )
    total, still_open = len(rows), int(rows["open"].sum())
    summary = [
        f"{plural(total, 'complaint')} in {period.label}; {still_open:,} still open "
        f"({change(total, previous)}).",
        (
            f"Most by {_label(dimension)}: {table.iloc[0][dimension]} with "
            f"{int(table.iloc[0]['complaints']):,} ({percent(float(table.iloc[0]['share']))})."
            if total
            else "There is nothing to break down."
        ),
    ]
    return ReportFrame(
        columns=[
            Column(dimension, _label(dimension).capitalize()),
            Column("complaints", "Complaints", "int"),
            Column("share", "Share", "percent"),
            Column("open", "Still open", "int"),
        ],
        data=table,
        summary=summary,
        chart=Chart("barh", dimension, ("complaints",), f"Complaints by {_label(dimension)}"),
    )


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds() / 3600


def complaint_sla(ctx: ReportContext) -> ReportFrame:
    """A target is breached when it was met late, or is still unmet and already past."""
    period = ctx.params.period
    dimension = ctx.params.dimension or "priority"
    assert period is not None
    rows = data.complaints(ctx.session, period)
    now = pd.Timestamp(ctx.now.astimezone(HONG_KONG).replace(tzinfo=None))
    responded_by = rows["first_responded"].fillna(now)
    rows["response_breach"] = responded_by > rows["first_response_due"]
    finished = rows["status"].isin(FINISHED)
    # A withdrawn complaint is closed without a resolution: no resolution target applies.
    rows["resolution_counts"] = rows["resolved"].notna() | ~finished
    resolved_by = rows["resolved"].fillna(now)
    rows["resolution_breach"] = rows["resolution_counts"] & (resolved_by > rows["resolution_due"])
    rows["response_hours"] = _hours(rows["first_responded"], rows["created"])
    rows["resolution_hours"] = _hours(rows["resolved"], rows["created"])

    def summarise(group: pd.DataFrame) -> pd.Series:
        counted = int(group["resolution_counts"].sum())
        return pd.Series(
            {
                "complaints": len(group),
                "response_breaches": int(group["response_breach"].sum()),
                "response_breach_rate": _rate(int(group["response_breach"].sum()), len(group)),
                "resolution_breaches": int(group["resolution_breach"].sum()),
                "resolution_breach_rate": _rate(int(group["resolution_breach"].sum()), counted),
                "median_response_hours": _median(group["response_hours"]),
                "median_resolution_hours": _median(group["resolution_hours"]),
            }
        )

    columns = list(summarise(rows.iloc[0:0]).index)
    parts = [summarise(group).rename(_label(str(key))) for key, group in rows.groupby(dimension)]
    table = pd.DataFrame(parts, columns=columns)
    table.index.name = dimension
    table = table.reset_index()
    overall = summarise(rows)
    summary = [
        f"{plural(len(rows), 'complaint')} opened in {period.label}: "
        f"{percent(overall['response_breach_rate'])} missed the first-response target, "
        f"{percent(overall['resolution_breach_rate'])} the resolution target.",
        f"Median first response {_say_hours(overall['median_response_hours'])}, "
        f"median resolution {_say_hours(overall['median_resolution_hours'])}.",
    ]
    return ReportFrame(
        columns=[
            Column(dimension, _label(dimension).capitalize()),
            Column("complaints", "Complaints", "int"),
            Column("response_breaches", "First-response breaches", "int"),
            Column("response_breach_rate", "First-response breach rate", "percent"),
            Column("resolution_breaches", "Resolution breaches", "int"),
            Column("resolution_breach_rate", "Resolution breach rate", "percent"),
            Column("median_response_hours", "Median first response (h)", "hours"),
            Column("median_resolution_hours", "Median resolution (h)", "hours"),
        ],
        data=table,
        summary=summary,
        chart=Chart(
            "bar",
            dimension,
            ("response_breach_rate", "resolution_breach_rate"),
            f"SLA breach rate by {_label(dimension)}",
            "%",
        ),
    )


def _rate(part: int, whole: int) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def _median(hours: pd.Series) -> float:
    values = hours.dropna()
    return round(float(values.median()), 1) if len(values) else float("nan")


def _say_hours(value: float) -> str:
    return "n/a (none yet)" if np.isnan(value) else f"{value:.1f} h"


CSAT_DIMENSIONS = ("source", "category", "store")


def csat(ctx: ReportContext) -> ReportFrame:
    """Satisfaction: 1-5 answers to complaint follow-ups and rated feedback."""
    period = ctx.params.period
    dimension = ctx.params.dimension or CSAT_DIMENSIONS[0]
    assert period is not None
    rows = data.ratings(ctx.session, period)
    rows["satisfied"] = rows["score"] >= 4
    grouped = rows.groupby(dimension).agg(
        answers=("score", "size"), average=("score", "mean"), satisfied=("satisfied", "sum")
    )
    table = pd.DataFrame(
        {
            dimension: [_label(str(v)) for v in grouped.index],
            "answers": grouped["answers"].astype(int).to_numpy(),
            "average": grouped["average"].round(2).to_numpy(),
            "satisfied_share": (grouped["satisfied"] / grouped["answers"] * 100)
            .round(1)
            .to_numpy(),
        }
    )
    for score in range(1, 6):
        counts = rows[rows["score"] == score].groupby(dimension).size()
        table[f"score_{score}"] = [int(counts.get(key, 0)) for key in grouped.index]
    table = table.sort_values("answers", ascending=False, kind="stable").reset_index(drop=True)
    answers = len(rows)
    average = float(rows["score"].mean()) if answers else float("nan")
    summary = [
        (
            f"CSAT {average:.2f} out of 5 from {plural(answers, 'answer')} in {period.label}; "
            f"{percent(rows['satisfied'].mean() * 100)} satisfied (4 or 5)."
            if answers
            else f"No satisfaction answers in {period.label}."
        ),
        f"Unhappy (1 or 2): {int((rows['score'] <= 2).sum()):,}.",
    ]
    return ReportFrame(
        columns=[
            Column(dimension, _label(dimension).capitalize()),
            Column("answers", "Answers", "int"),
            Column("average", "Average (1-5)", "number"),
            Column("satisfied_share", "Satisfied", "percent"),
            *(Column(f"score_{s}", f"{s}", "int") for s in range(1, 6)),
        ],
        data=table,
        summary=summary,
        chart=Chart("bar", dimension, ("average",), f"Average satisfaction by {_label(dimension)}"),
    )
