from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CustomerRead(BaseModel):
    customer_no: str
    name: str | None
    email: str | None
    phone: str | None
    address_line: str | None
    district: str | None
    preferred_language: str
    masked: bool
    created_at: datetime
