from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response, status

from crm_backend.api.deps import BotOrCustomer, CurrentPrincipal, SessionDep
from crm_backend.schemas.common import COMPLAINT_REF_PATTERN
from crm_backend.schemas.complaint import ComplaintCreate, ComplaintRead
from crm_backend.services.complaints import complaint_view, create_complaint, read_complaint

router = APIRouter(prefix="/complaints", tags=["complaints"])

IdempotencyKey = Annotated[
    str | None,
    Header(min_length=8, max_length=128, description="Repeat-safe key; a retry returns the first"),
]


@router.post("", status_code=status.HTTP_201_CREATED)
def file_complaint(
    body: ComplaintCreate,
    session: SessionDep,
    caller: BotOrCustomer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ComplaintRead:
    complaint, created = create_complaint(
        session=session, data=body, principal=caller, idempotency_key=idempotency_key
    )
    session.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return complaint_view(complaint, include_description=True, include_notes=False)


@router.get("/{reference}")
def get_complaint(
    reference: Annotated[str, Path(pattern=COMPLAINT_REF_PATTERN)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ComplaintRead:
    view = read_complaint(session=session, principal=principal, reference=reference)
    session.commit()  # the audit entry
    return view
