from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints

from crm_backend.models.enums import ActorType, ProfileField
from crm_backend.schemas.common import ConversationId, StrippedText

# Where a consent or a change was given.
ConsentChannel = Literal["chat", "web", "phone", "store"]
StatementVersion = Annotated[StrippedText, StringConstraints(min_length=1, max_length=32)]
# Checked per field by the service (which says what is wrong); only the bounds here.
ProfileValue = Annotated[StrippedText, StringConstraints(min_length=1, max_length=10_000)]
CHANGE_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class StatementRead(BaseModel):
    purpose: str
    version: str
    title: str
    text: str


class ProfileChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: ProfileField
    value: ProfileValue
    channel: ConsentChannel = "chat"
    conversation_id: ConversationId | None = None


class ProfileChangeProposed(BaseModel):
    change_id: str
    field: ProfileField
    current_masked: str | None
    new_masked: str
    statement: StatementRead
    expires_at: datetime
    status: Literal["pending"]


class ProfileChangeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Strict: only a real yes or no is an answer ("yes", 1 or null are not).
    consent: StrictBool
    statement_version: StatementVersion
    channel: ConsentChannel | None = None
    conversation_id: ConversationId | None = None


class ProfileChangeDecided(BaseModel):
    change_id: str
    field: ProfileField
    status: Literal["applied", "declined"]
    new_masked: str | None
    consent_id: int


class ProfileChangeItem(BaseModel):
    field: str
    old_masked: str | None
    new_masked: str | None
    actor_type: ActorType
    channel: str
    consent_id: int | None
    created_at: datetime


class ProfileChangeHistory(BaseModel):
    items: list[ProfileChangeItem]
