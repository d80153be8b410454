"""Staff working a complaint: assign, note, change status. Department rights and
optimistic locking are checked here; the rules of each step live in complaint_lifecycle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.errors import ComplaintNotFound, InvalidInput, StaleVersion
from crm_backend.models import Complaint, Staff
from crm_backend.models.enums import ActorType
from crm_backend.services import complaint_lifecycle as lifecycle
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.followup_policy import load_followup_policy
from crm_backend.services.tokens import Principal


def complaint_for_work(
    *, session: Session, principal: Principal, reference: str, expected_version: int | None
) -> Complaint:
    """The complaint, if the caller's department may work on complaints and nobody changed
    it since the caller last read it (``expected_version``)."""
    staff_view_level(principal, "complaint_work")
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    if complaint is None:
        raise ComplaintNotFound()
    if expected_version is not None and expected_version != complaint.version:
        raise StaleVersion()
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
    return lifecycle.Actor(ActorType.STAFF, principal.subject)


def assign_complaint(
    *,
    session: Session,
    principal: Principal,
    reference: str,
    assignee: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    complaint = complaint_for_work(
        session=session, principal=principal, reference=reference, expected_version=expected_version
    )
    username = assignee or principal.subject
    staff = session.scalar(select(Staff).where(Staff.username == username, Staff.is_active))
    if staff is None:
        raise InvalidInput("assignee", "there is no active staff member with that username")
    lifecycle.assign(complaint, staff, actor=_actor(principal), now=now or utcnow())
    session.flush()
    return complaint


def add_staff_note(
    *,
    session: Session,
    principal: Principal,
    reference: str,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    complaint = complaint_for_work(
        session=session, principal=principal, reference=reference, expected_version=expected_version
    )
    lifecycle.add_note(complaint, note, actor=_actor(principal), now=now or utcnow())
    session.flush()
    return complaint


def change_status(
    *,
    session: Session,
    principal: Principal,
    reference: str,
    action: lifecycle.StatusAction,
    note: str | None = None,
    resolution: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    complaint = complaint_for_work(
        session=session, principal=principal, reference=reference, expected_version=expected_version
    )
    lifecycle.transition(
        complaint,
        action,
        actor=_actor(principal),
        now=now or utcnow(),
        policy=load_followup_policy(),
        note=note,
        resolution=resolution,
    )
    session.flush()
    return complaint
