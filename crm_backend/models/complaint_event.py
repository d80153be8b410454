from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import ActorType, ComplaintStatus, str_enum

if TYPE_CHECKING:
    from crm_backend.models.complaint import Complaint


class ComplaintEvent(Base):
    """One entry in a complaint's timeline (created, status change, note, escalation ...)."""

    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[ComplaintStatus | None] = mapped_column(
        str_enum(ComplaintStatus, name="from_status")
    )
    to_status: Mapped[ComplaintStatus | None] = mapped_column(
        str_enum(ComplaintStatus, name="to_status")
    )
    note: Mapped[str | None] = mapped_column(Text)
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType, 16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
