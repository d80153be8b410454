"""Chat transcripts: the event broker's ingest (service token) and the staff read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from crm_backend.api.deps import (
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    require_service_token,
)
from crm_backend.schemas.transcript import IngestResult, TranscriptBatch, TranscriptRead
from crm_backend.services.transcript_reading import read_transcript
from crm_backend.services.transcripts import event_key_secret, ingest_events

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.post("/events", dependencies=[Depends(require_service_token)])
def ingest(body: TranscriptBatch, session: SessionDep, settings: SettingsDep) -> IngestResult:
    """Rasa's event broker delivers tracker events here in batches. Text and slot values are
    scrubbed before they are stored, metadata is dropped, and a batch delivered again is
    stored once."""
    result = ingest_events(
        session=session, events=body.events, secret=event_key_secret(settings.signing_key)
    )
    session.commit()
    return result


@router.get("/{sender_id}/transcript")
def get_transcript(
    sender_id: Annotated[str, Path(min_length=1, max_length=128)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> TranscriptRead:
    """The redacted transcript of one chat (customer service and compliance only)."""
    transcript = read_transcript(session=session, principal=principal, sender_id=sender_id)
    session.commit()  # the audit entry
    return transcript
