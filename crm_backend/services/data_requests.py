"""Data-subject requests (PDPO DPP6): access (a copy of the data) and correction.

A signed-in customer's request is verified; an access request is answered at once with an
export and a signed download link (also sent to the contact on file). A guest the bot acts
for leaves a contact to be answered at; the request stays open and unverified for staff,
and the answer is the same whether or not the contact is on file. Every request is due
40 days after it was made; compliance lists and completes them.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.config import Settings
from crm_backend.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crm_backend.models import Customer, DataExport, DataRequest, OutboxMessage
from crm_backend.models.enums import ContactMethod, DataRequestKind, DataRequestStatus
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.clock import format_local
from crm_backend.services.contact_lookup import require_contact
from crm_backend.services.contacts import normalise_email, normalise_phone
from crm_backend.services.customers import customer_of
from crm_backend.services.data_export import (
    EXPORT_LIFETIME,
    LINK_LIFETIME,
    DownloadLink,
    build_export,
    download_link,
)
from crm_backend.services.tokens import Principal

REUSE_WITHIN = timedelta(days=1)
DUE_AFTER = timedelta(days=40)  # PDPO s.19: comply with a data access request within 40 days
REFERENCE_PREFIX = "DAR-"
SYSTEM_COMPLETER = "system"


class DataRequestNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("data request not found")


@dataclass(frozen=True)
class DataRequestView:
    reference: str
    kind: DataRequestKind
    status: DataRequestStatus
    verified: bool
    customer_no: str | None
    created_at: datetime
    due_at: datetime
    days_left: int | None
    overdue: bool
    completed_at: datetime | None
    download: DownloadLink | None
    # The contact a guest left to be answered at (shown to compliance only).
    contact_method: ContactMethod | None = None
    contact_value: str | None = None


def data_request_reference(request_id: int) -> str:
    return f"{REFERENCE_PREFIX}{request_id:06d}"


def create_data_request(
    *,
    session: Session,
    settings: Settings,
    principal: Principal | None,
    kind: DataRequestKind,
    channel: str,
    conversation_id: str | None,
    contact_value: str | None,
    now: datetime,
) -> DataRequestView:
    """A request by a signed-in customer (``principal``) or a guest (``principal`` None)."""
    if principal is not None and principal.kind != "customer":
        raise PermissionDenied("only customers (or the bot for a guest) may make this request")
    customer = customer_of(session=session, principal=principal) if principal else None
    contact_method: ContactMethod | None = None
    contact: str | None = None
    if customer is None:
        contact_method, contact = _guest_contact(contact_value)
    request = DataRequest(
        reference=f"p-{secrets.token_hex(6)}",  # replaced once the row has its id
        customer_id=customer.id if customer else None,
        kind=kind,
        status=DataRequestStatus.OPEN,
        verified=customer is not None,
        contact_method=contact_method,
        contact_value=contact,
        channel=channel,
        conversation_id=conversation_id,
        due_at=now + DUE_AFTER,
        created_at=now,
    )
    session.add(request)
    session.flush()
    request.reference = data_request_reference(request.id)
    record_access(
        session=session,
        principal=principal,
        action="create",
        record_type="data_request",
        record_id=request.reference,
        purpose="data_subject_request",
    )
    link: DownloadLink | None = None
    if customer is not None and kind == DataRequestKind.ACCESS:
        link = _answer_access_request(session, settings, principal, customer, request, now)
    session.flush()
    return _view(request, customer.customer_no if customer else None, link, now)


def _guest_contact(value: str | None) -> tuple[ContactMethod, str]:
    if not value or not value.strip():
        raise InvalidInput(
            "contact_value", "give the email address or phone number we should answer at"
        )
    contact = require_contact(value)
    method = ContactMethod.EMAIL if contact.kind == "email" else ContactMethod.PHONE
    return method, contact.value


def _answer_access_request(
    session: Session,
    settings: Settings,
    principal: Principal | None,
    customer: Customer,
    request: DataRequest,
    now: datetime,
) -> DownloadLink:
    recent = _recent_export(session, customer, now)
    export = recent or build_export(session=session, customer=customer, request=request, now=now)
    link = download_link(settings, export, now=now)
    request.status = DataRequestStatus.COMPLETED
    request.completed_at = now
    request.completed_by = SYSTEM_COMPLETER
    request.note = (
        "answered with the copy made earlier today"
        if recent
        else "copy of the data produced at once"
    )
    record_access(
        session=session,
        principal=principal,
        action="export",
        record_type="customer",
        record_id=customer.customer_no,
        purpose="data_access_request",
    )
    if recent is None:  # asking again within a day gives the same copy, and no new message
        _send_link(session, customer, request, link)
    return link


def _recent_export(session: Session, customer: Customer, now: datetime) -> DataExport | None:
    """A copy made for this customer in the last REUSE_WITHIN, still downloadable: repeated
    requests must not flood the customer's inbox or fill the database with copies."""
    return session.scalar(
        select(DataExport)
        .where(
            DataExport.customer_id == customer.id,
            DataExport.created_at > now - REUSE_WITHIN,
            DataExport.expires_at > now + LINK_LIFETIME,
        )
        .order_by(DataExport.created_at.desc())
        .limit(1)
    )


