"""Orders as a customer sees them: only their own, unknown and foreign look the same."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.errors import OrderNotFound, PermissionDenied
from crm_backend.models import Customer, Order
from crm_backend.models.enums import OrderStatus, SalesChannel
from crm_backend.schemas.order import OrderLineRead, OrderList, OrderRead, OrderSummary
from crm_backend.services.access import staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.clock import format_local_date
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
    return order_view(order, now=utcnow())


# Online orders are promised within this many days of the order; later is late.
DELIVERY_PROMISE = timedelta(days=5)
_UNDELIVERED = frozenset({OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.SHIPPED})
STATUS_LABELS = {
    OrderStatus.PLACED: "received, waiting for payment",
    OrderStatus.PAID: "paid, being prepared",
    OrderStatus.SHIPPED: "on its way",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.COMPLETED: "completed",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.RETURNED: "returned",
}


def _summary_fields(order: Order) -> dict[str, object]:
    return {
        "order_no": order.order_no,
        "status": order.status,
        "status_label": STATUS_LABELS[order.status],
        "channel": order.channel,
        "store_name": order.store_name,
        "ordered_at": order.ordered_at,
        "ordered_on_local": format_local_date(order.ordered_at),
        "total_amount": order.total_amount,
        "currency": order.currency,
    }


def order_view(order: Order, *, now: datetime) -> OrderRead:
    expected = (
        order.ordered_at + DELIVERY_PROMISE
        if order.channel == SalesChannel.ONLINE and order.status in _UNDELIVERED
        else None
    )
    return OrderRead(
        **_summary_fields(order),  # type: ignore[arg-type]
        expected_delivery_by=expected,
        expected_delivery_local=format_local_date(expected) if expected else None,
        is_late=expected is not None and now > expected,
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


def list_customer_orders(*, session: Session, principal: Principal, limit: int) -> OrderList:
    """A customer's most recent orders (for "which order?" buttons)."""
    if principal.kind != "customer":
        raise PermissionDenied("only customers have a list of their own orders")
    customer = customer_of(session=session, principal=principal)
    orders = session.scalars(
        select(Order)
        .where(Order.customer_id == customer.id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    ).all()
    record_access(
        session=session,
        principal=principal,
        action="list",
        record_type="order",
        record_id="own",
        purpose="order_enquiry",
    )
    return OrderList(items=[OrderSummary(**_summary_fields(o)) for o in orders])  # type: ignore[arg-type]
