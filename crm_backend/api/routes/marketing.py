from __future__ import annotations

from fastapi import APIRouter, status

from crm_backend.api.deps import BotOrCustomer, SessionDep
from crm_backend.schemas.marketing import MarketingOptOut, MarketingOptOutResult
from crm_backend.services.marketing import opt_out_contact

router = APIRouter(tags=["marketing"])


@router.post("/marketing-opt-outs", status_code=status.HTTP_202_ACCEPTED)
def opt_out(
    body: MarketingOptOut, session: SessionDep, caller: BotOrCustomer
) -> MarketingOptOutResult:
    """A guest stops direct marketing to an email address (email) or a phone number (SMS
    and calls). The answer is the same whether or not any customer has that contact."""
    channels = opt_out_contact(
        session=session,
        principal=caller,
        contact_value=body.contact_value,
        channel=body.channel,
        conversation_id=body.conversation_id,
    )
    session.commit()
    return MarketingOptOutResult(channels=channels)
