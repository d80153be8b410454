from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import ActorType, str_enum


class ProfileChange(Base):
    """History of a profile field; values are stored masked, never in full."""

    __tablename__ = "profile_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old_value_masked: Mapped[str | None] = mapped_column(String(300))
    new_value_masked: Mapped[str | None] = mapped_column(String(300))
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType, 16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
