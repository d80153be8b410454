from __future__ import annotations

from fastapi import APIRouter, status

from crm_backend.api.deps import BotOrCustomer, SessionDep
from crm_backend.schemas.callback import CallbackCreate, CallbackRead
from crm_backend.services.callbacks import callback_view, create_callback

router = APIRouter(prefix="/callbacks", tags=["callbacks"])


@router.post("", status_code=status.HTTP_201_CREATED)
def request_callback(
    body: CallbackCreate, session: SessionDep, caller: BotOrCustomer
) -> CallbackRead:
    callback = create_callback(session=session, data=body, principal=caller)
    session.commit()
    return callback_view(
        callback, complaint_ref=body.complaint_ref if callback.complaint_id else None
    )
