"""How a complaint is shown: SLA state, next step, and the caller-dependent views."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from crm_backend.models import Complaint
from crm_backend.models.enums import ActorType, ComplaintStatus
from crm_backend.schemas.complaint import (
    ComplaintEventRead,
    ComplaintRead,
    ComplaintSummary,
    NextStep,
    SlaState,
)
from crm_backend.services.clock import format_local
from crm_backend.services.complaint_lifecycle import OPEN
from crm_backend.services.masking import mask_contact
from crm_backend.services.tokens import Principal
from crm_backend.services.transcript_reading import may_read_transcripts, transcript_path

# "Due soon" once less than this share of a target's window is left.
DUE_SOON_SHARE = 0.25
# full: staff who see everything; redacted: staff who see redacted text; customer: the
# complainant (their own text, no internal notes).
ViewLevel = Literal["full", "redacted", "customer"]


def sla_state(complaint: Complaint, now: datetime) -> SlaState:
    if complaint.status not in OPEN:
        resolved = complaint.resolved_at or complaint.closed_at or now
        breached = resolved > complaint.resolution_due_at or _first_response_late(complaint)
        return "breached" if breached else "met"
    if now > complaint.resolution_due_at or (
        complaint.first_responded_at is None and now > complaint.first_response_due_at
    ):
        return "breached"
    due = (
        complaint.first_response_due_at
        if complaint.first_responded_at is None
        else complaint.resolution_due_at
    )
    window = due - complaint.created_at
    return "due_soon" if due - now <= max(window * DUE_SOON_SHARE, timedelta(0)) else "on_track"


def _first_response_late(complaint: Complaint) -> bool:
    return (
        complaint.first_responded_at is not None
        and complaint.first_responded_at > complaint.first_response_due_at
    )


def next_step(complaint: Complaint) -> NextStep:
    status = complaint.status
    if status == ComplaintStatus.NEW:
        return "acknowledge"
    if status == ComplaintStatus.AWAITING_CUSTOMER:
        return "waiting_for_you"
    if status == ComplaintStatus.RESOLVED:
        return "resolved_awaiting_feedback"
    if status == ComplaintStatus.CLOSED:
        return "closed"
    return "investigate"


def last_update(complaint: Complaint) -> datetime:
    return max((event.created_at for event in complaint.events), default=complaint.created_at)


def complaint_view(
    complaint: Complaint, *, level: ViewLevel, now: datetime, viewer: Principal | None = None
) -> ComplaintRead:
    """``viewer`` (the caller) decides whether the chat transcript is linked."""
    redacted = resolution = None
    if level == "redacted":
        from crm_backend.privacy import scrub  # loads the NLP model on first use only

        redacted = scrub(complaint.description)
        resolution = scrub(complaint.resolution) if complaint.resolution else None
    else:
        resolution = complaint.resolution
    updated = last_update(complaint)
    return ComplaintRead(
        reference=complaint.reference,
        status=complaint.status,
        category=complaint.category,
        priority=complaint.priority,
        description=None if level == "redacted" else complaint.description,
        description_redacted=redacted,
        order_no=complaint.order.order_no if complaint.order else None,
        customer_no=complaint.customer.customer_no if complaint.customer else None,
        contact_method=complaint.contact_method,
        contact_masked=mask_contact(complaint.contact_method, complaint.contact_value),
        escalation_level=complaint.escalation_level,
        escalated=complaint.escalation_level > 0,
        assigned_to=complaint.assigned_staff.username if complaint.assigned_staff else None,
        resolution=resolution,
        csat_score=complaint.csat_score,
        recovery_offer=complaint.recovery_offer,
        sla_policy_version=complaint.sla_policy_version,
        first_response_due_at=complaint.first_response_due_at,
        resolution_due_at=complaint.resolution_due_at,
        first_response_due_local=format_local(complaint.first_response_due_at),
        resolution_due_local=format_local(complaint.resolution_due_at),
        sla_state=sla_state(complaint, now),
        next_step=next_step(complaint),
        version=complaint.version,
        last_update_at=updated,
        last_update_local=format_local(updated),
        created_at=complaint.created_at,
        updated_at=complaint.updated_at,
        events=[
            ComplaintEventRead(
                event_type=event.event_type,
                from_status=event.from_status,
                to_status=event.to_status,
                note=event.note if note_visible(event.event_type, level) else None,
                actor_type=event.actor_type,
                actor=event.actor_id if event.actor_type == ActorType.STAFF else None,
                created_at=event.created_at,
            )
            for event in complaint.events
        ],
        transcript_url=(
            transcript_path(complaint.conversation_id)
            if complaint.conversation_id and may_read_transcripts(viewer)
            else None
        ),
    )


def note_visible(event_type: str, level: ViewLevel) -> bool:
    """Internal notes and free text for full views; the complainant sees their own additions
    and the outcome, never staff notes; redacted views see no free text."""
    if level == "full":
        return True
    if level == "customer":
        return event_type in ("customer_info", "resolved", "recovery_offered", "csat_recorded")
    return event_type in ("recovery_offered", "csat_recorded", "escalated")


def complaint_summary(complaint: Complaint, *, now: datetime) -> ComplaintSummary:
    return ComplaintSummary(
        reference=complaint.reference,
        status=complaint.status,
        priority=complaint.priority,
        category=complaint.category,
        age_hours=max(int((now - complaint.created_at).total_seconds() // 3600), 0),
        sla_state=sla_state(complaint, now),
        escalation_level=complaint.escalation_level,
        assigned_to=complaint.assigned_staff.username if complaint.assigned_staff else None,
        created_at=complaint.created_at,
        resolution_due_at=complaint.resolution_due_at,
        resolution_due_local=format_local(complaint.resolution_due_at),
        last_update_local=format_local(complaint.updated_at),
    )
