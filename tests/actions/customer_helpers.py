"""Known states for the customer follow-up action tests, made through the real API (and
the outbox, where the "sent" one-time codes land)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import crm_client
from crm_backend.db import utcnow
from crm_backend.models import Complaint, Customer, OutboxMessage
from crm_backend.services import complaint_lifecycle as lifecycle
from crm_backend.services.followup_policy import load_followup_policy
from crm_backend.services.followups import followup_token

_CODE = re.compile(r"Your code is (\d{6})")


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value each slot was set to by the events."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def unique_email() -> str:
    return f"followup.{uuid.uuid4().hex[:10]}@example.com"


async def file_complaint(
    backend: crm_client.CrmClient,
    *,
    token: str | None = None,
    email: str | None = None,
    category: str = "delivery",
) -> dict[str, Any]:
    """A new complaint; a guest's is reachable by a code to ``email``."""
    payload: dict[str, Any] = {
        "description": "The parcel arrived a week late and the box was crushed.",
        "category": category,
        "conversation_id": f"conv-{uuid.uuid4().hex}",
        "channel": "chat",
    }
    if token is None:
        payload |= {"contact_method": "email", "contact_value": email or unique_email()}
    return await backend.file_complaint(payload, user_token=token, idempotency_key=uuid.uuid4().hex)


def customer_with_email(session: Session, index: int = 0) -> Customer:
    customers = session.scalars(
        select(Customer).where(Customer.email.contains("@")).order_by(Customer.id)
    ).all()
    return customers[index]


def latest_code(session: Session, recipient: str) -> str:
    """The code last "sent" to ``recipient`` (read from the outbox, as a phone would)."""
    session.rollback()  # see what the backend committed
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "verification_code", OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, "no code was sent"
    match = _CODE.search(message.body)
    assert match is not None
    return match.group(1)


def staff_token(headers: Any, username: str = "cs.demo") -> str:
    authorization: str = headers.staff(username)["Authorization"]
    return authorization.removeprefix("Bearer ")


async def resolve_and_send_followup(
    backend: crm_client.CrmClient, session: Session, headers: Any, reference: str
) -> None:
    """Resolved by a colleague, and the satisfaction follow-up marked as sent."""
    await backend.transition_complaint(
        reference, "resolve", user_token=staff_token(headers), resolution="Replacement sent."
    )
    session.rollback()
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    assert complaint is not None
    lifecycle.mark_followup_sent(complaint, "chat", now=utcnow())
    session.commit()


def followup_token_for(settings: Any, reference: str) -> str:
    return followup_token(settings, load_followup_policy(), reference)


def stored_complaint(session: Session, reference: str) -> Complaint:
    session.rollback()  # end the read transaction and forget what was loaded: see the backend's
    session.expire_all()
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    assert complaint is not None
    return complaint
