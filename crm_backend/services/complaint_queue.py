"""Lists of complaints: a staff member's queues and a customer's own complaints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, raiseload, selectinload

from crm_backend.db import utcnow
from crm_backend.errors import PermissionDenied
from crm_backend.models import Complaint, Staff
from crm_backend.models.enums import ComplaintCategory, ComplaintStatus, Priority
from crm_backend.schemas.complaint import ComplaintList
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.complaint_lifecycle import OPEN
from crm_backend.services.complaint_views import complaint_summary
from crm_backend.services.customers import customer_of
from crm_backend.services.tokens import Principal

Queue = Literal["mine", "overdue", "open", "all"]


@dataclass(frozen=True, slots=True)
class QueueFilter:
    queue: Queue = "open"
    priority: Priority | None = None
    category: ComplaintCategory | None = None
    status: ComplaintStatus | None = None
    escalated: bool | None = None
    limit: int = 10


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Open and past a due time: no first response in time, or not resolved in time."""
    return and_(
        Complaint.status.in_(OPEN),
        or_(
            Complaint.resolution_due_at < now,
            and_(Complaint.first_responded_at.is_(None), Complaint.first_response_due_at < now),
        ),
    )


def list_complaints(
    *, session: Session, principal: Principal, filters: QueueFilter, now: datetime | None = None
) -> ComplaintList:
    now = now or utcnow()
    if principal.kind == "customer":
        query = _customer_query(session, principal)
    elif principal.kind == "staff":
        staff_view_level(principal, "complaints")
        query = _staff_query(session, principal, filters, now)
    else:
        raise PermissionDenied("sign in to see a list of complaints")
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(filters.limit)).unique().all()
    record_access(
        session=session,
        principal=principal,
        action="list",
        record_type="complaint",
        record_id=f"queue:{filters.queue}" if principal.kind == "staff" else "own",
        purpose="complaint_handling",
    )
    return ComplaintList(items=[complaint_summary(c, now=now) for c in rows], total=total)


def _customer_query(session: Session, principal: Principal) -> Select[Complaint]:
    customer = customer_of(session=session, principal=principal)
    return (
        select(Complaint)
        .options(*_SUMMARY_ONLY)
        .where(Complaint.customer_id == customer.id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
    )


# A summary needs the row and the assignee only.
_SUMMARY_ONLY = (
    selectinload(Complaint.assigned_staff),
    raiseload(Complaint.customer),
    raiseload(Complaint.order),
    raiseload(Complaint.events),
)


def _staff_query(
    session: Session, principal: Principal, filters: QueueFilter, now: datetime
) -> Select[Complaint]:
    query = select(Complaint).options(*_SUMMARY_ONLY)
    if filters.queue == "mine":
        staff_id = session.scalar(select(Staff.id).where(Staff.username == principal.subject))
        query = query.where(Complaint.assigned_staff_id == staff_id, Complaint.status.in_(OPEN))
    elif filters.queue == "overdue":
        query = query.where(overdue_condition(now))
    elif filters.queue == "open":
        query = query.where(Complaint.status.in_(OPEN))
    if filters.priority is not None:
        query = query.where(Complaint.priority == filters.priority)
    if filters.category is not None:
        query = query.where(Complaint.category == filters.category)
    if filters.status is not None:
        query = query.where(Complaint.status == filters.status)
    if filters.escalated is not None:
        query = query.where(
            Complaint.escalation_level > 0 if filters.escalated else Complaint.escalation_level == 0
        )
    if filters.queue == "overdue":
        # Most overdue first.
        return query.order_by(Complaint.resolution_due_at, Complaint.id)
    return query.order_by(Complaint.created_at.desc(), Complaint.id.desc())
