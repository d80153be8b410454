"""Data-subject requests, their listing, and the profile-gap prompt."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from crm_backend.models.enums import ContactMethod, DataRequestKind, DataRequestStatus
from crm_backend.schemas.common import ContactValue, ConversationId, StrippedText

DATA_REQUEST_REF_PATTERN = r"^[Dd][Aa][Rr]-[0-9]{6,9}$"
Channel = Annotated[str, StringConstraints(pattern=r"^(chat|web|phone|store)$")]


class DataRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DataRequestKind
    channel: Channel = "chat"
    conversation_id: ConversationId | None = None
    # Guests only: where to answer (email or phone as typed). Ignored for a signed-in customer.
    contact_value: ContactValue | None = None


class DataRequestCreated(BaseModel):
    reference: str
    kind: DataRequestKind
    status: DataRequestStatus
    due_at: datetime
    # Only for an access request answered at once (a signed-in customer).
    download_url: str | None = None
    download_expires_at: datetime | None = None


class DataRequestItem(BaseModel):
    reference: str
    kind: DataRequestKind
    status: DataRequestStatus
    verified: bool
    customer_no: str | None
    created_at: datetime
    due_at: datetime
    days_left: int | None  # open requests only; negative once overdue
    overdue: bool
    completed_at: datetime | None
    download_url: str | None = None
    download_expires_at: datetime | None = None
    # Compliance only: the contact a guest left to be answered at.
    contact_method: ContactMethod | None = None
    contact_value: str | None = None


class DataRequestList(BaseModel):
    items: list[DataRequestItem]


class DataRequestComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[StrippedText, StringConstraints(min_length=1, max_length=2000)]


class ProfileGapRead(BaseModel):
    field: str
    problem: str
    message: str


class ProfileGapPrompt(BaseModel):
    gaps: list[ProfileGapRead]
    prompt: bool
