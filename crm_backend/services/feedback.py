"""Compliments, suggestions and reviews that are not complaints."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm_backend.models import Feedback
from crm_backend.schemas.feedback import FeedbackCreate
from crm_backend.services.audit import record_access
from crm_backend.services.customers import requesting_customer
from crm_backend.services.tokens import Principal


def record_feedback(
    *, session: Session, principal: Principal | None, data: FeedbackCreate
) -> Feedback:
    customer = requesting_customer(session=session, principal=principal)
    feedback = Feedback(
        kind=data.kind,
        text=data.text,
        rating=data.rating,
        store_name=data.store,
        customer_id=customer.id if customer else None,
        conversation_id=data.conversation_id,
        channel="chat",
    )
    session.add(feedback)
    session.flush()
    record_access(
        session=session,
        principal=principal,
        action="create",
        record_type="feedback",
        record_id=str(feedback.id),
        purpose="customer_feedback",
    )
    return feedback
