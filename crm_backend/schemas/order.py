from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from crm_backend.models.enums import OrderStatus, SalesChannel


class OrderLineRead(BaseModel):
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal


class OrderSummary(BaseModel):
    order_no: str
    status: OrderStatus
    status_label: str = Field(description="the status in customers' words")
    channel: SalesChannel
    store_name: str | None
    ordered_at: datetime
    ordered_on_local: str
    total_amount: Decimal
    currency: str


class OrderRead(OrderSummary):
    expected_delivery_by: datetime | None = Field(description="online orders not yet delivered")
    expected_delivery_local: str | None
    is_late: bool
    lines: list[OrderLineRead]


class OrderList(BaseModel):
    items: list[OrderSummary]
