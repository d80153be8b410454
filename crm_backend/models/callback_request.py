from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import CallbackStatus, ContactMethod, str_enum


class CallbackRequest(Base):
    """A customer asked for a person; ``context`` says what the bot knew (no free text)."""

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    conversation_id: Mapped[str] = mapped_column(String(128))
    contact_method: Mapped[ContactMethod] = mapped_column(str_enum(ContactMethod, 16))
    contact_value: Mapped[str] = mapped_column(String(254))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[CallbackStatus] = mapped_column(
        str_enum(CallbackStatus, 16), default=CallbackStatus.OPEN
    )
    expected_by: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
