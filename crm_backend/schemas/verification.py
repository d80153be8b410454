from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from crm_backend.schemas.common import ComplaintRef, ContactValue, ConversationId, OrderNo


class VerificationStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complaint_ref: ComplaintRef | None = None
    order_no: OrderNo | None = None
    # An email address or phone number as typed: proves being the customer who has it.
    contact_value: ContactValue | None = None
    conversation_id: ConversationId | None = None

    @model_validator(mode="after")
    def _exactly_one_target(self) -> VerificationStart:
        given = [self.complaint_ref, self.order_no, self.contact_value]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of complaint_ref or order_no or contact_value")
        return self


class VerificationStarted(BaseModel):
    verification_id: str
    expires_in: int


class VerificationConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


class VerificationToken(BaseModel):
    token: str
    token_kind: str
    expires_in: int
