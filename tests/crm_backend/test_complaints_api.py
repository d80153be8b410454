from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from crm_backend.models import AuditLogEntry, Complaint, Customer, Order, OutboxMessage
from crm_backend.models.enums import ComplaintStatus, Priority

DESCRIPTION = "The kettle I bought last week leaks from the bottom when I fill it."


def _anonymous_body(**overrides):
    body = {
        "description": DESCRIPTION,
        "category": "product_quality",
        "contact_method": "phone",
        "contact_value": "9123 4567",
        "conversation_id": f"conv-{uuid.uuid4().hex}",
    }
    body.update(overrides)
    return body


def _customer_and_order(session) -> tuple[Customer, Order]:
    order = session.scalars(select(Order).order_by(Order.id)).first()
    return session.get(Customer, order.customer_id), order


def _someone_elses_order(session, customer: Customer) -> Order:
    return session.scalars(
        select(Order).where(Order.customer_id != customer.id).order_by(Order.id)
    ).first()


def test_anonymous_visitor_files_a_complaint_through_the_bot(client, headers, session):
    body = _anonymous_body()
    response = client.post("/api/v1/complaints", json=body, headers=headers.service())
    assert response.status_code == 201
    created = response.json()
    assert re.fullmatch(r"CMP-\d{6}", created["reference"])
    assert created["status"] == "new"
    assert created["priority"] == "medium"
    assert created["customer_no"] is None
    assert created["contact_masked"] == "9*** **67"
    assert created["first_response_due_at"] < created["resolution_due_at"]
    assert created["events"][0]["event_type"] == "created"

    stored = session.scalar(select(Complaint).where(Complaint.reference == created["reference"]))
    assert stored.description == DESCRIPTION
    assert stored.contact_value == "+85291234567"
    assert stored.conversation_id == body["conversation_id"]
    assert stored.sla_policy_version
    acknowledgement = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.payload["complaint_ref"].as_string() == created["reference"]
        )
    ).one()
    assert acknowledgement.channel == "sms"
    assert acknowledgement.recipient == "+85291234567"
    assert created["reference"] in acknowledgement.body


def test_signed_in_customer_links_their_own_order_and_uses_contact_on_file(
    client, headers, session
):
    customer, order = _customer_and_order(session)
    response = client.post(
        "/api/v1/complaints",
        json={
            "description": DESCRIPTION,
            "category": "delivery",
            "order_no": order.order_no.lower(),
        },
        headers=headers.customer(customer.customer_no),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["order_no"] == order.order_no
    assert body["customer_no"] == customer.customer_no


def test_complaint_about_someone_elses_order_is_refused_like_an_unknown_order(
    client, headers, session
):
    customer, _ = _customer_and_order(session)
    foreign = _someone_elses_order(session, customer)
    auth = headers.customer(customer.customer_no)
    base = {
        "description": DESCRIPTION,
        "category": "delivery",
        "contact_method": "phone",
        "contact_value": "61234567",
    }
    foreign_answer = client.post(
        "/api/v1/complaints", json={**base, "order_no": foreign.order_no}, headers=auth
    )
    unknown_answer = client.post(
        "/api/v1/complaints", json={**base, "order_no": "ORD-99999999"}, headers=auth
    )
    assert foreign_answer.status_code == unknown_answer.status_code == 422
    assert foreign_answer.json() == unknown_answer.json()
    assert foreign_answer.json()["detail"][0]["loc"] == ["body", "order_no"]


def test_anonymous_order_number_is_noted_unverified_and_not_linked(client, headers, session):
    _, order = _customer_and_order(session)
    response = client.post(
        "/api/v1/complaints",
        json=_anonymous_body(order_no=order.order_no),
        headers=headers.service(),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["order_no"] is None
    assert body["events"][0]["note"] is None  # internal: not shown to the caller
    as_staff = client.get(
        f"/api/v1/complaints/{body['reference']}", headers=headers.staff("cs.demo")
    ).json()
    assert order.order_no in as_staff["events"][0]["note"]


def test_a_retried_submission_files_exactly_one_complaint(client, headers, session):
    body = _anonymous_body()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/api/v1/complaints", json=body, headers={**headers.service(), **key})
    again = client.post("/api/v1/complaints", json=body, headers={**headers.service(), **key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    count = session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.conversation_id == body["conversation_id"])
    )
    assert count == 1
    changed = client.post(
        "/api/v1/complaints",
        json={**body, "description": "Something quite different happened."},
        headers={**headers.service(), **key},
    )
    assert changed.status_code == 409


def test_the_same_key_from_two_callers_files_two_complaints(client, headers, session):
    customer, _ = _customer_and_order(session)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = _anonymous_body()
    as_bot = client.post("/api/v1/complaints", json=body, headers={**headers.service(), **key})
    as_customer = client.post(
        "/api/v1/complaints", json=body, headers={**headers.customer(customer.customer_no), **key}
    )
    assert as_bot.status_code == as_customer.status_code == 201
    assert as_bot.json()["reference"] != as_customer.json()["reference"]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 5000}, "description"),
        ({"description": 12345}, "description"),
        ({"category": "weather"}, "category"),
        ({"order_no": "12345"}, "order_no"),
        ({"order_no": "ORD-1234567\uff18"}, "order_no"),
        ({"contact_value": "12"}, "contact_value"),
        ({"contact_method": "email", "contact_value": "not-an-email"}, "contact_value"),
        ({"contact_method": "pigeon"}, "contact_method"),
        ({"contact_method": None, "contact_value": None}, "contact_value"),
        ({"conversation_id": "c" * 500}, "conversation_id"),
        ({"priority": "urgent"}, "priority"),
    ],
)
def test_bad_complaint_input_is_422_naming_the_field(client, headers, session, override, field):
    before = session.scalar(select(func.count()).select_from(Complaint))
    response = client.post(
        "/api/v1/complaints", json=_anonymous_body(**override), headers=headers.service()
    )
    assert response.status_code == 422
    locations = [error["loc"][-1] for error in response.json()["detail"]]
    assert field in locations
    session.rollback()  # end the read transaction: see what the request wrote
    assert session.scalar(select(func.count()).select_from(Complaint)) == before


