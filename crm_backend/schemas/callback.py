from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_backend.models.enums import CallbackStatus, ContactMethod
from crm_backend.schemas.common import COMPLAINT_REF_PATTERN, ContactValue, ConversationId

_ContextKey = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
_ContextValue = Annotated[str, StringConstraints(max_length=120)] | int | bool | None


class CallbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: ConversationId
    reason: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z_]{1,40}$")] = (
        "customer_request"
    )
    complaint_ref: Annotated[str, StringConstraints(pattern=COMPLAINT_REF_PATTERN)] | None = None
    contact_method: ContactMethod | None = None
    contact_value: ContactValue | None = None
    # What the bot knew: intent names, form state, category. No free text from the customer.
    context: dict[_ContextKey, _ContextValue] = Field(default_factory=dict, max_length=20)


class CallbackRead(BaseModel):
    id: int
    status: CallbackStatus
    contact_method: ContactMethod
    contact_masked: str | None
    complaint_ref: str | None
    expected_by: datetime
    expected_by_local: str
