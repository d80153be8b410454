"""Running a report for a staff member: permission, parameters, snapshot or live
computation, the personal fields their department may see, and the audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from crm_backend.errors import Conflict, InvalidInput, NotFound
from crm_backend.reports import snapshots
from crm_backend.reports.base import ReportContext, ReportFrame, ReportParams, ReportSpec, Source
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.clv import NotEnoughData
from crm_backend.reports.customer_fields import add_customer_fields
from crm_backend.reports.periods import HONG_KONG, PeriodError, parse_period
from crm_backend.services.access import ReportLevel, report_level
from crm_backend.services.audit import record_access
from crm_backend.services.tokens import Principal

SourceChoice = Literal["auto", "live", "snapshot"]


class UnknownReport(NotFound):
    def __init__(self) -> None:
        super().__init__("there is no report by that name; GET /api/v1/reports lists them")


@dataclass
class ReportResult:
    spec: ReportSpec
    params: ReportParams
    frame: ReportFrame
    as_of: datetime
    source: Source
    level: ReportLevel


def report_spec(name: str) -> ReportSpec:
    spec = REPORTS.get(name)
    if spec is None:
        raise UnknownReport()
    return spec


def resolve_params(
    spec: ReportSpec,
    *,
    period: str | None,
    dimension: str | None,
    top: int | None,
    segment: str | None,
    now: datetime,
    today: date | None = None,
) -> ReportParams:
    """The parameters after defaults, each checked against what the report takes; a
    wrong one is an ``InvalidInput`` naming the field and what it may be."""
    resolved_period = None
    if spec.takes_period:
        expression = period if period and period.strip() else spec.default_period
        assert expression is not None
        try:
            resolved_period = parse_period(
                expression, today=today or now.astimezone(HONG_KONG).date()
            )
        except PeriodError as exc:
            raise InvalidInput("period", exc.message, location="query") from exc
    elif period:
        raise InvalidInput("period", f"the {spec.name} report takes no period", location="query")
    if dimension is not None and dimension not in spec.dimensions:
        allowed = ", ".join(spec.dimensions) or "none"
        raise InvalidInput("dimension", f"dimension must be one of: {allowed}", location="query")
    if top is not None:
        if spec.top is None:
            raise InvalidInput("top", f"the {spec.name} report takes no top N", location="query")
        if not 1 <= top <= spec.top.maximum:
            raise InvalidInput(
                "top", f"top must be between 1 and {spec.top.maximum}", location="query"
            )
    if segment is not None:
        segment = segment.strip().casefold().replace("_", " ")
        if segment not in spec.segments:
            allowed = ", ".join(spec.segments) or "none"
            raise InvalidInput("segment", f"segment must be one of: {allowed}", location="query")
    return ReportParams(
        period=resolved_period,
        dimension=dimension or (spec.dimensions[0] if spec.dimensions else None),
        top=top if top is not None else (spec.top.default if spec.top else None),
        segment=segment,
    )


def preset_params(spec: ReportSpec, now: datetime) -> list[ReportParams]:
    """The parameter sets ``crm reports refresh`` keeps, resolved as of ``now``."""
    return [
        resolve_params(
            spec,
            period=preset.get("period"),
            dimension=preset.get("dimension"),
            top=preset.get("top"),
            segment=preset.get("segment"),
            now=now,
        )
        for preset in spec.snapshot_presets
    ]


def compute(
    session: Session, spec: ReportSpec, params: ReportParams, now: datetime, source: SourceChoice
) -> tuple[ReportFrame, datetime, Source]:
    """From the snapshot when asked for, when the report prefers one, or when the period
    has ended and a snapshot taken after its end exists (only late imports change such a
    figure, and the answer says its as-of time); otherwise computed now (and kept, when
    these are the parameters refresh keeps)."""
    period = params.period
    closed = period is not None and period.end_utc() <= now
    wants_snapshot = source == "snapshot" or (
        source == "auto" and (spec.default_source == "snapshot" or closed)
    )
    if wants_snapshot:
        stored = snapshots.load(session, spec.name, params)
        if stored is not None:
            frame, as_of = stored
            # Chosen only because the period ended: it must have been taken after the end.
            by_closed_period = source == "auto" and spec.default_source == "live"
            if not (by_closed_period and period is not None and as_of < period.end_utc()):
                return frame, as_of, "snapshot"
    try:
        frame = spec.compute(ReportContext(session=session, params=params, now=now))
    except NotEnoughData as exc:
        message = f"there is not enough data for the {spec.name} report: {exc}"
        if spec.takes_period:
            raise InvalidInput("period", message, location="query") from exc
        raise Conflict(message) from exc
    if wants_snapshot and params.key() in [p.key() for p in preset_params(spec, now)]:
        snapshots.save(session, spec.name, params, frame, now)
    return frame, now, "live"


def run_report(
    *,
    session: Session,
    principal: Principal,
    name: str,
    period: str | None = None,
    dimension: str | None = None,
    top: int | None = None,
    segment: str | None = None,
    source: SourceChoice = "auto",
    now: datetime,
    today: date | None = None,
    purpose: str = "staff_report",
) -> ReportResult:
    spec = report_spec(name)
    level = report_level(principal, spec.name)
    params = resolve_params(
        spec, period=period, dimension=dimension, top=top, segment=segment, now=now, today=today
    )
    frame, as_of, used = compute(session, spec, params, now, source)
    if frame.customer_key is not None:
        frame = add_customer_fields(session, frame, level=level)
        # The customers a report lists are personal data read by this staff member.
        record_access(
            session=session,
            principal=principal,
            action="read",
            record_type="customer_list",
            record_id=spec.name,
            purpose=purpose,
        )
    record_access(
        session=session,
        principal=principal,
        action="run_report",
        record_type="report",
        record_id=spec.name,
        purpose=purpose,
    )
    return ReportResult(
        spec=spec, params=params, frame=frame, as_of=as_of, source=used, level=level
    )
