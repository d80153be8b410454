from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow


class ReportSnapshot(Base):
    """A pre-calculated report result (``crm reports refresh``), newest per report and
    parameter set. Holds aggregates and customer numbers only, never names or contacts:
    those are added when a department that may see them reads it."""

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("report", "params_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(64))
    # The canonical JSON of the resolved parameters (ReportParams.key()).
    params_key: Mapped[str] = mapped_column(String(255))
    as_of: Mapped[datetime]
    # JSON: {"columns": [...], "rows": [...], "summary": [...], "chart": ..., "customer_key"}
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
