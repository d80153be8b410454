"""A report result as the API gives it: the catalogue entry, the answer (summary, the first
rows, signed links) and the files behind the links."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_backend.config import Settings
from crm_backend.errors import NotFound
from crm_backend.reports.base import ReportSpec
from crm_backend.reports.links import ExportFormat, ReportRequest, export_url
from crm_backend.reports.render import chart_png, display_rows, plain, rows_of, to_csv, to_xlsx
from crm_backend.reports.runner import ReportResult
from crm_backend.schemas.report import ReportAnswer, ReportColumn, ReportInfo, TopInfo
from crm_backend.services.access import ReportLevel


def info(spec: ReportSpec, level: ReportLevel) -> ReportInfo:
    return ReportInfo(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        dimensions=list(spec.dimensions),
        default_period=spec.default_period,
        top=TopInfo(default=spec.top.default, maximum=spec.top.maximum) if spec.top else None,
        segments=list(spec.segments),
        default_source=spec.default_source,
        personal_fields=level,
    )


def json_value(value: Any, kind: str) -> Any:
    value = plain(value, kind)
    if isinstance(value, Decimal):
        return str(value)  # exact: "1234.50"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def answer(
    result: ReportResult, *, settings: Settings, request: ReportRequest, rows: int, now: datetime
) -> ReportAnswer:
    frame = result.frame
    kinds = [c.kind for c in frame.columns]
    shown = rows_of(frame, rows)

    def link(fmt: ExportFormat) -> str:
        return export_url(settings, request, fmt, now=now)

    return ReportAnswer(
        report=result.spec.name,
        title=result.spec.title,
        params=result.params.describe(),
        as_of=result.as_of,
        source=result.source,
        summary=frame.summary,
        columns=[ReportColumn(key=c.key, label=c.label, kind=c.kind) for c in frame.columns],
        display=display_rows(frame, rows),
        rows=[[json_value(v, k) for v, k in zip(row, kinds, strict=True)] for row in shown],
        total_rows=len(frame.data),
        chart_url=link("png") if frame.chart is not None and not frame.data.empty else None,
        csv_url=link("csv"),
        xlsx_url=link("xlsx"),
        links_valid_minutes=settings.staff_token_minutes,
    )


def export_file(result: ReportResult, fmt: str) -> tuple[bytes, str]:
    stem = f"{result.spec.name}-{result.as_of:%Y%m%d-%H%M}"
    if fmt == "csv":
        return to_csv(result.frame), f"{stem}.csv"
    if fmt == "xlsx":
        return to_xlsx(result.frame, title=result.spec.title, as_of=result.as_of), f"{stem}.xlsx"
    image = chart_png(result.frame)
    if image is None:
        raise NotFound("this report has no chart")
    return image, f"{stem}.png"
