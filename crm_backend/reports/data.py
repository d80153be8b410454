"""Reading the tables reports need into pandas, with the period filter pushed into SQL.

Times come out as Hong Kong local wall-clock values (naive ``datetime64``) and money as
integer cents, so sums are exact and grouping by day, week or month is plain pandas.
Timestamps are read as epoch seconds computed by the database: turning a million ORM
datetimes into Python objects costs more than the whole report.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, cast, func, literal_column, select
from sqlalchemy.orm import Session

from crm_backend.models import (
    AuditLogEntry,
    Complaint,
    Consent,
    Customer,
    Feedback,
    MarketingPreference,
    Order,
)
from crm_backend.models.enums import OrderStatus
from crm_backend.reports.periods import Period

# A SELECT of any columns (SQLAlchemy 2.1's Select is generic over its column types).
Query = Any
# Hong Kong has kept UTC+8 without daylight saving since 1979.
HK_OFFSET_SECONDS = 8 * 3600
# Orders that count as sales: everything but what was cancelled or sent back.
NOT_SALES = (OrderStatus.CANCELLED, OrderStatus.RETURNED)


def epoch_seconds(session: Session, column: Any) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        if sqlite3.sqlite_version_info >= (3, 38):  # unixepoch(): 2x faster than strftime
            return cast(func.unixepoch(column), BigInteger)
        return cast(func.strftime("%s", column), BigInteger)
    # floor: a cast rounds on PostgreSQL, so 23:59:59.6 would land on the next day.
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def cents(column: Any) -> ColumnElement[int]:
    return cast(func.round(column * 100), BigInteger)


def local_times(seconds: pd.Series) -> pd.Series:
    """Epoch seconds (nullable) to Hong Kong wall-clock times."""
    numbers = pd.to_numeric(seconds, errors="coerce")
    return pd.to_datetime(numbers + HK_OFFSET_SECONDS, unit="s")


def within(query: Query, column: Any, period: Period | None) -> Query:
    if period is None:
        return query
    return query.where(column >= period.start_utc(), column < period.end_utc())


def frame(session: Session, query: Query, columns: Sequence[str]) -> pd.DataFrame:
    # Core, not Session.execute: the ORM's per-row handling costs ~30 s per million rows.
    # Plain tuples: pandas probes each Row object's attributes, which costs another second.
    rows = session.connection().execute(query).all()
    return pd.DataFrame.from_records([tuple(row) for row in rows], columns=list(columns))


def bulk_frame(session: Session, query: Query, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` for up to millions of rows of plain numbers and text: the driver's tuples
    as they come, without SQLAlchemy's per-row work (~4 s per million rows); an enum column
    comes out as its stored string."""
    result = session.connection().execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=list(columns))


def sales_total(session: Session, period: Period) -> int:
    """The sales of ``period`` in cents, summed by the database (a comparison figure needs
    no rows)."""
    query = select(func.coalesce(func.sum(cents(Order.total_amount)), 0)).where(
        Order.status.not_in(NOT_SALES)
    )
    return int(session.connection().scalar(within(query, Order.ordered_at, period)) or 0)


def sales(session: Session, period: Period | None) -> pd.DataFrame:
    """One row per order that counts as a sale: customer_id, at (HK time), cents, channel,
    store."""
    query = select(
        Order.customer_id,
        epoch_seconds(session, Order.ordered_at),
        cents(Order.total_amount),
        Order.channel,
        Order.store_name,
    ).where(Order.status.not_in(NOT_SALES))
    data = bulk_frame(
        session,
        within(query, Order.ordered_at, period),
        ["customer_id", "at", "cents", "channel", "store"],
    )
    data["at"] = local_times(data["at"])
    data["cents"] = data["cents"].astype("int64")
    return data


def customer_numbers(session: Session, customer_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        query = select(Customer.id, Customer.customer_no).where(Customer.id.in_(batch))
        found.update({row_id: number for row_id, number in session.execute(query)})
    return found


def complaints(session: Session, period: Period | None) -> pd.DataFrame:
    """Complaints opened in the period, with their SLA times as HK wall-clock values."""
    times = {
        "created": Complaint.created_at,
        "first_response_due": Complaint.first_response_due_at,
        "first_responded": Complaint.first_responded_at,
        "resolution_due": Complaint.resolution_due_at,
        "resolved": Complaint.resolved_at,
    }
    query = select(
        Complaint.category,
        Complaint.status,
        Complaint.priority,
        Complaint.channel,
        *(epoch_seconds(session, column) for column in times.values()),
    )
    data = frame(
        session,
        within(query, Complaint.created_at, period),
        ["category", "status", "priority", "channel", *times],
    )
    for name in ("category", "status", "priority", "channel"):
        data[name] = data[name].astype(str)
    for name in times:
        data[name] = local_times(data[name])
    return data


def ratings(session: Session, period: Period | None) -> pd.DataFrame:
    """Satisfaction answers: complaint follow-ups (CSAT) and rated feedback, one frame."""
    answered: Query = select(
        Complaint.csat_score, Complaint.category, literal_column("NULL")
    ).where(Complaint.csat_score.is_not(None))
    followups = frame(
        session, within(answered, Complaint.csat_at, period), ["score", "category", "store"]
    )
    followups["source"] = "complaint follow-up"
    rated = select(Feedback.rating, Feedback.kind, Feedback.store_name).where(
        Feedback.rating.is_not(None)
    )
    feedback = frame(
        session, within(rated, Feedback.created_at, period), ["score", "category", "store"]
    )
    feedback["source"] = "feedback"
    both = pd.concat([followups, feedback], ignore_index=True)
    both["score"] = both["score"].astype("int64")
    both["category"] = both["category"].astype(str)
    both["store"] = both["store"].fillna("online / none").astype(str)
    return both


def consents(session: Session, period: Period | None) -> pd.DataFrame:
    query = select(Consent.purpose, Consent.granted, Consent.channel)
    return frame(
        session, within(query, Consent.created_at, period), ["purpose", "granted", "channel"]
    )


def marketing_choices(session: Session) -> pd.DataFrame:
    query = select(MarketingPreference.channel, MarketingPreference.opted_in)
    return frame(session, query, ["channel", "opted_in"])


def audit_entries(session: Session, period: Period | None) -> pd.DataFrame:
    query = select(
        AuditLogEntry.actor_type,
        AuditLogEntry.actor_id,
        AuditLogEntry.action,
        AuditLogEntry.record_type,
        AuditLogEntry.purpose,
    )
    return frame(
        session,
        within(query, AuditLogEntry.created_at, period),
        ["actor_type", "actor", "action", "record_type", "purpose"],
    )


def customer_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Customer)) or 0)
