"""Storing and reading pre-calculated report results (one row per report and parameters)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_backend.models import ReportSnapshot
from crm_backend.reports.base import Chart, Column, ReportFrame, ReportParams


def _key(params: ReportParams) -> str:
    return json.dumps(params.key(), sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date | datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def encode(frame: ReportFrame) -> str:
    rows = [[_plain(v) for v in row] for row in frame.data.itertuples(index=False, name=None)]
    return json.dumps(
        {
            "columns": [asdict(column) for column in frame.columns],
            "keys": list(frame.data.columns),
            "rows": rows,
            "summary": frame.summary,
            "chart": asdict(frame.chart) if frame.chart else None,
            "customer_key": frame.customer_key,
        }
    )


def decode(payload: str) -> ReportFrame:
    raw = json.loads(payload)
    columns = [Column(**column) for column in raw["columns"]]
    data = pd.DataFrame(raw["rows"], columns=raw["keys"])
    for column in columns:
        if column.kind == "date" and column.key in data:
            data[column.key] = pd.to_datetime(data[column.key]).dt.date
    chart = raw["chart"]
    return ReportFrame(
        columns=columns,
        data=data,
        summary=list(raw["summary"]),
        chart=Chart(**{**chart, "series": tuple(chart["series"])}) if chart else None,
        customer_key=raw["customer_key"],
    )


def load(
    session: Session, report: str, params: ReportParams
) -> tuple[ReportFrame, datetime] | None:
    row = session.scalar(
        select(ReportSnapshot).where(
            ReportSnapshot.report == report, ReportSnapshot.params_key == _key(params)
        )
    )
    return None if row is None else (decode(row.payload), row.as_of)


def save(
    session: Session, report: str, params: ReportParams, frame: ReportFrame, as_of: datetime
) -> None:
    """Replace the snapshot for these parameters (the newest is the only one kept)."""
    key = _key(params)
    session.execute(
        delete(ReportSnapshot).where(
            ReportSnapshot.report == report, ReportSnapshot.params_key == key
        )
    )
    session.add(ReportSnapshot(report=report, params_key=key, as_of=as_of, payload=encode(frame)))
    session.flush()
