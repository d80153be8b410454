"""The consent ledger: every grant and withdrawal, against a statement version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.models import Consent, Customer
from crm_backend.schemas.marketing import ConsentItem, ConsentList
from crm_backend.services.audit import record_access
from crm_backend.services.customers import customer_for
from crm_backend.services.tokens import Principal

PROFILE_UPDATE = "profile_update"


def marketing_purpose(channel: str) -> str:
    return f"direct_marketing_{channel}"


def record_consent(
    *,
    session: Session,
    customer: Customer,
    purpose: str,
    statement_version: str,
    granted: bool,
    channel: str,
    conversation_id: str | None,
    now: datetime | None = None,
) -> Consent:
    """Adds one ledger row (flushed, so its id is known)."""
    consent = Consent(
        customer_id=customer.id,
        purpose=purpose,
        statement_version=statement_version,
        granted=granted,
        channel=channel,
        conversation_id=conversation_id,
        created_at=now or utcnow(),
    )
    session.add(consent)
    session.flush()
    return consent


def consent_ledger(*, session: Session, principal: Principal, customer_no: str) -> ConsentList:
    """The customer's consents, newest first (the customer, or staff with ``consents``)."""
    customer = customer_for(
        session=session, principal=principal, customer_no=customer_no, resource="consents"
    )
    rows = session.scalars(
        select(Consent)
        .where(Consent.customer_id == customer.id)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
    ).all()
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="consent",
        record_id=customer.customer_no,
        purpose="self_service" if principal.kind == "customer" else "consent_enquiry",
    )
    return ConsentList(
        items=[
            ConsentItem(
                id=row.id,
                purpose=row.purpose,
                statement_version=row.statement_version,
                granted=row.granted,
                channel=row.channel,
                conversation_id=row.conversation_id,
                created_at=row.created_at,
            )
            for row in rows
        ]
    )
