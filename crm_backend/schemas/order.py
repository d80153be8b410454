from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from crm_backend.models.enums import OrderStatus, SalesChannel


class OrderLineRead(BaseModel):
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal


class OrderRead(BaseModel):
    order_no: str
    status: OrderStatus
    channel: SalesChannel
    store_name: str | None
    ordered_at: datetime
    total_amount: Decimal
    currency: str
    lines: list[OrderLineRead]
