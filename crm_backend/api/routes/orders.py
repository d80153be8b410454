from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from crm_backend.api.deps import CurrentPrincipal, SessionDep
from crm_backend.schemas.common import ORDER_NO_PATTERN
from crm_backend.schemas.order import OrderList, OrderRead
from crm_backend.services.orders import list_customer_orders, read_order

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("")
def my_orders(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> OrderList:
    """The signed-in customer's most recent orders."""
    result = list_customer_orders(session=session, principal=principal, limit=limit)
    session.commit()  # the audit entry
    return result


@router.get("/{order_no}")
def get_order(
    order_no: Annotated[str, Path(pattern=ORDER_NO_PATTERN)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> OrderRead:
    view = read_order(session=session, principal=principal, order_no=order_no)
    session.commit()  # the audit entry
    return view
