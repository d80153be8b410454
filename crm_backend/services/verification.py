"""One-time codes: an anonymous visitor proves they can read the contact on file for a
complaint, an order or a customer profile, and gets a short-lived token for it.

The answer never tells whether a reference exists: an unknown one gets a row too (with
nothing sent), and fails exactly like a wrong code. Codes are kept as keyed hashes; the
log says a code went to the outbox, never the code. A contact (email or phone) is never
stored as the reference: its keyed fingerprint is (``contact_lookup.contact_ref``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_backend.config import Settings
from crm_backend.db import utcnow
from crm_backend.errors import Conflict, InvalidInput, Locked, NotFound
from crm_backend.models import Complaint, Customer, Order, OutboxMessage, VerificationCode
from crm_backend.models.enums import ContactMethod
from crm_backend.services.audit import record_access
from crm_backend.services.contact_lookup import (
    Contact,
    contact_ref,
    customers_with_contact,
    parse_contact,
)
from crm_backend.services.contacts import normalise_email, normalise_phone
from crm_backend.services.tokens import Principal, issue_token

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_CODES = 5
LOCKOUT = timedelta(minutes=30)
MAX_CODES_PER_WINDOW = 3  # per reference per LOCKOUT window: no flooding anyone's inbox
VERIFIED_TOKEN_MINUTES = 30
TargetType = Literal["complaint", "order", "contact"]


@dataclass(frozen=True, slots=True)
class StartedVerification:
    verification_id: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    token: str
    token_kind: str
    expires_in: int


def start_verification(
    *,
    session: Session,
    settings: Settings,
    target_type: TargetType,
    target_ref: str,
    conversation_id: str | None,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> StartedVerification:
    """``contact`` (for target_type "contact") is the contact typed; ``target_ref`` is then
    its ``contact_ref``."""
    now = now or utcnow()
    if target_type == "contact" and (
        contact is None or target_ref != contact_ref(settings, contact)
    ):
        raise ValueError("a contact verification needs the contact and its fingerprint")
    _refuse_if_locked(session, target_type, target_ref, now)
    recent = session.scalar(
        select(func.count())
        .select_from(VerificationCode)
        .where(
            VerificationCode.target_type == target_type,
            VerificationCode.target_ref == target_ref,
            VerificationCode.created_at > now - LOCKOUT,
        )
    )
    if (recent or 0) >= MAX_CODES_PER_WINDOW:
        raise Locked("too many codes were asked for this reference; try again in 30 minutes")
    public_id = secrets.token_urlsafe(24)
    code = f"{secrets.randbelow(1_000_000):06d}"
    destination = _destination(session, target_type, target_ref, contact)
    owner = _contact_owner(session, contact) if destination and contact else None
    session.add(
        VerificationCode(
            public_id=public_id,
            target_type=target_type,
            target_ref=target_ref,
            customer_id=owner.id if owner else None,
            code_hash=_hash(settings, public_id, code),
            delivered=destination is not None,
            conversation_id=conversation_id,
            expires_at=now + CODE_LIFETIME,
            created_at=now,
        )
    )
    if destination is not None:
        method, recipient = destination
        session.add(
            OutboxMessage(
                kind="verification_code",
                channel="email" if method == ContactMethod.EMAIL else "sms",
                recipient=recipient,
                subject="Your verification code",
                body=(
                    f"Your code is {code}. It expires in 10 minutes. If you did not ask "
                    "for it, ignore this message."
                ),
                payload={"target_type": target_type},
                created_at=now,
            )
        )
        logger.info("verification code queued in the outbox (%s)", method.value)
        # Sending to a contact on file uses it: audited (the bot acts for a visitor).
        record_access(
            session=session,
            principal=None,
            action="contact",
            record_type="customer" if owner else target_type,
            record_id=owner.customer_no if owner else target_ref,
            purpose="identity_verification",
        )
    session.flush()
    return StartedVerification(public_id, int(CODE_LIFETIME.total_seconds()))


def confirm_verification(
    *,
    session: Session,
    settings: Settings,
    verification_id: str,
    code: str,
    now: datetime | None = None,
) -> VerifiedToken:
    """Checks the code. A wrong code counts against the reference even though this raises:
    the caller must commit in every case."""
    now = now or utcnow()
    # Locked for this transaction: two confirms at once cannot both spend the code or lose
    # a wrong attempt (PostgreSQL; SQLite serialises writers anyway).
    row = session.scalar(
        select(VerificationCode)
        .where(VerificationCode.public_id == verification_id)
        .with_for_update()
    )
    if row is None:
        raise NotFound("verification not found; ask for a new code")
    if row.consumed_at is not None:
        raise Conflict("this code was already used; ask for a new one")
    _refuse_if_locked(session, row.target_type, row.target_ref, now)
    if now > row.expires_at:
        raise InvalidInput("code", "that code has expired; ask for a new one")
    if not (
        row.delivered and hmac.compare_digest(row.code_hash, _hash(settings, row.public_id, code))
    ):
        row.failed_attempts += 1
        row.last_failed_at = now
        session.flush()
        _refuse_if_locked(session, row.target_type, row.target_ref, now)
        left = MAX_WRONG_CODES - _wrong_codes(session, row.target_type, row.target_ref, now)
        raise InvalidInput(
            "code", f"that code is not right; {left} {'try' if left == 1 else 'tries'} left"
        )
    row.consumed_at = now
    principal = _principal_for(session, settings, row)
    token, expires_in = issue_token(settings, principal, minutes=VERIFIED_TOKEN_MINUTES)
    return VerifiedToken(token, principal.kind, expires_in)


def _refuse_if_locked(session: Session, target_type: str, target_ref: str, now: datetime) -> None:
    """Wrong codes count against the reference, whichever code they were for: five within
    LOCKOUT lock it until LOCKOUT after the latest."""
    if _wrong_codes(session, target_type, target_ref, now) >= MAX_WRONG_CODES:
        raise Locked("too many wrong codes; try again in 30 minutes")


def _wrong_codes(session: Session, target_type: str, target_ref: str, now: datetime) -> int:
    wrong = session.scalar(
        select(func.coalesce(func.sum(VerificationCode.failed_attempts), 0)).where(
            VerificationCode.target_type == target_type,
            VerificationCode.target_ref == target_ref,
            VerificationCode.last_failed_at > now - LOCKOUT,
        )
    )
    return int(wrong or 0)


def _hash(settings: Settings, public_id: str, code: str) -> str:
    message = f"{public_id}:{code.strip()}".encode()
    return hmac.new(settings.signing_key.encode(), message, hashlib.sha256).hexdigest()


def _destination(
    session: Session, target_type: str, target_ref: str, contact: Contact | None
) -> tuple[ContactMethod, str] | None:
    """The contact on file the code goes to: the complaint's contact, for an order the
    email (else phone) on the customer's profile, for a contact that contact if exactly one
    customer has it on file."""
    if target_type == "contact":
        assert contact is not None
        owner = _contact_owner(session, contact)
        if owner is None:
            return None
        if contact.kind == "email":
            return ContactMethod.EMAIL, normalise_email(owner.email or "") or contact.value
        return ContactMethod.PHONE, contact.value
    if target_type == "complaint":
        complaint = session.scalar(select(Complaint).where(Complaint.reference == target_ref))
        if complaint and complaint.contact_method and complaint.contact_value:
            return complaint.contact_method, complaint.contact_value
        return None
    customer = session.scalar(
        select(Customer)
        .join(Order, Order.customer_id == Customer.id)
        .where(Order.order_no == target_ref)
    )
    if customer is None:
        return None
    if email := normalise_email(customer.email or ""):
        return ContactMethod.EMAIL, email
    if phone := normalise_phone(customer.phone or ""):
        return ContactMethod.PHONE, phone
    return None


def _principal_for(session: Session, settings: Settings, row: VerificationCode) -> Principal:
    """A code to the contact on a complaint proves access to that complaint only (it may be
    a contact typed in once, not one on a profile); a code to the contact on the profile of
    an order's customer, or to a contact on exactly one profile, proves being that
    customer."""
    if row.target_type == "complaint":
        return Principal(kind="complaint", subject=row.target_ref)
    if row.target_type == "contact":
        customer = _contact_customer(session, settings, row)
        if customer is None:  # the contact left that profile since the code was sent
            raise Conflict("this code can no longer be used; ask for a new one")
        return Principal(kind="customer", subject=customer.customer_no)
    order = session.scalar(select(Order).where(Order.order_no == row.target_ref))
    assert order is not None
    customer = session.get(Customer, order.customer_id)
    assert customer is not None
    return Principal(kind="customer", subject=customer.customer_no)


def _contact_owner(session: Session, contact: Contact) -> Customer | None:
    """The one customer with this contact on file; None when none or several have it."""
    matches = customers_with_contact(session, contact)
    return matches[0] if len(matches) == 1 else None


def _contact_customer(
    session: Session, settings: Settings, row: VerificationCode
) -> Customer | None:
    """The customer a contact code was sent to, if that contact is still on their profile
    and on no other (it may have changed since the code was sent)."""
    customer = session.get(Customer, row.customer_id) if row.customer_id else None
    if customer is None:
        return None
    for value in (customer.email, customer.phone):
        contact = parse_contact(value or "")
        if contact is not None and contact_ref(settings, contact) == row.target_ref:
            return customer if _contact_owner(session, contact) is customer else None
    return None
