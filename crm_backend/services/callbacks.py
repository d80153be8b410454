"""Callback requests ("I want a person") and when a person will get back to the customer."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.errors import InvalidInput
from crm_backend.models import CallbackRequest, Complaint
from crm_backend.schemas.callback import CallbackCreate, CallbackRead
from crm_backend.services.audit import record_access
from crm_backend.services.clock import HONG_KONG, format_local
from crm_backend.services.complaints import complainant_complaint, find_customer_complaint
from crm_backend.services.contacts import resolve_contact
from crm_backend.services.customers import requesting_customer
from crm_backend.services.masking import mask_contact
from crm_backend.services.tokens import Principal

# Customer service hotline hours (Hong Kong time), Monday to Saturday. Public holidays are
# not modelled yet, so a promise made before one may be late by a day.
OPENING = time(9, 0)
CLOSING = time(18, 0)
WORKING_DAYS = range(0, 6)
CALLBACK_WITHIN = timedelta(hours=2)


def callback_due(now: datetime, within: timedelta = CALLBACK_WITHIN) -> datetime:
    """``now`` plus ``within`` counted in working hours only."""
    moment = now.astimezone(HONG_KONG)
    remaining = within
    while remaining > timedelta(0):
        opening = moment.replace(hour=OPENING.hour, minute=OPENING.minute, second=0, microsecond=0)
        closing = moment.replace(hour=CLOSING.hour, minute=CLOSING.minute, second=0, microsecond=0)
        if moment.weekday() not in WORKING_DAYS or moment >= closing:
            moment = (opening + timedelta(days=1)).replace(hour=OPENING.hour)
            continue
        moment = max(moment, opening)
        step = min(remaining, closing - moment)
        moment += step
        remaining -= step
    return moment


def create_callback(
    *, session: Session, data: CallbackCreate, principal: Principal | None
) -> CallbackRequest:
    complaint: Complaint | None = None
    if principal is not None and principal.kind == "complaint":
        # A guest verified for one complaint: that complaint, and its contact by default.
        complaint = complainant_complaint(
            session=session, principal=principal, reference=principal.subject
        )
        customer = complaint.customer
    else:
        customer = requesting_customer(session=session, principal=principal)
        # Only the customer's own complaint may be attached; others are silently left out.
        if customer and data.complaint_ref:
            complaint = find_customer_complaint(
                session=session, customer=customer, reference=data.complaint_ref
            )
    if customer is None and complaint is not None and not data.contact_value:
        method, value = complaint.contact_method, complaint.contact_value
    else:
        method, value = resolve_contact(
            method=data.contact_method, value=data.contact_value, customer=customer
        )
    if method is None or value is None:
        raise InvalidInput("contact_value", "we need an email address or phone number to reach you")
    now = utcnow()
    callback = CallbackRequest(
        customer_id=customer.id if customer else None,
        complaint_id=complaint.id if complaint else None,
        conversation_id=data.conversation_id,
        contact_method=method,
        contact_value=value,
        context={"reason": data.reason, **data.context},
        expected_by=callback_due(now),
        created_at=now,
    )
    session.add(callback)
    session.flush()
    record_access(
        session=session,
        principal=principal,
        action="create",
        record_type="callback_request",
        record_id=str(callback.id),
        purpose="customer_contact",
    )
    return callback


def callback_view(callback: CallbackRequest, complaint_ref: str | None) -> CallbackRead:
    return CallbackRead(
        id=callback.id,
        status=callback.status,
        contact_method=callback.contact_method,
        contact_masked=mask_contact(callback.contact_method, callback.contact_value),
        complaint_ref=complaint_ref,
        expected_by=callback.expected_by,
        expected_by_local=format_local(callback.expected_by),
    )


def attached_reference(session: Session, callback: CallbackRequest) -> str | None:
    if callback.complaint_id is None:
        return None
    complaint = session.get(Complaint, callback.complaint_id)
    return complaint.reference if complaint else None
