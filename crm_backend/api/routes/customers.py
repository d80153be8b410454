from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from crm_backend.api.deps import CurrentPrincipal, SessionDep
from crm_backend.errors import Conflict
from crm_backend.models.enums import MarketingChannel
from crm_backend.schemas.common import CUSTOMER_PATH_PATTERN
from crm_backend.schemas.customer import CustomerRead
from crm_backend.schemas.marketing import (
    ConsentList,
    MarketingPreferences,
    MarketingPreferenceUpdate,
)
from crm_backend.schemas.profile import (
    CHANGE_ID_PATTERN,
    ProfileChangeCreate,
    ProfileChangeDecided,
    ProfileChangeDecision,
    ProfileChangeHistory,
    ProfileChangeProposed,
)
from crm_backend.services.consents import consent_ledger
from crm_backend.services.customers import read_customer
from crm_backend.services.marketing import read_preferences, set_preference
from crm_backend.services.profile_changes import change_history, decide_change, propose_change

router = APIRouter(prefix="/customers", tags=["customers"])

# A customer number, or "me" for the customer a customer token names.
CustomerNo = Annotated[str, Path(pattern=CUSTOMER_PATH_PATTERN)]
ChangeId = Annotated[str, Path(pattern=CHANGE_ID_PATTERN)]


@router.get("/{customer_no}")
def get_customer(
    customer_no: CustomerNo,
    session: SessionDep,
    principal: CurrentPrincipal,
    view: Annotated[Literal["full", "masked"], Query()] = "full",
) -> CustomerRead:
    """The customer record; ``view=masked`` masks every name and contact field (for the
    bot to show back)."""
    result = read_customer(session=session, principal=principal, customer_no=customer_no, view=view)
    session.commit()  # the audit entry
    return result


@router.post("/{customer_no}/profile-changes", status_code=status.HTTP_201_CREATED)
def propose_profile_change(
    customer_no: CustomerNo,
    body: ProfileChangeCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ProfileChangeProposed:
    """Validate a new value and hold it (15 minutes) until the customer consents."""
    proposed = propose_change(
        session=session,
        principal=principal,
        customer_no=customer_no,
        field=body.field,
        value=body.value,
        channel=body.channel,
        conversation_id=body.conversation_id,
    )
    session.commit()
    return proposed


@router.get("/{customer_no}/profile-changes")
def profile_change_history(
    customer_no: CustomerNo, session: SessionDep, principal: CurrentPrincipal
) -> ProfileChangeHistory:
    history = change_history(session=session, principal=principal, customer_no=customer_no)
    session.commit()  # the audit entry
    return history


@router.post("/{customer_no}/profile-changes/{change_id}/decision")
def decide_profile_change(
    customer_no: CustomerNo,
    change_id: ChangeId,
    body: ProfileChangeDecision,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ProfileChangeDecided:
    """The customer's yes (apply) or no (decline); a consent row either way."""
    try:
        decided = decide_change(
            session=session,
            principal=principal,
            customer_no=customer_no,
            change_id=change_id,
            consent=body.consent,
            statement_version=body.statement_version,
            channel=body.channel,
            conversation_id=body.conversation_id,
        )
    except Conflict:
        session.commit()  # an expired request is marked expired (its value cleared)
        raise
    session.commit()
    return decided


@router.get("/{customer_no}/consents")
def get_consents(
    customer_no: CustomerNo, session: SessionDep, principal: CurrentPrincipal
) -> ConsentList:
    ledger = consent_ledger(session=session, principal=principal, customer_no=customer_no)
    session.commit()  # the audit entry
    return ledger


@router.get("/{customer_no}/marketing-preferences")
def get_marketing_preferences(
    customer_no: CustomerNo, session: SessionDep, principal: CurrentPrincipal
) -> MarketingPreferences:
    preferences = read_preferences(session=session, principal=principal, customer_no=customer_no)
    session.commit()  # the audit entry
    return preferences


@router.put("/{customer_no}/marketing-preferences/{channel}")
def put_marketing_preference(
    customer_no: CustomerNo,
    channel: MarketingChannel,
    body: MarketingPreferenceUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> MarketingPreferences:
    """Opt in (explicit consent to the current statement) or out (at once)."""
    preferences = set_preference(
        session=session,
        principal=principal,
        customer_no=customer_no,
        marketing_channel=channel,
        opted_in=body.opted_in,
        consent=body.consent,
        statement_version=body.statement_version,
        channel=body.channel,
        conversation_id=body.conversation_id,
    )
    session.commit()
    return preferences
