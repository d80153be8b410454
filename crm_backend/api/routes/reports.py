"""Staff reports: the catalogue a department may run, one report's answer, and its
signed CSV / XLSX / chart downloads."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from crm_backend.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from crm_backend.db import utcnow
from crm_backend.reports import answers
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.interpret import interpret
from crm_backend.reports.links import ReportRequest, open_request
from crm_backend.reports.periods import HONG_KONG
from crm_backend.reports.runner import run_report
from crm_backend.schemas.report import (
    Interpretation,
    InterpretRequest,
    ReportAnswer,
    ReportCatalogue,
)
from crm_backend.services.access import allowed_reports
from crm_backend.services.staff import staff_principal

router = APIRouter(tags=["reports"])
ReportName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]


@router.get("/reports")
def catalogue(principal: CurrentPrincipal) -> ReportCatalogue:
    """The reports the caller's department may run, with their parameters."""
    allowed = allowed_reports(principal)
    assert principal.department is not None
    return ReportCatalogue(
        department=principal.department.value,
        reports=[answers.info(REPORTS[name], level) for name, level in allowed.items()],
    )


@router.post("/reports/interpret")
def interpret_request(body: InterpretRequest, principal: CurrentPrincipal) -> Interpretation:
    """The report and parameters a staff member's sentence asks for, and what is missing
    (the chat asks for it). ``allowed`` says whether their department may run it."""
    allowed = allowed_reports(principal)
    found = interpret(body.text)
    return Interpretation(
        report=found.report, allowed=found.report in allowed, period=found.period,
        dimension=found.dimension, top=found.top, segment=found.segment, missing=found.missing,
    )  # fmt: skip


@router.get("/reports/{name}")
def run(
    name: ReportName,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    period: Annotated[str | None, Query(max_length=200)] = None,
    dimension: Annotated[str | None, Query(max_length=32)] = None,
    top: Annotated[int | None, Query()] = None,
    segment: Annotated[str | None, Query(max_length=32)] = None,
    source: Literal["auto", "live", "snapshot"] = "auto",
    rows: Annotated[int, Query(ge=1, le=100, description="How many rows to show")] = 10,
) -> ReportAnswer:
    """Run one report (403 when the department may not; 422 naming a bad parameter).
    Every run is audit-logged; snapshot answers say their as-of time."""
    now = utcnow()
    result = run_report(
        session=session, principal=principal, name=name, period=period, dimension=dimension,
        top=top, segment=segment, source=source, now=now,
    )  # fmt: skip
    session.commit()  # the audit entries (and a snapshot computed on first use)
    request = ReportRequest(
        report=name, username=principal.subject, day=now.astimezone(HONG_KONG).date(),
        period=period, dimension=dimension, top=top, segment=segment, source=source,
    )  # fmt: skip
    return answers.answer(result, settings=settings, request=request, rows=rows, now=now)


_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}


@router.get(
    "/report-exports/report.{fmt}",
    responses={200: {"content": {media: {} for media in _MEDIA.values()}}},
)
def export(
    fmt: Literal["csv", "xlsx", "png"],
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=8, max_length=1024, pattern=r"^[A-Za-z0-9_-]+$")],
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Annotated[str, Query(min_length=64, max_length=64)],
) -> Response:
    """A report's full result or chart, by the signed link in its answer (valid as long
    as a staff sign-in; the staff member must still be active and allowed)."""
    now = utcnow()
    request = open_request(settings, fmt, q, expires, signature, now=now)
    principal = staff_principal(session=session, username=request.username)
    result = run_report(
        session=session, principal=principal, name=request.report, period=request.period,
        dimension=request.dimension, top=request.top, segment=request.segment,
        source=request.source, now=now, today=request.day, purpose="staff_report_download",
    )  # fmt: skip
    session.commit()
    body, filename = answers.export_file(result, fmt)
    disposition = "inline" if fmt == "png" else "attachment"
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'{disposition}; filename="{filename}"',
        },
    )
