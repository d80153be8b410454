"""Customer lookup and the department-dependent view of a customer record."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.errors import CustomerNotFound, NotAuthenticated, PermissionDenied
from crm_backend.models import Customer
from crm_backend.schemas.customer import CustomerRead
from crm_backend.services.access import Resource, staff_view_level
from crm_backend.services.audit import record_access
from crm_backend.services.masking import mask_email, mask_name, mask_phone
from crm_backend.services.profile_validation import mask_address
from crm_backend.services.tokens import Principal


def find_customer(*, session: Session, customer_no: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.customer_no == customer_no))


def customer_of(*, session: Session, principal: Principal) -> Customer:
    """The customer a customer token names; a token for a deleted customer is no longer valid."""
    customer = find_customer(session=session, customer_no=principal.subject)
    if customer is None:
        raise NotAuthenticated("invalid token")
    return customer


# In a ``/customers/{no}/...`` path, "me" names the customer a customer token belongs to.
ME = "me"


def subject_customer(*, session: Session, principal: Principal, customer_no: str) -> Customer:
    """The customer a path names, for calls a customer makes about themself (or "me").
    Another customer's number answers exactly like an unknown one; staff and complaint
    tokens are refused here (staff routes check their department right themselves)."""
    if principal.kind != "customer":
        if customer_no == ME:
            raise CustomerNotFound()
        raise PermissionDenied("only the customer may do this")
    if customer_no not in (ME, principal.subject):
        raise CustomerNotFound()
    return customer_of(session=session, principal=principal)


def requesting_customer(*, session: Session, principal: Principal | None) -> Customer | None:
    """For requests a customer makes for themself: the signed-in customer, or None for a
    guest the bot acts for. Staff are refused."""
    if principal is None:
        return None
    if principal.kind != "customer":
        raise PermissionDenied("only customers (or the bot for a guest) may make this request")
    return customer_of(session=session, principal=principal)


def customer_for(
    *, session: Session, principal: Principal, customer_no: str, resource: Resource
) -> Customer:
    """The customer a ``/customers/{no}/...`` path names, for calls a customer makes about
    themself or staff with the department right ``resource`` make: the customer reaches
    only their own record ("me" or their number; another answers like an unknown one),
    staff need the right (403) and a number ("me" is 404 for them), complaint tokens 403.
    """
    if principal.kind == "customer":
        return subject_customer(session=session, principal=principal, customer_no=customer_no)
    if principal.kind != "staff":
        raise PermissionDenied("only the customer or staff may do this")
    staff_view_level(principal, resource)
    customer = (
        None if customer_no == ME else find_customer(session=session, customer_no=customer_no)
    )
    if customer is None:
        raise CustomerNotFound()
    return customer


def read_customer(
    *,
    session: Session,
    principal: Principal,
    customer_no: str,
    view: Literal["full", "masked"] = "full",
) -> CustomerRead:
    """The record as the caller may see it. ``view="masked"`` masks every name and contact
    field (address shown as "*** <district>"), for showing back in a chat."""
    customer = customer_for(
        session=session, principal=principal, customer_no=customer_no, resource="customers"
    )
    department_masked = (
        principal.kind == "staff" and staff_view_level(principal, "customers") == "masked"
    )
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="customer",
        record_id=customer.customer_no,
        purpose="self_service" if principal.kind == "customer" else "customer_service",
    )
    masked = department_masked or view == "masked"
    if view == "masked":
        address_line = mask_address(customer.address_line, customer.district)
    else:  # a department that sees masked contacts does not see the address at all
        address_line = None if masked else customer.address_line
    return CustomerRead(
        customer_no=customer.customer_no,
        name=mask_name(customer.display_name) if masked else customer.display_name or None,
        email=mask_email(customer.email) if masked else customer.email,
        phone=mask_phone(customer.phone) if masked else customer.phone,
        address_line=address_line,
        district=customer.district,
        preferred_language=customer.preferred_language,
        masked=masked,
        created_at=customer.created_at,
    )
