"""Reading the redacted transcripts: who may, the link a complaint view shows, and the
audited read itself. (``transcripts.py`` stores them.)"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_backend.errors import NotFound, PermissionDenied
from crm_backend.models import Complaint, TranscriptEntry
from crm_backend.schemas.transcript import TranscriptEntryRead, TranscriptRead
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.tokens import Principal

MAX_ENTRIES = 2_000  # served per transcript
READ_PURPOSE = {"customer_service": "complaint_handling", "compliance": "compliance_review"}


def _record_id(sender_id: str) -> str:
    """The audit log's record id (64 characters at most)."""
    if len(sender_id) <= 64:
        return sender_id
    return "sha256:" + hashlib.sha256(sender_id.encode()).hexdigest()[:57]


def may_read_transcripts(principal: Principal | None) -> bool:
    if principal is None or principal.kind != "staff":
        return False
    try:
        staff_view_level(principal, "transcripts")
    except PermissionDenied:
        return False
    return True


def transcript_path(sender_id: str) -> str:
    return f"/api/v1/conversations/{quote(sender_id, safe='')}/transcript"


def _entry(row: TranscriptEntry) -> TranscriptEntryRead:
    return TranscriptEntryRead(
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        name=row.name,
        text=row.text,
        value=json.loads(row.value) if row.value is not None else None,
        value_withheld=row.value_withheld,
    )


def read_transcript(*, session: Session, principal: Principal, sender_id: str) -> TranscriptRead:
    """The redacted transcript of one conversation, for departments allowed to read it;
    the read is audited. The caller commits (the audit entry)."""
    staff_view_level(principal, "transcripts")
    total = session.scalar(
        select(func.count())
        .select_from(TranscriptEntry)
        .where(TranscriptEntry.sender_id == sender_id)
    )
    if not total:
        raise NotFound("transcript not found")
    rows = session.scalars(
        select(TranscriptEntry)
        .where(TranscriptEntry.sender_id == sender_id)
        .order_by(TranscriptEntry.occurred_at, TranscriptEntry.id)
        .limit(MAX_ENTRIES)
    ).all()
    complaints = session.scalars(
        select(Complaint.reference)
        .where(Complaint.conversation_id == sender_id)
        .order_by(Complaint.id)
    ).all()
    assert principal.department is not None
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="transcript",
        record_id=_record_id(sender_id),
        purpose=READ_PURPOSE.get(principal.department.value, "transcript_review"),
    )
    return TranscriptRead(
        sender_id=sender_id,
        complaints=list(complaints),
        total=total,
        truncated=total > len(rows),
        entries=[_entry(row) for row in rows],
    )
