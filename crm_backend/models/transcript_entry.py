from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_backend.db import Base, utcnow


class TranscriptEntry(Base):
    """One event of a chat conversation, as the durable redacted transcript keeps it.

    Rasa's tracker store is working memory; this is the record. Free text (user and bot
    messages, slot values) is stored only after scrubbing; slots that hold personal values or
    tokens keep their name only; message metadata (where the user's token travels) is never
    stored. ``event_key`` identifies the event across replays (see services/transcripts.py).
    """

    __tablename__ = "transcript_entry"
    __table_args__ = (
        Index("ix_transcript_entry_sender_id_occurred_at", "sender_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    sender_id: Mapped[str] = mapped_column(String(128))
    # Rasa's event type: user, bot, slot, action, session_started, active_loop, restart.
    event_type: Mapped[str] = mapped_column(String(32))
    # When Rasa recorded the event (its timestamp), not when it reached the backend.
    occurred_at: Mapped[datetime]
    # user: the intent; bot: the response (utter_...); action, slot, active_loop: its name.
    name: Mapped[str | None] = mapped_column(String(128))
    # user and bot messages, scrubbed.
    text: Mapped[str | None] = mapped_column(Text)
    # slot: the value as JSON with every string scrubbed; null for withheld slots.
    value: Mapped[str | None] = mapped_column(Text)
    value_withheld: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
