"""Closed vocabularies stored as strings with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum


class Department(StrEnum):
    CUSTOMER_SERVICE = "customer_service"
    SALES = "sales"
    MARKETING = "marketing"
    MANAGEMENT = "management"
    COMPLIANCE = "compliance"


class StaffRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


class SalesChannel(StrEnum):
    ONLINE = "online"
    STORE = "store"


class OrderStatus(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class ComplaintCategory(StrEnum):
    PRODUCT_QUALITY = "product_quality"
    DELIVERY = "delivery"
    SERVICE = "service"
    BILLING = "billing"
    REFUND = "refund"
    OTHER = "other"


class ComplaintStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    AWAITING_CUSTOMER = "awaiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class ContactMethod(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class ActorType(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"
    BOT = "bot"


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class FeedbackKind(StrEnum):
    COMPLIMENT = "compliment"
    SUGGESTION = "suggestion"
    REVIEW = "review"


class ProfileField(StrEnum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"
    PREFERRED_LANGUAGE = "preferred_language"


class ProfileChangeStatus(StrEnum):
    PENDING = "pending"  # validated, waiting for the customer's consent
    APPLIED = "applied"
    DECLINED = "declined"
    SUPERSEDED = "superseded"  # a newer change was proposed before this one was answered
    EXPIRED = "expired"


class MarketingChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"


class DataRequestKind(StrEnum):
    ACCESS = "access"  # PDPO DPP6 data access request: a copy of the data
    CORRECTION = "correction"


class DataRequestStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    REJECTED = "rejected"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def str_enum(enum_cls: type[StrEnum], length: int = 32, *, name: str | None = None) -> Enum:
    """A portable VARCHAR + CHECK column type storing the enum's values.

    ``name`` names the CHECK constraint; give one when a table has two columns of one enum.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=_values,
        name=name or enum_cls.__name__.lower(),
    )


def _values(enum_cls: Any) -> list[str]:
    return [member.value for member in enum_cls]
