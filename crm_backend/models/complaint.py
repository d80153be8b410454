from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import (
    ComplaintCategory,
    ComplaintStatus,
    ContactMethod,
    Priority,
    str_enum,
)

if TYPE_CHECKING:
    from crm_backend.models.complaint_event import ComplaintEvent
    from crm_backend.models.customer import Customer
    from crm_backend.models.order import Order
    from crm_backend.models.staff import Staff


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_status_resolution_due_at", "status", "resolution_due_at"),
        Index("ix_complaint_status_followup_due_at", "status", "followup_due_at"),
        Index("ix_complaint_assigned_staff_id_status", "assigned_staff_id", "status"),
        CheckConstraint("csat_score IS NULL OR csat_score BETWEEN 1 AND 5", name="csat_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # CMP- + zero-padded id; assigned right after the row gets its id.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    category: Mapped[ComplaintCategory] = mapped_column(str_enum(ComplaintCategory))
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 16))
    status: Mapped[ComplaintStatus] = mapped_column(
        str_enum(ComplaintStatus), default=ComplaintStatus.NEW
    )
    escalation_level: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(String(16), default="chat")
    # Contact given with the complaint; for anonymous visitors the only way back to them.
    contact_method: Mapped[ContactMethod | None] = mapped_column(str_enum(ContactMethod, 16))
    contact_value: Mapped[str | None] = mapped_column(String(254))
    conversation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    sla_policy_version: Mapped[str] = mapped_column(String(32))
    first_response_due_at: Mapped[datetime]
    resolution_due_at: Mapped[datetime]
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    # Set when resolved: when the satisfaction follow-up is due; cleared once it is sent.
    followup_due_at: Mapped[datetime | None]
    followup_sent_at: Mapped[datetime | None]
    csat_score: Mapped[int | None]
    csat_comment: Mapped[str | None] = mapped_column(Text)
    csat_at: Mapped[datetime | None]
    recovery_offer: Mapped[str | None] = mapped_column(String(64))
    # SLA breaches already escalated, so the periodic run escalates each breach once.
    first_response_breach_at: Mapped[datetime | None]
    resolution_breach_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    # Optimistic locking: every UPDATE checks and bumps ``version``, so two staff saving
    # the same complaint cannot silently overwrite each other (the second gets a conflict).
    __mapper_args__ = {"version_id_col": version}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer | None] = relationship(lazy="joined")
    assigned_staff: Mapped[Staff | None] = relationship(lazy="joined")
    order: Mapped[Order | None] = relationship(lazy="joined")
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", lazy="selectin"
    )
