"""Filing complaints and the caller-dependent view of one complaint."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.errors import ComplaintNotFound, Conflict, InvalidInput, PermissionDenied
from crm_backend.models import Complaint, ComplaintEvent, Customer, Order, OutboxMessage
from crm_backend.models.enums import ComplaintStatus, ContactMethod
from crm_backend.schemas.complaint import ComplaintCreate, ComplaintRead
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import actor_of, record_access
from crm_backend.services.clock import format_local
from crm_backend.services.complaint_views import ViewLevel, complaint_view
from crm_backend.services.contacts import resolve_contact
from crm_backend.services.customers import customer_of, requesting_customer
from crm_backend.services.orders import find_customer_order
from crm_backend.services.sla import load_sla_policy
from crm_backend.services.tokens import Principal


def complaint_reference(complaint_id: int) -> str:
    return f"CMP-{complaint_id:06d}"


def create_complaint(
    *,
    session: Session,
    data: ComplaintCreate,
    principal: Principal | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Complaint, bool]:
    """File a complaint for a signed-in customer (``principal``) or an anonymous visitor
    (``principal`` None, reached through the bot's service token).

    Returns the complaint and whether it was created; a repeated idempotency key returns
    the complaint filed the first time.
    """
    customer = requesting_customer(session=session, principal=principal)
    scoped_key = _scoped_key(principal, idempotency_key)
    if scoped_key and (existing := _replayed(session, scoped_key, data)) is not None:
        return existing, False

    contact_method, contact_value = resolve_contact(
        method=data.contact_method, value=data.contact_value, customer=customer
    )
    order, unverified_order_no = _resolve_order(session, data, customer)
    now = now or utcnow()
    policy = load_sla_policy()
    priority = policy.priority_for(data.category, data.description)
    first_response_due, resolution_due = policy.due_times(priority, now)
    complaint = Complaint(
        reference=f"pending-{uuid.uuid4().hex}",
        customer_id=customer.id if customer else None,
        order_id=order.id if order else None,
        category=data.category,
        description=data.description,
        priority=priority,
        status=ComplaintStatus.NEW,
        channel=data.channel,
        contact_method=contact_method,
        contact_value=contact_value,
        conversation_id=data.conversation_id,
        idempotency_key=scoped_key,
        sla_policy_version=policy.version,
        first_response_due_at=first_response_due,
        resolution_due_at=resolution_due,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(complaint)
            session.flush()
    except IntegrityError:
        # A concurrent request with the same idempotency key won the race.
        if scoped_key and (existing := _replayed(session, scoped_key, data)) is not None:
            return existing, False
        raise
    complaint.reference = complaint_reference(complaint.id)
    complaint.updated_at = now  # else onupdate would stamp the wall clock
    actor_type, actor_id = actor_of(principal)
    session.add(
        ComplaintEvent(
            complaint=complaint,
            event_type="created",
            to_status=ComplaintStatus.NEW,
            actor_type=actor_type,
            actor_id=actor_id,
            note=(
                f"Order number given by an anonymous visitor, not verified: {unverified_order_no}"
                if unverified_order_no
                else None
            ),
            created_at=now,
        )
    )
    if contact_method and contact_value:
        session.add(_acknowledgement(complaint, contact_method, contact_value))
    record_access(
        session=session,
        principal=principal,
        action="create",
        record_type="complaint",
        record_id=complaint.reference,
        purpose="complaint_handling",
    )
    session.flush()
    return complaint, True


def find_customer_complaint(
    *, session: Session, customer: Customer, reference: str
) -> Complaint | None:
    return session.scalar(
        select(Complaint).where(
            Complaint.reference == reference, Complaint.customer_id == customer.id
        )
    )


def complainant_complaint(*, session: Session, principal: Principal, reference: str) -> Complaint:
    """The complaint as its complainant may act on it: a customer's own, or the one a
    complaint token names. Anything else answers exactly like a missing complaint."""
    if principal.kind == "customer":
        customer = customer_of(session=session, principal=principal)
        complaint = find_customer_complaint(session=session, customer=customer, reference=reference)
    elif principal.kind == "complaint" and principal.subject == reference:
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    elif principal.kind == "complaint":
        complaint = None
    else:
        raise PermissionDenied("only the customer who filed the complaint may do this")
    if complaint is None:
        raise ComplaintNotFound()
    return complaint


def read_complaint(*, session: Session, principal: Principal, reference: str) -> ComplaintRead:
    level: ViewLevel
    if principal.kind == "staff":
        department_level = staff_view_level(principal, "complaints")
        level = "full" if department_level == "full" else "redacted"
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
        if complaint is None:
            raise ComplaintNotFound()
    else:
        complaint = complainant_complaint(session=session, principal=principal, reference=reference)
        level = "customer"
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="complaint",
        record_id=complaint.reference,
        purpose="complaint_handling",
    )
    return complaint_view(complaint, level=level, now=utcnow(), viewer=principal)


def _scoped_key(principal: Principal | None, key: str | None) -> str | None:
    """Keys are namespaced by caller, so one caller's key can never reach another's complaint."""
    if not key:
        return None
    scope = f"{principal.kind}:{principal.subject}" if principal else "bot"
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def _replayed(session: Session, scoped_key: str, data: ComplaintCreate) -> Complaint | None:
    existing = session.scalar(select(Complaint).where(Complaint.idempotency_key == scoped_key))
    if existing is None:
        return None
    if existing.description != data.description or existing.category != data.category:
        raise Conflict("Idempotency-Key was already used for a different complaint")
    return existing


def _resolve_order(
    session: Session, data: ComplaintCreate, customer: Customer | None
) -> tuple[Order | None, str | None]:
    if data.order_no is None:
        return None, None
    if customer is None:
        return None, data.order_no
    order = find_customer_order(session=session, customer=customer, order_no=data.order_no)
    if order is None:
        raise InvalidInput("order_no", "there is no order with this number on your account")
    return order, None


def _acknowledgement(complaint: Complaint, method: ContactMethod, recipient: str) -> OutboxMessage:
    due = format_local(complaint.first_response_due_at)
    return OutboxMessage(
        kind="complaint_acknowledgement",
        channel="email" if method == ContactMethod.EMAIL else "sms",
        recipient=recipient,
        subject=f"We have received your complaint {complaint.reference}",
        body=(
            f"Thank you for telling us. Your complaint reference is {complaint.reference}. "
            f"A member of our customer service team will reply by {due} (Hong Kong time)."
        ),
        payload={"complaint_ref": complaint.reference},
    )