def _send_link(
    session: Session, customer: Customer, request: DataRequest, link: DownloadLink
) -> bool:
    """An email to a valid email on file, else an SMS to a valid phone; False if neither.
    The message carries the reference and the link, nothing else personal."""
    email = normalise_email(customer.email or "")
    phone = None if email else normalise_phone(customer.phone or "")
    if email is None and phone is None:
        return False
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    body = (
        f"The copy of your personal data you asked for ({request.reference}) is ready. "
        f"Download it within {hours} hours from {link.url} "
        f"(until {format_local(link.expires_at)}, Hong Kong time). "
        f"The copy is kept for {EXPORT_LIFETIME.days} days; after that, ask again."
    )
    session.add(
        OutboxMessage(
            kind="data_export_ready",
            channel="email" if email else "sms",
            recipient=email or phone or "",
            subject=f"Your copy of your personal data ({request.reference})",
            body=body,
            payload={"data_request_ref": request.reference},
        )
    )
    return True


def list_data_requests(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    status: DataRequestStatus | None,
    now: datetime,
) -> list[DataRequestView]:
    """A customer's own requests (newest first, with fresh links to unexpired exports), or
    for staff with the data_requests right, requests in ``status`` (default open), the
    soonest due first."""
    if principal.kind == "customer":
        return _own_requests(session, settings, principal, status, now)
    if principal.kind != "staff":
        raise PermissionDenied("only the customer or compliance staff may list data requests")
    staff_view_level(principal, "data_requests")
    wanted = status or DataRequestStatus.OPEN
    rows = session.execute(
        select(DataRequest, Customer.customer_no)
        .outerjoin(Customer, Customer.id == DataRequest.customer_id)
        .where(DataRequest.status == wanted)
        .order_by(DataRequest.due_at, DataRequest.id)
    ).all()
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="data_request",
        record_id=f"list:{wanted.value}",
        purpose="data_subject_request",
    )
    return [
        _view(request, customer_no, None, now, with_contact=True) for request, customer_no in rows
    ]


def _own_requests(
    session: Session,
    settings: Settings,
    principal: Principal,
    status: DataRequestStatus | None,
    now: datetime,
) -> list[DataRequestView]:
    customer = customer_of(session=session, principal=principal)
    query = select(DataRequest).where(DataRequest.customer_id == customer.id)
    if status is not None:
        query = query.where(DataRequest.status == status)
    requests = list(session.scalars(query.order_by(DataRequest.id.desc())))
    exports: dict[int, DataExport] = {}
    if requests:
        for export in session.scalars(
            select(DataExport)
            .where(
                DataExport.request_id.in_([r.id for r in requests]),
                DataExport.customer_id == customer.id,
                DataExport.expires_at > now,
            )
            .order_by(DataExport.id)
        ):
            exports[export.request_id] = export  # the newest per request
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="data_request",
        record_id=f"list:{customer.customer_no}",
        purpose="self_service",
    )
    return [
        _view(
            request,
            customer.customer_no,
            download_link(settings, exports[request.id], now=now)
            if request.id in exports
            else None,
            now,
        )
        for request in requests
    ]


def complete_data_request(
    *, session: Session, principal: Principal, reference: str, note: str, now: datetime
) -> DataRequestView:
    """Compliance closes a request it has dealt with, saying how."""
    staff_view_level(principal, "data_requests")
    request = session.scalar(
        select(DataRequest).where(DataRequest.reference == reference).with_for_update()
    )
    if request is None:
        raise DataRequestNotFound()
    if request.status != DataRequestStatus.OPEN:
        raise Conflict(f"the request is already {request.status.value}")
    request.status = DataRequestStatus.COMPLETED
    request.completed_at = now
    request.completed_by = principal.subject
    request.note = note
    record_access(
        session=session,
        principal=principal,
        action="update",
        record_type="data_request",
        record_id=request.reference,
        purpose="data_subject_request",
    )
    session.flush()
    customer_no = (
        session.scalar(select(Customer.customer_no).where(Customer.id == request.customer_id))
        if request.customer_id
        else None
    )
    return _view(request, customer_no, None, now, with_contact=True)


def _view(
    request: DataRequest,
    customer_no: str | None,
    link: DownloadLink | None,
    now: datetime,
    *,
    with_contact: bool = False,
) -> DataRequestView:
    is_open = request.status == DataRequestStatus.OPEN
    days_left = math.ceil((request.due_at - now).total_seconds() / 86400) if is_open else None
    return DataRequestView(
        reference=request.reference,
        kind=request.kind,
        status=request.status,
        verified=request.verified,
        customer_no=customer_no,
        created_at=request.created_at,
        due_at=request.due_at,
        days_left=days_left,
        overdue=is_open and now > request.due_at,
        completed_at=request.completed_at,
        download=link,
        contact_method=request.contact_method if with_contact else None,
        contact_value=request.contact_value if with_contact else None,
    )
