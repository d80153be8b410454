from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status

from crm_backend.api.deps import BotOrCustomer, CurrentPrincipal, SessionDep
from crm_backend.db import utcnow
from crm_backend.models import Complaint
from crm_backend.models.enums import ComplaintCategory, ComplaintStatus, Priority
from crm_backend.schemas.common import COMPLAINT_REF_PATTERN
from crm_backend.schemas.complaint import (
    AssignRequest,
    ComplaintCreate,
    ComplaintList,
    ComplaintRead,
    InformationRequest,
    NoteRequest,
    SatisfactionRequest,
    SatisfactionResult,
    TransitionRequest,
    WithdrawRequest,
)
from crm_backend.services import complaint_self_service, complaint_work
from crm_backend.services.clock import format_local
from crm_backend.services.complaint_lifecycle import StatusAction
from crm_backend.services.complaint_queue import QueueFilter, list_complaints
from crm_backend.services.complaint_views import ViewLevel, complaint_view
from crm_backend.services.complaints import create_complaint, read_complaint
from crm_backend.services.tokens import Principal

router = APIRouter(prefix="/complaints", tags=["complaints"])

IdempotencyKey = Annotated[
    str | None,
    Header(min_length=8, max_length=128, description="Repeat-safe key; a retry returns the first"),
]
Reference = Annotated[str, Path(pattern=COMPLAINT_REF_PATTERN)]


def _view(complaint: Complaint, principal: Principal) -> ComplaintRead:
    level: ViewLevel = "full" if principal.kind == "staff" else "customer"
    return complaint_view(complaint, level=level, now=utcnow(), viewer=principal)


@router.post("", status_code=status.HTTP_201_CREATED)
def file_complaint(
    body: ComplaintCreate,
    session: SessionDep,
    caller: BotOrCustomer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ComplaintRead:
    complaint, created = create_complaint(
        session=session, data=body, principal=caller, idempotency_key=idempotency_key
    )
    session.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return complaint_view(complaint, level="customer", now=utcnow())


@router.get("")
def get_complaints(
    session: SessionDep,
    principal: CurrentPrincipal,
    queue: Literal["mine", "overdue", "open", "all"] = "open",
    priority: Priority | None = None,
    category: ComplaintCategory | None = None,
    status_: Annotated[ComplaintStatus | None, Query(alias="status")] = None,
    escalated: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> ComplaintList:
    """Staff: a queue with filters. Customers: their own complaints, newest first."""
    filters = QueueFilter(queue, priority, category, status_, escalated, limit)
    result = list_complaints(session=session, principal=principal, filters=filters)
    session.commit()  # the audit entry
    return result


@router.get("/{reference}")
def get_complaint(
    reference: Reference, session: SessionDep, principal: CurrentPrincipal
) -> ComplaintRead:
    view = read_complaint(session=session, principal=principal, reference=reference)
    session.commit()  # the audit entry
    return view


@router.post("/{reference}/assign")
def assign(
    reference: Reference, body: AssignRequest, session: SessionDep, principal: CurrentPrincipal
) -> ComplaintRead:
    complaint = complaint_work.assign_complaint(
        session=session,
        principal=principal,
        reference=reference,
        assignee=body.assignee,
        expected_version=body.expected_version,
    )
    session.commit()
    return _view(complaint, principal)


@router.post("/{reference}/notes")
def add_note(
    reference: Reference, body: NoteRequest, session: SessionDep, principal: CurrentPrincipal
) -> ComplaintRead:
    complaint = complaint_work.add_staff_note(
        session=session,
        principal=principal,
        reference=reference,
        note=body.note,
        expected_version=body.expected_version,
    )
    session.commit()
    return _view(complaint, principal)


@router.post("/{reference}/transition")
def change_status(
    reference: Reference, body: TransitionRequest, session: SessionDep, principal: CurrentPrincipal
) -> ComplaintRead:
    complaint = complaint_work.change_status(
        session=session,
        principal=principal,
        reference=reference,
        action=StatusAction(body.action),
        note=body.note,
        resolution=body.resolution,
        expected_version=body.expected_version,
    )
    session.commit()
    return _view(complaint, principal)


@router.post("/{reference}/information")
def add_information(
    reference: Reference, body: InformationRequest, session: SessionDep, principal: CurrentPrincipal
) -> ComplaintRead:
    complaint = complaint_self_service.add_information(
        session=session, principal=principal, reference=reference, text=body.text
    )
    session.commit()
    return _view(complaint, principal)


@router.post("/{reference}/withdraw")
def withdraw(
    reference: Reference, body: WithdrawRequest, session: SessionDep, principal: CurrentPrincipal
) -> ComplaintRead:
    complaint = complaint_self_service.withdraw(
        session=session, principal=principal, reference=reference, reason=body.reason
    )
    session.commit()
    return _view(complaint, principal)


@router.post("/{reference}/satisfaction")
def rate(
    reference: Reference,
    body: SatisfactionRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SatisfactionResult:
    outcome = complaint_self_service.record_satisfaction(
        session=session,
        principal=principal,
        reference=reference,
        rating=body.rating,
        comment=body.comment,
    )
    session.commit()
    return SatisfactionResult(
        complaint=_view(outcome.complaint, principal),
        outcome="reopened" if outcome.reopened else "closed",
        recovery_offer=outcome.recovery_offer,
        callback_expected_by_local=(
            format_local(outcome.callback_expected_by) if outcome.callback_expected_by else None
        ),
    )
