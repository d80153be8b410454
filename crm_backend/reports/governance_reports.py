"""Governance reports: profile data quality, consent and marketing choices, and who
accessed personal data (compliance)."""

from __future__ import annotations

import pandas as pd

from crm_backend.reports import data
from crm_backend.reports.base import Chart, Column, ReportContext, ReportFrame, percent, plural
from crm_backend.services.consents import marketing_purpose
from crm_backend.services.data_quality import PROBLEMS, quality_summary

AUDIT_DIMENSIONS = ("action", "record_type", "actor_type", "purpose", "actor")


def data_quality(ctx: ReportContext) -> ReportFrame:
    counts = quality_summary(ctx.session, ctx.now)
    customers = data.customer_count(ctx.session)
    table = pd.DataFrame(
        {
            "problem": [problem.replace("_", " ") for problem in PROBLEMS],
            "customers": [counts[problem] for problem in PROBLEMS],
        }
    )
    table["share"] = (table["customers"] / customers * 100).round(1) if customers else 0.0
    worst = table.sort_values("customers", ascending=False, kind="stable").iloc[0]
    summary = [
        f"Of {plural(customers, 'customer profile')}, {int(worst['customers']):,} "
        f"({percent(float(worst['share']))}) have the commonest gap: {worst['problem']}.",
        "Customers are asked at most every 90 days, in chat, to complete their profile.",
    ]
    return ReportFrame(
        columns=[
            Column("problem", "Problem"),
            Column("customers", "Customers", "int"),
            Column("share", "Share of profiles", "percent"),
        ],
        data=table,
        summary=summary,
        chart=Chart("barh", "problem", ("customers",), "Profile gaps"),
    )


def consent_summary(ctx: ReportContext) -> ReportFrame:
    period = ctx.params.period
    assert period is not None
    choices = data.marketing_choices(ctx.session)
    choices["channel"] = choices["channel"].astype(str)
    ledger = data.consents(ctx.session, period)
    customers = data.customer_count(ctx.session)
    rows = []
    for channel in ("email", "sms", "phone"):
        mine = choices[choices["channel"] == channel]
        purpose = ledger[ledger["purpose"] == marketing_purpose(channel)]
        rows.append(
            {
                "channel": channel,
                "opted_in": int(mine["opted_in"].sum()),
                "share": round(int(mine["opted_in"].sum()) / customers * 100, 1)
                if customers
                else 0.0,
                "granted": int(purpose["granted"].sum()),
                "withdrawn": int((~purpose["granted"].astype(bool)).sum()),
            }
        )
    table = pd.DataFrame(rows)
    summary = [
        "Opted in to direct marketing now: "
        + ", ".join(
            f"{r['channel']} {r['opted_in']:,} ({percent(float(r['share']))})" for r in rows
        )
        + f" of {customers:,} customers.",
        f"In {period.label}: {int(ledger['granted'].sum()):,} consents given and "
        f"{int((~ledger['granted'].astype(bool)).sum()):,} refused or withdrawn (all purposes).",
    ]
    return ReportFrame(
        columns=[
            Column("channel", "Channel"),
            Column("opted_in", "Opted in now", "int"),
            Column("share", "Share of customers", "percent"),
            Column("granted", "Opt-ins in period", "int"),
            Column("withdrawn", "Opt-outs in period", "int"),
        ],
        data=table,
        summary=summary,
        chart=Chart("bar", "channel", ("opted_in",), "Marketing opt-ins by channel"),
    )


def audit_access(ctx: ReportContext) -> ReportFrame:
    period = ctx.params.period
    dimension = ctx.params.dimension or AUDIT_DIMENSIONS[0]
    assert period is not None
    entries = data.audit_entries(ctx.session, period)
    entries["actor_type"] = entries["actor_type"].astype(str)
    entries["actor"] = entries["actor"].fillna("(" + entries["actor_type"] + ")")
    counts = entries.groupby(dimension).size().sort_values(ascending=False, kind="stable")
    table = pd.DataFrame({dimension: counts.index.astype(str), "entries": counts.to_numpy()})
    table["share"] = (table["entries"] / len(entries) * 100).round(1) if len(entries) else 0.0
    summary = [
        f"{plural(len(entries), 'access', 'accesses')} to personal data logged in "
        f"{period.label}{_by_whom(entries)}.",
        (
            f"Most by {dimension.replace('_', ' ')}: {table.iloc[0][dimension]} "
            f"({int(table.iloc[0]['entries']):,})."
            if len(table)
            else "Nothing was logged."
        ),
    ]
    return ReportFrame(
        columns=[
            Column(dimension, dimension.replace("_", " ").capitalize()),
            Column("entries", "Entries", "int"),
            Column("share", "Share", "percent"),
        ],
        data=table,
        summary=summary,
        chart=Chart("barh", dimension, ("entries",), f"Audit entries by {dimension}"),
    )


def _by_whom(entries: pd.DataFrame) -> str:
    """': 3 by 2 staff members, 1 by customers, 1 by the system or the bot' (empty: '')."""
    kinds = entries["actor_type"]
    staff = entries[kinds == "staff"]
    parts = [f"{len(staff):,} by {plural(int(staff['actor'].nunique()), 'staff member')}"]
    parts.append(f"{int((kinds == 'customer').sum()):,} by customers")
    parts.append(f"{int(kinds.isin(['system', 'bot']).sum()):,} by the system or the bot")
    return ": " + ", ".join(parts) if len(entries) else ""
