from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crm_backend.models.enums import (
    ActorType,
    ComplaintCategory,
    ComplaintStatus,
    ContactMethod,
    Priority,
)
from crm_backend.schemas.common import ContactValue, ConversationId, OrderNo, PlainText

Description = Annotated[
    PlainText, StringConstraints(strip_whitespace=True, min_length=5, max_length=4000)
]


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Description
    category: ComplaintCategory
    order_no: OrderNo | None = None
    contact_method: ContactMethod | None = None
    # Omitted by a signed-in customer to mean "the contact on my profile".
    contact_value: ContactValue | None = None
    conversation_id: ConversationId | None = None
    channel: Annotated[str, StringConstraints(pattern=r"^(chat|web|email|phone|store)$")] = "chat"

    @model_validator(mode="after")
    def _value_needs_method(self) -> ComplaintCreate:
        if self.contact_value and self.contact_method is None:
            raise ValueError("contact_method is required when contact_value is given")
        return self


class ComplaintEventRead(BaseModel):
    event_type: str
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus | None
    note: str | None
    actor_type: ActorType
    created_at: datetime


class ComplaintRead(BaseModel):
    reference: str
    status: ComplaintStatus
    category: ComplaintCategory
    priority: Priority
    description: str | None = Field(description="null when the caller's department may not see it")
    order_no: str | None
    customer_no: str | None
    contact_method: ContactMethod | None
    contact_masked: str | None
    escalation_level: int
    sla_policy_version: str
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_response_due_local: str = Field(description="Hong Kong time, for showing to people")
    resolution_due_local: str
    created_at: datetime
    updated_at: datetime
    events: list[ComplaintEventRead]
