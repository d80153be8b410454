from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from crm_backend.api.deps import BotOrCustomer, SessionDep, SettingsDep
from crm_backend.schemas.verification import (
    VerificationConfirm,
    VerificationStart,
    VerificationStarted,
    VerificationToken,
)
from crm_backend.services.contact_lookup import contact_ref, require_contact
from crm_backend.services.verification import (
    TargetType,
    confirm_verification,
    start_verification,
)

router = APIRouter(prefix="/verifications", tags=["verifications"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start(
    body: VerificationStart, session: SessionDep, settings: SettingsDep, _caller: BotOrCustomer
) -> VerificationStarted:
    """Send a one-time code to the contact on file for a complaint or an order, or to a
    contact (email or phone) on exactly one customer profile. The answer is the same
    whether or not the reference or contact is known."""
    contact = None
    target_type: TargetType
    if body.contact_value is not None:
        target_type = "contact"
        contact = require_contact(body.contact_value)
        target_ref = contact_ref(settings, contact)
    elif body.complaint_ref is not None:
        target_type, target_ref = "complaint", body.complaint_ref
    else:
        target_type, target_ref = "order", body.order_no or ""
    started = start_verification(
        session=session,
        settings=settings,
        target_type=target_type,
        target_ref=target_ref,
        conversation_id=body.conversation_id,
        contact=contact,
    )
    session.commit()
    return VerificationStarted(
        verification_id=started.verification_id, expires_in=started.expires_in
    )


@router.post("/{verification_id}/confirm")
def confirm(
    verification_id: Annotated[
        str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ],
    body: VerificationConfirm,
    session: SessionDep,
    settings: SettingsDep,
    _caller: BotOrCustomer,
) -> VerificationToken:
    try:
        verified = confirm_verification(
            session=session, settings=settings, verification_id=verification_id, code=body.code
        )
    finally:
        session.commit()  # a wrong code must count even though the request fails
    return VerificationToken(
        token=verified.token, token_kind=verified.token_kind, expires_in=verified.expires_in
    )
