from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crm_backend.models.enums import (
    ActorType,
    ComplaintCategory,
    ComplaintStatus,
    ContactMethod,
    Priority,
)
from crm_backend.schemas.common import ContactValue, ConversationId, OrderNo, StrippedText

Description = Annotated[StrippedText, StringConstraints(min_length=5, max_length=4000)]


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


SlaState = Literal["on_track", "due_soon", "breached", "met"]
NextStep = Literal[
    "acknowledge", "investigate", "waiting_for_you", "resolved_awaiting_feedback", "closed"
]
Note = Annotated[StrippedText, StringConstraints(min_length=1, max_length=4000)]
CustomerText = Annotated[StrippedText, StringConstraints(min_length=5, max_length=2000)]
ShortText = Annotated[StrippedText, StringConstraints(max_length=2000)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9._-]{2,64}$")]


class ComplaintEventRead(BaseModel):
    event_type: str
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus | None
    note: str | None = Field(description="null when the caller may not see free text")
    actor_type: ActorType
    actor: str | None = Field(description="the staff username for staff steps, else null")
    created_at: datetime


class ComplaintRead(BaseModel):
    reference: str
    status: ComplaintStatus
    category: ComplaintCategory
    priority: Priority
    description: str | None = Field(description="null when the caller's department may not see it")
    description_redacted: str | None = Field(
        description="personal data replaced by <TYPE>, for departments that see redacted text"
    )
    order_no: str | None
    customer_no: str | None
    contact_method: ContactMethod | None
    contact_masked: str | None
    escalation_level: int
    escalated: bool
    assigned_to: str | None
    resolution: str | None
    csat_score: int | None
    recovery_offer: str | None
    sla_policy_version: str
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_response_due_local: str = Field(description="Hong Kong time, for showing to people")
    resolution_due_local: str
    sla_state: SlaState
    next_step: NextStep
    version: int = Field(description="send back as expected_version to detect concurrent edits")
    last_update_at: datetime
    last_update_local: str
    created_at: datetime
    updated_at: datetime
    events: list[ComplaintEventRead]
    transcript_url: str | None = Field(
        default=None,
        description="the redacted chat transcript, for departments that may read transcripts",
    )


class ComplaintSummary(BaseModel):
    reference: str
    status: ComplaintStatus
    priority: Priority
    category: ComplaintCategory
    age_hours: int
    sla_state: SlaState
    escalation_level: int
    assigned_to: str | None
    created_at: datetime
    resolution_due_at: datetime
    resolution_due_local: str
    last_update_local: str


class ComplaintList(BaseModel):
    items: list[ComplaintSummary]
    total: int


class StaffChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(default=None, ge=1)


class AssignRequest(StaffChange):
    assignee: Username | None = Field(default=None, description="null assigns to the caller")


class NoteRequest(StaffChange):
    note: Note


class TransitionRequest(StaffChange):
    action: Literal["acknowledge", "start", "await_customer", "resolve", "close", "reopen"]
    note: Note | None = None
    resolution: Note | None = None


class InformationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CustomerText


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ShortText | None = None


class SatisfactionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, strict=True)
    comment: ShortText | None = None


class SatisfactionResult(BaseModel):
    complaint: ComplaintRead
    outcome: Literal["closed", "reopened"]
    recovery_offer: str | None
    callback_expected_by_local: str | None
