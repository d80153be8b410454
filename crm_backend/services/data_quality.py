"""Gaps in customer profiles: missing or unusable contact details, addresses without a
district, profiles nobody has confirmed for two years. The customer is asked to fill them
politely, at most once every 90 days; reports count them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from crm_backend.models import Customer
from crm_backend.services.audit import record_access
from crm_backend.services.contacts import normalise_email, normalise_phone
from crm_backend.services.districts import find_district
from crm_backend.services.tokens import Principal

STALE_AFTER = timedelta(days=730)
PROMPT_INTERVAL = timedelta(days=90)
PROBLEMS = (
    "missing_email",
    "invalid_email",
    "missing_phone",
    "invalid_phone",
    "missing_address",
    "no_district",
    "stale",
)
# Shown to the customer: polite, and never quoting the value on file.
MESSAGES = {
    "missing_email": "We have no email address for you.",
    "invalid_email": "The email address we have for you does not look right.",
    "missing_phone": "We have no phone number for you.",
    "invalid_phone": "The phone number we have for you does not look right.",
    "missing_address": "We have no address for you.",
    "no_district": "We could not tell which district your address is in.",
    "stale": "Your details have not been checked for over two years; are they still right?",
}
_FIELDS = {
    "missing_email": "email",
    "invalid_email": "email",
    "missing_phone": "phone",
    "invalid_phone": "phone",
    "missing_address": "address",
    "no_district": "address",
    "stale": "profile",
}
_BATCH = 1000


@dataclass(frozen=True)
class Gap:
    field: str
    problem: str
    message: str


def _gap(problem: str) -> Gap:
    return Gap(field=_FIELDS[problem], problem=problem, message=MESSAGES[problem])


def profile_gaps(customer: Customer, now: datetime) -> list[Gap]:
    return [
        _gap(problem)
        for problem in _problems(
            customer.email,
            customer.phone,
            customer.address_line,
            customer.district,
            customer.updated_at,
            now,
        )
    ]


def _problems(
    email: str | None,
    phone: str | None,
    address_line: str | None,
    district: str | None,
    updated_at: datetime | None,
    now: datetime,
) -> list[str]:
    found: list[str] = []
    if not email or not email.strip():
        found.append("missing_email")
    elif normalise_email(email) is None:
        found.append("invalid_email")
    if not phone or not phone.strip():
        found.append("missing_phone")
    elif normalise_phone(phone) is None:
        found.append("invalid_phone")
    if not address_line or not address_line.strip():
        found.append("missing_address")
    elif not (district and district.strip()) and find_district(address_line) is None:
        found.append("no_district")
    if updated_at is not None and updated_at < now - STALE_AFTER:
        found.append("stale")
    return found


def quality_summary(session: Session, now: datetime) -> dict[str, int]:
    """How many customers have each problem (every problem listed, zero included)."""
    counts = dict.fromkeys(PROBLEMS, 0)
    rows = session.execute(
        select(
            Customer.email,
            Customer.phone,
            Customer.address_line,
            Customer.district,
            Customer.updated_at,
        ).execution_options(yield_per=_BATCH)
    )
    for email, phone, address_line, district, updated_at in rows:
        for problem in _problems(email, phone, address_line, district, updated_at, now):
            counts[problem] += 1
    return counts


def prompt_gaps(
    session: Session, customer: Customer, now: datetime, *, principal: Principal | None = None
) -> tuple[list[Gap], bool]:
    """The customer's gaps, and whether to ask about them now: only when there are gaps and
    the last prompt was 90 or more days ago. Asking is recorded in ``quality_prompted_at``
    (conditionally, so two concurrent calls prompt once) without touching ``updated_at``,
    which says when the details themselves last changed. The read is audited for
    ``principal`` when given."""
    gaps = profile_gaps(customer, now)
    prompt = False
    if gaps:
        claimed = session.execute(
            update(Customer)
            .where(
                Customer.id == customer.id,
                or_(
                    Customer.quality_prompted_at.is_(None),
                    Customer.quality_prompted_at <= now - PROMPT_INTERVAL,
                ),
            )
            .values(quality_prompted_at=now, updated_at=Customer.updated_at)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        prompt = bool(claimed)
        if prompt:
            set_committed_value(customer, "quality_prompted_at", now)
    if principal is not None:
        record_access(
            session=session,
            principal=principal,
            action="read",
            record_type="customer",
            record_id=customer.customer_no,
            purpose="data_quality",
        )
    return gaps, prompt
