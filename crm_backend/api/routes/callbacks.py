from __future__ import annotations

from fastapi import APIRouter, status

from crm_backend.api.deps import BotOrCustomer, SessionDep
from crm_backend.schemas.callback import CallbackCreate, CallbackRead
from crm_backend.services.callbacks import attached_reference, callback_view, create_callback

router = APIRouter(prefix="/callbacks", tags=["callbacks"])


@router.post("", status_code=status.HTTP_201_CREATED)
def request_callback(
    body: CallbackCreate, session: SessionDep, caller: BotOrCustomer
) -> CallbackRead:
    callback = create_callback(session=session, data=body, principal=caller)
    session.commit()
    # The complaint actually attached (a complaint token attaches its own, whatever was sent).
    return callback_view(callback, complaint_ref=attached_reference(session, callback))
