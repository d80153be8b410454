from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, StrictBool

from crm_backend.schemas.common import ContactValue, ConversationId
from crm_backend.schemas.profile import ConsentChannel, StatementRead, StatementVersion


class ConsentItem(BaseModel):
    id: int
    purpose: str
    statement_version: str
    granted: bool
    channel: str
    conversation_id: str | None
    created_at: datetime


class ConsentList(BaseModel):
    items: list[ConsentItem]


class ChannelPreference(BaseModel):
    opted_in: bool
    updated_at: datetime | None


class MarketingChannels(BaseModel):
    email: ChannelPreference
    sms: ChannelPreference
    phone: ChannelPreference


class MarketingPreferences(BaseModel):
    channels: MarketingChannels
    statement: StatementRead


class MarketingPreferenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opted_in: StrictBool
    # Opt-in needs consent true and the statement version shown; opt-out needs neither.
    consent: StrictBool | None = None
    statement_version: StatementVersion | None = None
    channel: ConsentChannel = "chat"
    conversation_id: ConversationId | None = None


class MarketingOptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_value: ContactValue
    conversation_id: ConversationId | None = None
    channel: ConsentChannel = "chat"


class MarketingOptOutResult(BaseModel):
    channels: list[str]
