"""Orders as a customer sees them: only their own, unknown and foreign look the same."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.errors import OrderNotFound
from crm_backend.models import Customer, Order
from crm_backend.schemas.order import OrderLineRead, OrderRead
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.customers import customer_of
from crm_backend.services.tokens import Principal


def find_customer_order(*, session: Session, customer: Customer, order_no: str) -> Order | None:
    return session.scalar(
        select(Order).where(Order.order_no == order_no, Order.customer_id == customer.id)
    )


def read_order(*, session: Session, principal: Principal, order_no: str) -> OrderRead:
    if principal.kind == "customer":
        customer = customer_of(session=session, principal=principal)
        order = find_customer_order(session=session, customer=customer, order_no=order_no)
    else:
        staff_view_level(principal, "orders")
        order = session.scalar(select(Order).where(Order.order_no == order_no))
    if order is None:
        raise OrderNotFound()
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="order",
        record_id=order.order_no,
        purpose="order_enquiry",
    )
    return OrderRead(
        order_no=order.order_no,
        status=order.status,
        channel=order.channel,
        store_name=order.store_name,
        ordered_at=order.ordered_at,
        total_amount=order.total_amount,
        currency=order.currency,
        lines=[
            OrderLineRead(
                sku=line.product.sku,
                product_name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in order.lines
        ],
    )
