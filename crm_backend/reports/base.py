"""The shapes every report shares: its parameters, its result, and its entry in the catalogue.

A report's ``compute`` turns parameters and a database session into a ``ReportFrame``: a
pandas table with typed columns, a two-line summary and, where a picture helps, a chart.
Personal fields (names, contacts) are never computed or stored by a report: a report that
lists customers returns their ``customer_no`` and the runner adds what the caller's
department may see, so snapshots hold no personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy.orm import Session

from crm_backend.reports.periods import Period

ColumnKind = Literal["text", "int", "number", "money", "percent", "date", "hours"]
Source = Literal["live", "snapshot"]
CURRENCY = "HKD"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """What to draw: ``x`` against each of ``series`` (column keys of the table)."""

    kind: Literal["bar", "barh", "line"]
    x: str
    series: tuple[str, ...]
    title: str
    y_label: str = ""


@dataclass(frozen=True)
class ReportParams:
    """Resolved parameters: what the report was asked for, after defaults and checks."""

    period: Period | None = None
    dimension: str | None = None
    top: int | None = None
    segment: str | None = None

    def key(self) -> dict[str, Any]:
        """The canonical form: names a snapshot and is signed into download links."""
        out: dict[str, Any] = {}
        if self.period is not None:
            out["start"] = self.period.start.isoformat()
            out["end"] = self.period.end.isoformat()
        for name in ("dimension", "top", "segment"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in self.key().items() if k not in ("start", "end")}
        if self.period is not None:
            out["period"] = self.period.as_dict()
        return out


@dataclass
class ReportFrame:
    columns: list[Column]
    data: pd.DataFrame
    summary: list[str]
    chart: Chart | None = None
    # Column key holding customer numbers: the runner adds the personal fields beside it.
    customer_key: str | None = None


@dataclass(frozen=True)
class ReportContext:
    session: Session
    params: ReportParams
    now: datetime

    @property
    def today(self) -> date:
        from crm_backend.reports.periods import HONG_KONG

        return self.now.astimezone(HONG_KONG).date()


@dataclass(frozen=True)
class TopRange:
    default: int
    maximum: int


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    description: str
    compute: Callable[[ReportContext], ReportFrame]
    # The first dimension is the default; an empty tuple means the report has none.
    dimensions: tuple[str, ...] = ()
    # None: the report takes no period. Else the expression used when none is given.
    default_period: str | None = None
    top: TopRange | None = None
    segments: tuple[str, ...] = ()
    # "live": computed on every request; "snapshot": answered from the last `crm reports
    # refresh` when one exists for these parameters (the model fits take seconds).
    default_source: Source = "live"
    # Parameter sets the refresh pre-calculates (period expressions are resolved each run).
    snapshot_presets: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def takes_period(self) -> bool:
        return self.default_period is not None


def money(cents: int | float) -> str:
    """HKD 1,234.50 from integer cents, exactly."""
    # int(): numpy floats round to floats.
    amount = (Decimal(int(round(cents))) / 100).quantize(Decimal("0.01"))  # noqa: RUF046
    return f"{CURRENCY} {amount:,.2f}"


def percent(value: float) -> str:
    return f"{value:.1f}%"


def change(current: float, previous: float) -> str:
    """'+12.5% vs the previous period' (or 'no sales in the previous period')."""
    if previous == 0:
        return "nothing in the previous period to compare with"
    delta = (current - previous) / previous * 100
    return f"{delta:+.1f}% vs the previous period"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
