from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from crm_backend.api.deps import CurrentPrincipal, SessionDep
from crm_backend.db import utcnow
from crm_backend.schemas.common import CUSTOMER_PATH_PATTERN
from crm_backend.schemas.data_request import ProfileGapPrompt, ProfileGapRead
from crm_backend.services.customers import subject_customer
from crm_backend.services.data_quality import prompt_gaps

router = APIRouter(tags=["data_quality"])


@router.post("/customers/{customer_no}/profile-gaps/prompt")
def prompt(
    customer_no: Annotated[str, Path(pattern=CUSTOMER_PATH_PATTERN)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ProfileGapPrompt:
    """What is missing or substandard in the customer's profile, and whether to ask them
    about it now (at most once every 90 days)."""
    customer = subject_customer(session=session, principal=principal, customer_no=customer_no)
    gaps, should_prompt = prompt_gaps(session, customer, utcnow(), principal=principal)
    session.commit()
    return ProfileGapPrompt(
        gaps=[ProfileGapRead(field=g.field, problem=g.problem, message=g.message) for g in gaps],
        prompt=should_prompt,
    )
