from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import ActorType, ProfileChangeStatus, ProfileField, str_enum


class ProfileChangeRequest(Base):
    """A validated new profile value waiting for the customer's consent.

    The new value is held in full only while pending (minutes); it is cleared as soon as
    the request is applied, declined, superseded or expired. The masked copy stays.
    """

    __tablename__ = "profile_change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    field: Mapped[ProfileField] = mapped_column(str_enum(ProfileField, 32))
    new_value: Mapped[str | None] = mapped_column(String(300))
    new_district: Mapped[str | None] = mapped_column(String(64))
    new_value_masked: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[ProfileChangeStatus] = mapped_column(
        str_enum(ProfileChangeStatus, 16), default=ProfileChangeStatus.PENDING
    )
    statement_version: Mapped[str] = mapped_column(String(32))
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType, 16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
