from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow
from crm_backend.models.enums import Department, StaffRole, str_enum


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    department: Mapped[Department] = mapped_column(str_enum(Department))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole), default=StaffRole.AGENT)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
