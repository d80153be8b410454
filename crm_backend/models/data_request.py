from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import (
    ContactMethod,
    DataRequestKind,
    DataRequestStatus,
    str_enum,
)


class DataRequest(Base):
    """A data-subject request (PDPO: access within 40 days, or correction), tracked to its
    due date. A guest who could not verify leaves the contact to answer at; staff verify."""

    __tablename__ = "data_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[DataRequestKind] = mapped_column(str_enum(DataRequestKind, 16))
    status: Mapped[DataRequestStatus] = mapped_column(
        str_enum(DataRequestStatus, 16), default=DataRequestStatus.OPEN, index=True
    )
    verified: Mapped[bool] = mapped_column(default=False)
    contact_method: Mapped[ContactMethod | None] = mapped_column(str_enum(ContactMethod, 16))
    contact_value: Mapped[str | None] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))


class DataExport(Base):
    """A copy of a customer's data made for an access request, downloadable by a signed,
    expiring link until ``expires_at``; the retention job deletes it after."""

    __tablename__ = "data_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_request.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    downloaded_at: Mapped[datetime | None]
