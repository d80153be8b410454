"""Turning a report frame into what people read: display text, CSV, XLSX and a chart PNG.

Money is held as integer cents and written as exact HKD amounts; the CSV and XLSX carry
the full result with plain values, the chat shows the top rows as formatted text.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Figure without pyplot: pyplot's global state is not safe in the server's worker threads.
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from crm_backend.reports.base import CURRENCY, Column, ReportFrame, money

CHART_ROWS = 15  # bars beyond this make an unreadable picture


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def display(value: Any, kind: str) -> str:
    if _missing(value):
        return "-"
    if kind == "money":
        return money(value)
    if kind == "int":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{float(value):.1f}%"
    if kind in ("number", "hours"):
        return f"{float(value):,.2f}" if kind == "number" else f"{float(value):,.1f}"
    if kind == "date" and isinstance(value, date | datetime):
        return f"{value:%d %b %Y}"
    return str(value)


def plain(value: Any, kind: str) -> Any:
    """The value for a file: exact decimal HKD for money, numbers as numbers."""
    if _missing(value):
        return None
    if kind == "money":
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
    if kind == "int":
        return int(value)
    if kind in ("percent", "number", "hours"):
        return float(value)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (a store or customer name typed as
    ``=HYPERLINK(...)``) is written with a leading apostrophe, as OWASP advises."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _header(column: Column) -> str:
    return f"{column.label} ({CURRENCY})" if column.kind == "money" else column.label


def rows_of(frame: ReportFrame, limit: int | None = None) -> list[list[Any]]:
    keys = [c.key for c in frame.columns]
    records = frame.data[keys].itertuples(index=False, name=None)
    out = []
    for number, record in enumerate(records):
        if limit is not None and number >= limit:
            break
        out.append(list(record))
    return out


def display_rows(frame: ReportFrame, limit: int) -> list[list[str]]:
    kinds = [c.kind for c in frame.columns]
    return [
        [display(v, k) for v, k in zip(row, kinds, strict=True)] for row in rows_of(frame, limit)
    ]


def to_csv(frame: ReportFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_header(c) for c in frame.columns])
    kinds = [c.kind for c in frame.columns]
    for row in rows_of(frame):
        writer.writerow(
            [
                "" if (p := plain(v, k)) is None else _csv_text(p)
                for v, k in zip(row, kinds, strict=True)
            ]
        )
    # A BOM so that Excel opens it as UTF-8 (store names, en dashes).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_XLSX_FORMATS = {"money": "#,##0.00", "int": "#,##0", "percent": "0.0", "number": "#,##0.00",
                 "hours": "#,##0.0", "date": "yyyy-mm-dd"}  # fmt: skip


def _xlsx_cell(sheet: Any, value: Any, kind: str | None = None) -> Any:
    """A number or date cell gets its display format; openpyxl stores any text starting
    with "=" as a formula, so such text is kept a string."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    if value is not None and not isinstance(value, str) and kind in _XLSX_FORMATS:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _XLSX_FORMATS[kind]
        return cell
    return value


def to_xlsx(frame: ReportFrame, *, title: str, as_of: datetime) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([title])
    for line in frame.summary:
        sheet.append([_xlsx_cell(sheet, line)])
    sheet.append([f"As of {as_of.isoformat(timespec='minutes')}"])
    sheet.append([])
    sheet.append([_header(c) for c in frame.columns])
    kinds = [c.kind for c in frame.columns]
    for row in rows_of(frame):
        sheet.append([_xlsx_cell(sheet, plain(v, k), k) for v, k in zip(row, kinds, strict=True)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain_text(text: str) -> str:
    """Matplotlib reads text between two "$" as a formula: a store named "Shop $5 off $10"
    (imported names are free text) would be drawn wrong or fail to draw."""
    return text.replace("$", r"\$")


def chart_png(frame: ReportFrame) -> bytes | None:
    chart = frame.chart
    if chart is None or frame.data.empty:
        return None
    kinds = {c.key: c for c in frame.columns}
    rows = frame.data if chart.kind == "line" else frame.data.head(CHART_ROWS)
    labels = [_plain_text(display(v, kinds[chart.x].kind)) for v in rows[chart.x]]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    for series in chart.series:
        column = kinds[series]
        values = [0.0 if _missing(v) else float(v) for v in rows[series]]
        if column.kind == "money":
            values = [v / 100 for v in values]
        if chart.kind == "line":
            axes.plot(labels, values, marker="o", markersize=3, label=column.label)
        elif chart.kind == "barh":
            axes.barh(labels[::-1], values[::-1], label=column.label)
        else:
            width = 0.8 / len(chart.series)
            offset = chart.series.index(series) * width - 0.4 + width / 2
            axes.bar([i + offset for i in range(len(labels))], values, width, label=column.label)
            axes.set_xticks(range(len(labels)), labels)
    value_axis = axes.xaxis if chart.kind == "barh" else axes.yaxis
    value_axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    if chart.y_label:
        (axes.set_xlabel if chart.kind == "barh" else axes.set_ylabel)(chart.y_label)
    if len(chart.series) > 1:
        axes.legend()
    if chart.kind == "line" and len(labels) > 12:
        step = math.ceil(len(labels) / 12)
        axes.set_xticks(range(0, len(labels), step), labels[::step])
    axes.tick_params(axis="x", labelrotation=30 if chart.kind != "barh" else 0, labelsize=8)
    axes.set_title(_plain_text(chart.title))
    axes.grid(axis="x" if chart.kind == "barh" else "y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
