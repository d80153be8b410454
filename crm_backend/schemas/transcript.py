"""Chat transcripts: Rasa tracker events in (from the event broker), redacted entries out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from crm_backend.schemas.common import PlainText

MAX_BATCH = 500


def _encodable(value: str) -> str:
    """Refuse lone surrogates: no database can store them (free text is repaired instead)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Identifier = Annotated[PlainText, AfterValidator(_encodable)]
SenderId = Annotated[Identifier, StringConstraints(min_length=1, max_length=128)]
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Name = Annotated[Identifier, StringConstraints(max_length=128)]
# Seconds since the epoch, as Rasa writes them; ints are fine, strings and NaN are not.
Timestamp = Annotated[float, Field(strict=True, ge=0, le=10_000_000_000, allow_inf_nan=False)]


class RasaIntent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name | None = None


class RasaParseData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    intent: RasaIntent | None = None


class RasaEvent(BaseModel):
    """One event as Rasa's tracker store hands it to an event broker
    (``{"sender_id": ..., **event.as_dict()}``). Fields a transcript does not use (entities,
    buttons, policy, ...) are ignored; ``metadata`` is read for the response name only and
    never stored (the user's token travels in it)."""

    model_config = ConfigDict(extra="ignore")

    sender_id: SenderId
    event: EventType
    timestamp: Timestamp
    text: str | None = None
    name: Name | None = None
    value: Any = None
    parse_data: RasaParseData | None = None
    metadata: dict[str, Any] | None = None


class TranscriptBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[RasaEvent] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResult(BaseModel):
    received: int
    stored: int = Field(description="new entries written")
    duplicates: int = Field(description="events already stored (a replayed batch)")
    skipped: int = Field(description="event types a transcript does not keep")


class TranscriptEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_type: str
    occurred_at: datetime
    name: str | None = Field(
        description="user: intent; bot: response; action, slot, active_loop: its name"
    )
    text: str | None = Field(description="user and bot messages, personal data as <TYPE>")
    value: Any = Field(description="slot value, scrubbed; null when withheld")
    value_withheld: bool = Field(description="the slot holds personal data or a token")


class TranscriptRead(BaseModel):
    sender_id: str
    complaints: list[str] = Field(description="references of complaints filed in this chat")
    total: int
    truncated: bool
    entries: list[TranscriptEntryRead]
