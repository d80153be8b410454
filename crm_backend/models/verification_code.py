from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow


class VerificationCode(Base):
    """A one-time code sent to the contact on file for a reference (complaint or order).

    A row exists even when the reference is unknown (with no destination), so a wrong
    reference and a right one behave the same to the visitor. Only a keyed hash of the
    code is kept.
    """

    __tablename__ = "verification_code"
    __table_args__ = (Index("ix_verification_code_target", "target_type", "target_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    target_type: Mapped[str] = mapped_column(String(16))  # complaint | order | contact
    target_ref: Mapped[str] = mapped_column(String(40))
    # For a code sent to a contact on a profile: whose profile (the contact itself is kept
    # only as a keyed fingerprint in target_ref).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    delivered: Mapped[bool] = mapped_column(default=False)
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
