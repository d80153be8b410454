from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_backend.db import Base
from crm_backend.models.enums import OrderStatus, SalesChannel, str_enum

if TYPE_CHECKING:
    from crm_backend.models.order_line import OrderLine


class Order(Base):
    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(
            "(channel = 'store' AND store_name IS NOT NULL) OR "
            "(channel = 'online' AND store_name IS NULL)",
            name="store_name_matches_channel",
        ),
        Index("ix_order_customer_id_ordered_at", "customer_id", "ordered_at"),
        # Reports filter by period across all customers (this month: 2% of the table).
        Index("ix_order_ordered_at", "ordered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[SalesChannel] = mapped_column(str_enum(SalesChannel, 16))
    store_name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, 16))
    ordered_at: Mapped[datetime]
    total_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="HKD")

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", lazy="selectin")
