from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class TopInfo(BaseModel):
    default: int
    maximum: int


class ReportInfo(BaseModel):
    name: str
    title: str
    description: str
    dimensions: list[str]
    default_period: str | None
    top: TopInfo | None
    segments: list[str]
    default_source: Literal["live", "snapshot"]
    personal_fields: Literal["full", "masked"]


class ReportCatalogue(BaseModel):
    department: str
    reports: list[ReportInfo]


class ReportColumn(BaseModel):
    key: str
    label: str
    kind: str


class ReportAnswer(BaseModel):
    report: str
    title: str
    params: dict[str, Any]
    as_of: datetime
    source: Literal["live", "snapshot"]
    summary: list[str]
    columns: list[ReportColumn]
    # The first rows as formatted text (money as "HKD 1,234.50"), for the chat.
    display: list[list[str]]
    # The same rows as plain values (money as an exact decimal string in HKD).
    rows: list[list[Any]]
    total_rows: int
    currency: str = "HKD"
    chart_url: str | None
    csv_url: str
    xlsx_url: str
    # How long the links above work (as long as a staff sign-in).
    links_valid_minutes: int


class InterpretRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class Interpretation(BaseModel):
    report: str | None
    allowed: bool
    period: str | None
    dimension: str | None
    top: int | None
    segment: str | None
    missing: list[str]
