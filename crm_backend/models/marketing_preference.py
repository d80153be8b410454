from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import MarketingChannel, str_enum


class MarketingPreference(Base):
    """Current direct-marketing choice per channel; the consent row it rests on is the
    record of how it was given or withdrawn. No row means not opted in."""

    __tablename__ = "marketing_preference"
    __table_args__ = (UniqueConstraint("customer_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    channel: Mapped[MarketingChannel] = mapped_column(str_enum(MarketingChannel, 8))
    opted_in: Mapped[bool] = mapped_column(default=False)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
