from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow


class Consent(Base):
    """One grant or withdrawal of consent, against a versioned collection statement."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    statement_version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool]
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
