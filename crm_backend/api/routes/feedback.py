from __future__ import annotations

from fastapi import APIRouter, status

from crm_backend.api.deps import BotOrCustomer, SessionDep
from crm_backend.schemas.feedback import FeedbackCreate, FeedbackRead
from crm_backend.services.feedback import record_feedback

router = APIRouter(prefix="/feedback", tags=["feedback"])


@router.post("", status_code=status.HTTP_201_CREATED)
def give_feedback(body: FeedbackCreate, session: SessionDep, caller: BotOrCustomer) -> FeedbackRead:
    feedback = record_feedback(session=session, principal=caller, data=body)
    session.commit()
    return FeedbackRead(
        id=feedback.id, kind=feedback.kind, rating=feedback.rating, store=feedback.store_name
    )
