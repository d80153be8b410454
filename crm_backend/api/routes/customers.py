from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from crm_backend.api.deps import CurrentPrincipal, SessionDep
from crm_backend.schemas.common import CUSTOMER_NO_PATTERN
from crm_backend.schemas.customer import CustomerRead
from crm_backend.services.customers import read_customer

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("/{customer_no}")
def get_customer(
    customer_no: Annotated[str, Path(pattern=CUSTOMER_NO_PATTERN)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CustomerRead:
    view = read_customer(session=session, principal=principal, customer_no=customer_no)
    session.commit()  # the audit entry
    return view
