"""Consented profile updates: propose a new value (validated, shown masked with the
collection statement), then apply it only on an explicit yes.

The full new value waits in a ProfileChangeRequest for at most 15 minutes and is cleared
as soon as the request is decided, superseded or expired; the history keeps masked values
only. Every decision writes a consent row, yes or no.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.errors import Conflict, InvalidInput, NotFound
from crm_backend.models import Customer, OutboxMessage, ProfileChange, ProfileChangeRequest
from crm_backend.models.enums import ProfileChangeStatus, ProfileField
from crm_backend.schemas.profile import (
    ProfileChangeDecided,
    ProfileChangeHistory,
    ProfileChangeItem,
    ProfileChangeProposed,
    StatementRead,
)
from crm_backend.services.audit import actor_of, record_access
from crm_backend.services.clock import format_local
from crm_backend.services.consents import PROFILE_UPDATE, record_consent
from crm_backend.services.contacts import normalise_email, normalise_phone
from crm_backend.services.customers import customer_for
from crm_backend.services.profile_validation import (
    FIELD_LABELS,
    apply_value,
    check_value,
    current_value,
    is_current,
    mask_value,
)
from crm_backend.services.statements import Statement, current_statement
from crm_backend.services.tokens import Principal

PENDING_LIFETIME = timedelta(minutes=15)
STATEMENT_CHANGED = "the collection statement has changed; read the new one"
_NOT_PENDING = {
    ProfileChangeStatus.APPLIED: "this change was already applied",
    ProfileChangeStatus.DECLINED: "this change was already declined",
    ProfileChangeStatus.SUPERSEDED: "this change was replaced by a newer change",
    ProfileChangeStatus.EXPIRED: "this change has expired; start again",
}


def statement_read(statement: Statement) -> StatementRead:
    return StatementRead(
        purpose=statement.purpose,
        version=statement.version,
        title=statement.title,
        text=statement.text,
    )


def _purpose(principal: Principal) -> str:
    return "self_service" if principal.kind == "customer" else "profile_update"


def propose_change(
    *,
    session: Session,
    principal: Principal,
    customer_no: str,
    field: ProfileField,
    value: str,
    channel: str,
    conversation_id: str | None,
    now: datetime | None = None,
) -> ProfileChangeProposed:
    now = now or utcnow()
    customer = customer_for(
        session=session, principal=principal, customer_no=customer_no, resource="profile_edit"
    )
    checked = check_value(field, value)
    if is_current(customer, field, checked):
        raise InvalidInput("value", f"that is already your {FIELD_LABELS[field]}")
    _close_pending(session, customer, now)
    statement = current_statement("profile")
    actor_type, actor_id = actor_of(principal)
    request = ProfileChangeRequest(
        public_id=secrets.token_urlsafe(18),
        customer_id=customer.id,
        field=field,
        new_value=checked.value,
        new_district=checked.district,
        new_value_masked=mask_value(field, checked.value, checked.district),
        status=ProfileChangeStatus.PENDING,
        statement_version=statement.version,
        actor_type=actor_type,
        actor_id=actor_id,
        channel=channel,
        conversation_id=conversation_id,
        created_at=now,
        expires_at=now + PENDING_LIFETIME,
    )
    session.add(request)
    # The current value is read (and shown masked) to propose the change.
    record_access(
        session=session,
        principal=principal,
        action="propose_change",
        record_type="customer",
        record_id=customer.customer_no,
        purpose=_purpose(principal),
    )
    session.flush()
    return ProfileChangeProposed(
        change_id=request.public_id,
        field=field,
        current_masked=mask_value(field, current_value(customer, field), customer.district),
        new_masked=request.new_value_masked or "",
        statement=statement_read(statement),
        expires_at=request.expires_at,
        status="pending",
    )


def _close_pending(session: Session, customer: Customer, now: datetime) -> None:
    """A new proposal replaces any earlier one still waiting (one question at a time)."""
    pending = session.scalars(
        select(ProfileChangeRequest)
        .where(
            ProfileChangeRequest.customer_id == customer.id,
            ProfileChangeRequest.status == ProfileChangeStatus.PENDING,
        )
        .with_for_update()
    ).all()
    for row in pending:
        row.status = (
            ProfileChangeStatus.EXPIRED if now > row.expires_at else ProfileChangeStatus.SUPERSEDED
        )
        _clear_value(row, now)


def _clear_value(row: ProfileChangeRequest, now: datetime) -> None:
    row.new_value = None
    row.new_district = None
    row.decided_at = now


def decide_change(
    *,
    session: Session,
    principal: Principal,
    customer_no: str,
    change_id: str,
    consent: bool,
    statement_version: str,
    channel: str | None,
    conversation_id: str | None,
    now: datetime | None = None,
) -> ProfileChangeDecided:
    """Applies (consent true) or declines the pending change. A change that is no longer
    pending (decided, replaced, expired) is a 409: a replayed answer never applies twice.
    An expired request is marked expired before the Conflict, so the caller should commit
    on Conflict."""
    now = now or utcnow()
    customer = customer_for(
        session=session, principal=principal, customer_no=customer_no, resource="profile_edit"
    )
    # Locked for this transaction: two answers at once cannot both apply (PostgreSQL;
    # SQLite serialises writers anyway).
    row = session.scalar(
        select(ProfileChangeRequest)
        .where(
            ProfileChangeRequest.public_id == change_id,
            ProfileChangeRequest.customer_id == customer.id,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("profile change not found")
    if row.status != ProfileChangeStatus.PENDING:
        raise Conflict(_NOT_PENDING[row.status])
    if now > row.expires_at:
        row.status = ProfileChangeStatus.EXPIRED
        _clear_value(row, now)
        session.flush()
        raise Conflict(_NOT_PENDING[ProfileChangeStatus.EXPIRED])
    statement = current_statement("profile")
    if statement_version != statement.version or row.statement_version != statement.version:
        raise Conflict(STATEMENT_CHANGED)

    channel = channel or row.channel
    conversation_id = conversation_id or row.conversation_id
    given = record_consent(
        session=session,
        customer=customer,
        purpose=PROFILE_UPDATE,
        statement_version=statement.version,
        granted=consent,
        channel=channel,
        conversation_id=conversation_id,
        now=now,
    )
    row.consent_id = given.id
    field = ProfileField(row.field)
    if consent:
        if row.new_value is None:  # cannot happen for a pending row; never apply nothing
            raise Conflict(_NOT_PENDING[ProfileChangeStatus.EXPIRED])
        old_value = current_value(customer, field)
        old_masked = mask_value(field, old_value, customer.district)
        apply_value(customer, field, row.new_value, row.new_district)
        _tell_the_old_contact(session, field, old_value, now)
        customer.updated_at = now
        actor_type, actor_id = actor_of(principal)
        session.add(
            ProfileChange(
                customer_id=customer.id,
                field=field.value,
                old_value_masked=old_masked,
                new_value_masked=row.new_value_masked,
                actor_type=actor_type,
                actor_id=actor_id,
                channel=channel,
                consent_id=given.id,
                created_at=now,
            )
        )
        row.status = ProfileChangeStatus.APPLIED
        action = "update"
    else:
        row.status = ProfileChangeStatus.DECLINED
        action = "decline_change"
    _clear_value(row, now)
    record_access(
        session=session,
        principal=principal,
        action=action,
        record_type="customer",
        record_id=customer.customer_no,
        purpose=_purpose(principal),
    )
    session.flush()
    return ProfileChangeDecided(
        change_id=row.public_id,
        field=field,
        status="applied" if consent else "declined",
        new_masked=row.new_value_masked,
        consent_id=given.id,
    )


def _tell_the_old_contact(
    session: Session, field: ProfileField, old_value: str | None, now: datetime
) -> None:
    """A changed email or phone is told to the one it replaces, so a change the customer did
    not make (a stolen sign-in) does not go unnoticed. The message names neither value."""
    if field not in (ProfileField.EMAIL, ProfileField.PHONE) or not old_value:
        return
    recipient = normalise_email(old_value) if field == ProfileField.EMAIL else None
    recipient = recipient or (normalise_phone(old_value) if field == ProfileField.PHONE else None)
    if recipient is None:
        return  # the old value was not usable: nobody to tell
    label = "email address" if field == ProfileField.EMAIL else "phone number"
    session.add(
        OutboxMessage(
            kind="profile_contact_changed",
            channel="email" if field == ProfileField.EMAIL else "sms",
            recipient=recipient,
            subject=f"The {label} on your account was changed",
            body=(
                f"The {label} on your account was changed on {format_local(now)} (Hong Kong "
                "time), so we will no longer use this one. If you did not make this change, "
                "please contact our customer service at once."
            ),
            payload={"field": field.value},
            created_at=now,
        )
    )


def change_history(
    *, session: Session, principal: Principal, customer_no: str
) -> ProfileChangeHistory:
    """Applied changes, newest first, with masked values (the customer, or staff with the
    ``customers`` right)."""
    customer = customer_for(
        session=session, principal=principal, customer_no=customer_no, resource="customers"
    )
    rows = session.scalars(
        select(ProfileChange)
        .where(ProfileChange.customer_id == customer.id)
        .order_by(ProfileChange.created_at.desc(), ProfileChange.id.desc())
    ).all()
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="profile_change",
        record_id=customer.customer_no,
        purpose="self_service" if principal.kind == "customer" else "customer_service",
    )
    return ProfileChangeHistory(
        items=[
            ProfileChangeItem(
                field=row.field,
                old_masked=row.old_value_masked,
                new_masked=row.new_value_masked,
                actor_type=row.actor_type,
                channel=row.channel,
                consent_id=row.consent_id,
                created_at=row.created_at,
            )
            for row in rows
        ]
    )
