from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_backend.models.enums import FeedbackKind
from crm_backend.schemas.common import ConversationId, StrippedText

FeedbackText = Annotated[StrippedText, StringConstraints(min_length=3, max_length=2000)]
StoreName = Annotated[StrippedText, StringConstraints(min_length=2, max_length=64)]


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FeedbackKind = FeedbackKind.REVIEW
    text: FeedbackText
    rating: int | None = Field(default=None, ge=1, le=5, strict=True)
    store: StoreName | None = None
    conversation_id: ConversationId | None = None


class FeedbackRead(BaseModel):
    id: int
    kind: FeedbackKind
    rating: int | None
    store: str | None
