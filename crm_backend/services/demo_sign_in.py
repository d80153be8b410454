"""Development only: the customer the demo chat page signs in as."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from crm_backend.models import Customer, Order


def demo_customer(*, session: Session) -> Customer | None:
    """The first seeded customer with a complete profile (name, email, phone, address)
    and at least one order, so every customer flow has something to show."""
    has_order = exists().where(Order.customer_id == Customer.id)
    return session.scalars(
        select(Customer)
        .where(
            Customer.given_name.is_not(None),
            Customer.family_name.is_not(None),
            Customer.email.contains("@"),
            Customer.phone.is_not(None),
            Customer.address_line.is_not(None),
            has_order,
        )
        .order_by(Customer.id)
        .limit(1)
    ).first()
