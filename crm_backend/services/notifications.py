"""Outbox messages the complaint workflows send: supervisor notices and customer messages.

Written in the same transaction as the change that causes them; delivery is separate.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.models import Complaint, OutboxMessage, Staff
from crm_backend.models.enums import ContactMethod, Department, StaffRole
from crm_backend.services.audit import record_system_access


def supervisor_usernames(session: Session, department: Department) -> list[str]:
    return list(
        session.scalars(
            select(Staff.username)
            .where(
                Staff.department == department,
                Staff.role == StaffRole.SUPERVISOR,
                Staff.is_active,
            )
            .order_by(Staff.username)
        )
    )


def notify_supervisors(
    session: Session,
    *,
    supervisors: list[str],
    department: Department,
    complaint: Complaint,
    kind: str,
    subject: str,
    body: str,
) -> None:
    """One staff notice per supervisor (or to the department when it has none). Notices
    carry references and facts, never the complaint text or contact details."""
    recipients = [f"staff:{name}" for name in supervisors] or [f"department:{department.value}"]
    for recipient in recipients:
        session.add(
            OutboxMessage(
                kind=kind,
                channel="staff",
                recipient=recipient,
                subject=subject,
                body=body,
                payload={"complaint_ref": complaint.reference},
            )
        )


def message_complainant(
    session: Session, complaint: Complaint, *, kind: str, subject: str, body: str
) -> bool:
    """Queue an email or SMS to the contact given with the complaint; False if there is none."""
    if not complaint.contact_method or not complaint.contact_value:
        return False
    session.add(
        OutboxMessage(
            kind=kind,
            channel="email" if complaint.contact_method == ContactMethod.EMAIL else "sms",
            recipient=complaint.contact_value,
            subject=subject,
            body=body,
            payload={"complaint_ref": complaint.reference},
        )
    )
    # Using the contact on a complaint is a use of personal data: audited, as the system.
    record_system_access(
        session=session,
        action="contact",
        record_type="complaint",
        record_id=complaint.reference,
        purpose=kind,
    )
    return True
