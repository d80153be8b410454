from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crm_backend.api.deps import BotOrCustomer, CurrentPrincipal, SessionDep, SettingsDep
from crm_backend.db import utcnow
from crm_backend.models.enums import DataRequestStatus
from crm_backend.schemas.data_request import (
    DATA_REQUEST_REF_PATTERN,
    DataRequestComplete,
    DataRequestCreate,
    DataRequestCreated,
    DataRequestItem,
    DataRequestList,
)
from crm_backend.services.data_requests import (
    DataRequestView,
    complete_data_request,
    create_data_request,
    list_data_requests,
)

router = APIRouter(tags=["data_requests"])


@router.post(
    "/data-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=DataRequestCreated,
    response_model_exclude_none=True,
)
def create(
    body: DataRequestCreate, session: SessionDep, settings: SettingsDep, caller: BotOrCustomer
) -> DataRequestCreated:
    """A data access or correction request: by a signed-in customer (an access request is
    answered at once with a download link), or by a guest through the bot (open until staff
    verify; the same answer whether or not the contact is on file)."""
    view = create_data_request(
        session=session,
        settings=settings,
        principal=caller,
        kind=body.kind,
        channel=body.channel,
        conversation_id=body.conversation_id,
        contact_value=body.contact_value,
        now=utcnow(),
    )
    session.commit()
    return DataRequestCreated(
        reference=view.reference,
        kind=view.kind,
        status=view.status,
        due_at=view.due_at,
        download_url=view.download.url if view.download else None,
        download_expires_at=view.download.expires_at if view.download else None,
    )


@router.get("/data-requests")
def list_requests(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    status_filter: Annotated[DataRequestStatus | None, Query(alias="status")] = None,
) -> DataRequestList:
    """A customer's own requests; for compliance, the requests in ``status`` (default open)
    with their due dates."""
    views = list_data_requests(
        session=session, settings=settings, principal=principal, status=status_filter, now=utcnow()
    )
    session.commit()  # the audit entry
    return DataRequestList(items=[_item(view) for view in views])


@router.post("/data-requests/{reference}/complete")
def complete(
    reference: Annotated[str, Path(pattern=DATA_REQUEST_REF_PATTERN)],
    body: DataRequestComplete,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataRequestItem:
    view = complete_data_request(
        session=session,
        principal=principal,
        reference=reference.upper(),
        note=body.note,
        now=utcnow(),
    )
    session.commit()
    return _item(view)


def _item(view: DataRequestView) -> DataRequestItem:
    return DataRequestItem(
        reference=view.reference,
        kind=view.kind,
        status=view.status,
        verified=view.verified,
        customer_no=view.customer_no,
        created_at=view.created_at,
        due_at=view.due_at,
        days_left=view.days_left,
        overdue=view.overdue,
        completed_at=view.completed_at,
        download_url=view.download.url if view.download else None,
        download_expires_at=view.download.expires_at if view.download else None,
        contact_method=view.contact_method,
        contact_value=view.contact_value,
    )
