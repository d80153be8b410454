from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm_backend.models import CallbackRequest, Complaint, Customer, Order
from crm_backend.services.callbacks import callback_due
from crm_backend.services.clock import HONG_KONG


def test_customer_sees_own_order_with_lines(client, headers, session):
    order = session.scalars(select(Order).order_by(Order.id)).first()
    owner = session.get(Customer, order.customer_id)
    response = client.get(
        f"/api/v1/orders/{order.order_no}", headers=headers.customer(owner.customer_no)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["channel"] in ("online", "store")
    assert len(body["lines"]) == len(order.lines) >= 1
    assert sum(
        float(line["unit_price"]) * line["quantity"] for line in body["lines"]
    ) == pytest.approx(float(body["total_amount"]))


def test_someone_elses_order_is_404(client, headers, session):
    order = session.scalars(select(Order).order_by(Order.id)).first()
    stranger = session.scalars(select(Customer).where(Customer.id != order.customer_id)).first()
    response = client.get(
        f"/api/v1/orders/{order.order_no}", headers=headers.customer(stranger.customer_no)
    )
    assert response.status_code == 404


def test_marketing_may_not_read_orders(client, headers, session):
    order = session.scalars(select(Order)).first()
    response = client.get(
        f"/api/v1/orders/{order.order_no}", headers=headers.staff("marketing.demo")
    )
    assert response.status_code == 403


def test_guest_books_a_callback_with_a_phone_number(client, headers, session):
    conversation = f"conv-{uuid.uuid4().hex}"
    response = client.post(
        "/api/v1/callbacks",
        json={
            "conversation_id": conversation,
            "contact_method": "phone",
            "contact_value": "+852 6123 4567",
            "context": {"complaint_category": "delivery", "signed_in": False},
        },
        headers=headers.service(),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contact_masked"] == "6*** **67"
    stored = session.scalar(
        select(CallbackRequest).where(CallbackRequest.conversation_id == conversation)
    )
    assert stored.contact_value == "+85261234567"
    assert stored.context["complaint_category"] == "delivery"
    assert stored.expected_by > stored.created_at


def test_signed_in_customer_callback_uses_contact_on_file_and_attaches_own_complaint(
    client, headers, session
):
    complaint = session.scalars(
        select(Complaint)
        .join(Customer, Complaint.customer_id == Customer.id)
        .where(Customer.email.contains("@"))
        .order_by(Complaint.id)
    ).first()
    owner = session.get(Customer, complaint.customer_id)
    response = client.post(
        "/api/v1/callbacks",
        json={"conversation_id": "c-1", "complaint_ref": complaint.reference},
        headers=headers.customer(owner.customer_no),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["complaint_ref"] == complaint.reference


def test_callback_context_refuses_free_text(client, headers):
    response = client.post(
        "/api/v1/callbacks",
        json={
            "conversation_id": "c-2",
            "contact_method": "phone",
            "contact_value": "91234567",
            "context": {"Free Text Key": "my HKID is A123456(7)"},
        },
        headers=headers.service(),
    )
    assert response.status_code == 422


def test_guest_callback_needs_a_contact(client, headers):
    response = client.post(
        "/api/v1/callbacks", json={"conversation_id": "c-3"}, headers=headers.service()
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "contact_value"


def _hk(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=HONG_KONG)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_hk(2026, 11, 23, 10), _hk(2026, 11, 23, 12)),  # Monday morning
        (_hk(2026, 11, 23, 17), _hk(2026, 11, 24, 10)),  # one hour left today
        (_hk(2026, 11, 23, 20), _hk(2026, 11, 24, 11)),  # after closing
        (_hk(2026, 11, 28, 17, 30), _hk(2026, 11, 30, 10, 30)),  # Saturday evening -> Monday
        (_hk(2026, 11, 29, 12), _hk(2026, 11, 30, 11)),  # Sunday
        (_hk(2026, 11, 24, 7), _hk(2026, 11, 24, 11)),  # before opening
    ],
)
def test_callback_promise_counts_working_hours_only(now, expected):
    assert callback_due(now.astimezone(UTC), timedelta(hours=2)) == expected