@pytest.mark.parametrize(
    "description",
    [
        "送貨太慢了 等了兩個星期還沒收到 😡 very disappointed",
        "<script>alert('x')</script> my order never came",
        "Robert'); DROP TABLE complaint;-- the parcel never arrived",
    ],
)
def test_unicode_and_hostile_text_is_stored_verbatim(client, headers, session, description):
    response = client.post(
        "/api/v1/complaints",
        json=_anonymous_body(description=description),
        headers=headers.service(),
    )
    assert response.status_code == 201
    stored = session.scalar(
        select(Complaint).where(Complaint.reference == response.json()["reference"])
    )
    assert stored.description == description


def test_safety_keywords_raise_priority_to_urgent(client, headers, session):
    response = client.post(
        "/api/v1/complaints",
        json=_anonymous_body(description="The heater started to smoke and my son got a burn."),
        headers=headers.service(),
    )
    body = response.json()
    assert body["priority"] == Priority.URGENT


def test_filing_needs_a_token_or_the_service_token(client):
    assert client.post("/api/v1/complaints", json=_anonymous_body()).status_code == 401
    wrong = {"X-Service-Token": "guessed-token"}
    assert (
        client.post("/api/v1/complaints", json=_anonymous_body(), headers=wrong).status_code == 401
    )


def test_staff_cannot_file_through_the_customer_endpoint(client, headers):
    response = client.post(
        "/api/v1/complaints", json=_anonymous_body(), headers=headers.staff("cs.demo")
    )
    assert response.status_code == 403


def test_customer_reads_own_complaint_but_not_others(client, headers, session):
    mine = session.scalars(
        select(Complaint).where(Complaint.customer_id.is_not(None)).order_by(Complaint.id)
    ).first()
    owner = session.get(Customer, mine.customer_id)
    own = client.get(
        f"/api/v1/complaints/{mine.reference}", headers=headers.customer(owner.customer_no)
    )
    assert own.status_code == 200
    assert own.json()["description"] == mine.description

    stranger = session.scalars(select(Customer).where(Customer.id != owner.id)).first()
    foreign = client.get(
        f"/api/v1/complaints/{mine.reference}", headers=headers.customer(stranger.customer_no)
    )
    missing = client.get(
        "/api/v1/complaints/CMP-999999", headers=headers.customer(stranger.customer_no)
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_staff_view_depends_on_department(client, headers, session):
    complaint = session.scalars(select(Complaint).order_by(Complaint.id)).first()
    full = client.get(f"/api/v1/complaints/{complaint.reference}", headers=headers.staff("cs.demo"))
    redacted = client.get(
        f"/api/v1/complaints/{complaint.reference}", headers=headers.staff("marketing.demo")
    )
    assert full.status_code == redacted.status_code == 200
    assert full.json()["description"] == complaint.description
    assert redacted.json()["description"] is None
    assert redacted.json()["reference"] == complaint.reference


def test_reading_a_complaint_is_audit_logged(client, headers, session):
    complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    client.get(
        f"/api/v1/complaints/{complaint.reference}", headers=headers.staff("compliance.demo")
    )
    session.rollback()  # end the read transaction: see what the request wrote
    entry = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_id == complaint.reference, AuditLogEntry.action == "read")
        .order_by(AuditLogEntry.id.desc())
    ).first()
    assert entry.actor_id == "compliance.demo"
    assert entry.purpose == "complaint_handling"


def test_the_service_token_alone_cannot_read_complaints(client, headers):
    response = client.get("/api/v1/complaints/CMP-000001", headers=headers.service())
    assert response.status_code == 401


@pytest.mark.parametrize("reference", ["CMP-1", "cmp-000001", "CMP-000001x", "ORD-00000001"])
def test_malformed_reference_is_422(client, headers, reference):
    response = client.get(f"/api/v1/complaints/{reference}", headers=headers.staff("cs.demo"))
    assert response.status_code == 422


def test_new_complaints_start_in_status_new(client, headers):
    response = client.post("/api/v1/complaints", json=_anonymous_body(), headers=headers.service())
    assert response.json()["status"] == ComplaintStatus.NEW
