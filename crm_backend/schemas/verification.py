from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from crm_backend.schemas.common import ComplaintRef, ConversationId, OrderNo


class VerificationStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complaint_ref: ComplaintRef | None = None
    order_no: OrderNo | None = None
    conversation_id: ConversationId | None = None

    @model_validator(mode="after")
    def _exactly_one_target(self) -> VerificationStart:
        if (self.complaint_ref is None) == (self.order_no is None):
            raise ValueError("give either complaint_ref or order_no")
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
