"""What the complainant does with a filed complaint: add information, withdraw it, and
answer the satisfaction follow-up (with recovery when they are unhappy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.models import CallbackRequest, Complaint
from crm_backend.models.enums import ActorType
from crm_backend.services import complaint_lifecycle as lifecycle
from crm_backend.services.audit import record_access
from crm_backend.services.callbacks import callback_due
from crm_backend.services.clock import format_local
from crm_backend.services.complaints import complainant_complaint
from crm_backend.services.followup_policy import load_followup_policy
from crm_backend.services.notifications import notify_supervisors, supervisor_usernames
from crm_backend.services.tokens import Principal


def _complainant(session: Session, principal: Principal, reference: str) -> Complaint:
    complaint = complainant_complaint(session=session, principal=principal, reference=reference)
    record_access(
        session=session,
        principal=principal,
        action="update",
        record_type="complaint",
        record_id=complaint.reference,
        purpose="complaint_handling",
    )
    return complaint


def _actor(principal: Principal) -> lifecycle.Actor:
    return lifecycle.Actor(ActorType.CUSTOMER, principal.subject)


def add_information(
    *, session: Session, principal: Principal, reference: str, text: str
) -> Complaint:
    complaint = _complainant(session, principal, reference)
    lifecycle.add_information(complaint, text, actor=_actor(principal), now=utcnow())
    session.flush()
    return complaint


def withdraw(
    *, session: Session, principal: Principal, reference: str, reason: str | None
) -> Complaint:
    complaint = _complainant(session, principal, reference)
    lifecycle.transition(
        complaint,
        lifecycle.StatusAction.WITHDRAW,
        actor=_actor(principal),
        now=utcnow(),
        policy=load_followup_policy(),
        note=reason,
    )
    session.flush()
    return complaint


@dataclass(frozen=True, slots=True)
class SatisfactionOutcome:
    complaint: Complaint
    reopened: bool
    recovery_offer: str | None
    callback_expected_by: datetime | None


def record_satisfaction(
    *,
    session: Session,
    principal: Principal,
    reference: str,
    rating: int,
    comment: str | None,
    now: datetime | None = None,
) -> SatisfactionOutcome:
    now = now or utcnow()
    policy = load_followup_policy()
    complaint = _complainant(session, principal, reference)
    lifecycle.record_satisfaction(
        complaint, rating, comment, actor=_actor(principal), now=now, policy=policy
    )
    if complaint.status != lifecycle.S.IN_PROGRESS:
        session.flush()
        return SatisfactionOutcome(complaint, False, None, None)

    callback_by = None
    if complaint.recovery_offer == "priority_callback" and complaint.contact_method:
        callback_by = callback_due(now, policy.priority_callback_within)
        session.add(
            CallbackRequest(
                customer_id=complaint.customer_id,
                complaint_id=complaint.id,
                conversation_id=complaint.conversation_id or "",
                contact_method=complaint.contact_method,
                contact_value=complaint.contact_value,
                context={"reason": "recovery", "complaint_ref": complaint.reference},
                expected_by=callback_by,
                created_at=now,
            )
        )
    notify_supervisors(
        session,
        supervisors=supervisor_usernames(session, policy.notify_department),
        department=policy.notify_department,
        complaint=complaint,
        kind="escalation_notice",
        subject=f"Unhappy customer: {complaint.reference} reopened",
        body=(
            f"The customer rated the handling of {complaint.reference} {rating}/5. It is "
            f"reopened at escalation level {complaint.escalation_level}; recovery offer: "
            f"{complaint.recovery_offer}."
            + (f" Callback promised by {format_local(callback_by)}." if callback_by else "")
        ),
    )
    session.flush()
    return SatisfactionOutcome(complaint, True, complaint.recovery_offer, callback_by)
