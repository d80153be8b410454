from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import FeedbackKind, str_enum


class Feedback(Base):
    """A compliment, suggestion or review that is not a complaint (counted in CSAT)."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedbackKind] = mapped_column(str_enum(FeedbackKind, 16))
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None]
    store_name: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16), default="chat")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
