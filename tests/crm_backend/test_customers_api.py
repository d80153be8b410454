from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_backend.models import AuditLogEntry, Customer


def _customer_with_full_contact(session) -> Customer:
    return session.scalars(
        select(Customer)
        .where(Customer.email.contains("@"), Customer.phone.is_not(None))
        .order_by(Customer.id)
    ).first()


def test_customer_sees_their_own_record_in_full(client, headers, session):
    customer = _customer_with_full_contact(session)
    response = client.get(
        f"/api/v1/customers/{customer.customer_no}", headers=headers.customer(customer.customer_no)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == customer.email
    assert body["phone"] == customer.phone
    assert body["masked"] is False


def test_another_customers_record_is_indistinguishable_from_a_missing_one(client, headers):
    own = headers.customer("C000001")
    other = client.get("/api/v1/customers/C000002", headers=own)
    missing = client.get("/api/v1/customers/C999999", headers=own)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


@pytest.mark.parametrize("username", ["cs.demo", "management.demo", "compliance.demo"])
def test_departments_that_serve_customers_see_full_contacts(client, headers, session, username):
    customer = _customer_with_full_contact(session)
    body = client.get(
        f"/api/v1/customers/{customer.customer_no}", headers=headers.staff(username)
    ).json()
    assert body["email"] == customer.email
    assert body["masked"] is False


@pytest.mark.parametrize("username", ["marketing.demo", "sales.demo"])
def test_other_departments_see_masked_contacts(client, headers, session, username):
    customer = _customer_with_full_contact(session)
    body = client.get(
        f"/api/v1/customers/{customer.customer_no}", headers=headers.staff(username)
    ).json()
    assert body["masked"] is True
    assert body["email"] != customer.email and "***@" in body["email"]
    assert body["address_line"] is None
    digits = "".join(c for c in customer.phone if c.isdigit())
    assert digits[-8:] not in (body["phone"] or "").replace(" ", "")


def test_every_read_is_audit_logged(client, headers, session):
    def reads() -> int:
        return session.scalar(
            select(func.count())
            .select_from(AuditLogEntry)
            .where(
                AuditLogEntry.record_type == "customer",
                AuditLogEntry.record_id == "C000003",
                AuditLogEntry.actor_id == "cs.demo",
            )
        )

    before = reads()
    assert (
        client.get("/api/v1/customers/C000003", headers=headers.staff("cs.demo")).status_code == 200
    )
    session.rollback()  # end the read transaction: see what the request wrote
    assert reads() == before + 1


@pytest.mark.parametrize(
    "customer_no", ["C1", "X000001", "C000001; DROP TABLE customer", "\uff23000001"]
)
def test_malformed_customer_number_is_422(client, headers, customer_no):
    response = client.get(f"/api/v1/customers/{customer_no}", headers=headers.staff("cs.demo"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "customer_no"
