"""Data-subject requests (PDPO DPP6): POST/GET /data-requests, completing them, and the
signed, expiring download of the export at GET /data-exports/{id}."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from crm_backend.models import (
    AuditLogEntry,
    Customer,
    DataExport,
    DataRequest,
    Order,
    OrderLine,
    OutboxMessage,
    Product,
)
from crm_backend.models.enums import OrderStatus, SalesChannel
from crm_backend.services.contacts import normalise_phone
from crm_backend.services.signed_links import sign
from crm_backend.services.tokens import Principal

API = "/api/v1/data-requests"


def _digits(n: int) -> str:
    return f"{secrets.randbelow(10**n):0{n}d}"


def _valid_phone() -> str:
    while True:
        phone = normalise_phone(f"9{_digits(7)}")
        if phone:
            return phone


def _customer(session, *, email: bool = True, phone: bool = True) -> Customer:
    customer = Customer(
        customer_no=f"C9{_digits(8)}",
        family_name="Leung",
        given_name="Ka Yan",
        email=f"ky.{uuid.uuid4().hex[:10]}@example.com" if email else None,
        phone=_valid_phone() if phone else None,
        address_line="Flat 3A, 18 Shan Tung Street, Mong Kok",
        district="Yau Tsim Mong",
    )
    session.add(customer)
    session.commit()
    return customer


def _order(session, customer: Customer) -> str:
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    order = Order(
        order_no=f"ORD-9{_digits(7)}",
        customer_id=customer.id,
        channel=SalesChannel.ONLINE,
        status=OrderStatus.DELIVERED,
        ordered_at=datetime(2026, 10, 3, 4, 5, tzinfo=UTC),
        total_amount=Decimal("2.00") * product.unit_price,
    )
    order.lines = [OrderLine(product_id=product.id, quantity=2, unit_price=product.unit_price)]
    session.add(order)
    session.commit()
    return order.order_no


def _complaint(client, headers, customer: Customer) -> str:
    response = client.post(
        "/api/v1/complaints",
        json={
            "description": "The air fryer basket coating peeled off after one week.",
            "category": "product_quality",
        },
        headers=headers.customer(customer.customer_no),
    )
    assert response.status_code == 201, response.text
    return response.json()["reference"]


def _request(client, headers, customer: Customer, kind: str = "access"):
    return client.post(
        API,
        json={"kind": kind, "channel": "chat", "conversation_id": f"conv-{uuid.uuid4().hex}"},
        headers=headers.customer(customer.customer_no),
    )


def _row(session, reference: str) -> DataRequest:
    session.rollback()  # a fresh snapshot (SQLite keeps the old one inside a transaction)
    return session.scalar(select(DataRequest).where(DataRequest.reference == reference))


@pytest.fixture
def two_customers(client, headers, session):
    """Customers A and B, each with an order and a complaint of their own."""
    a, b = _customer(session), _customer(session)
    return {
        "a": a,
        "b": b,
        "a_order": _order(session, a),
        "b_order": _order(session, b),
        "a_complaint": _complaint(client, headers, a),
        "b_complaint": _complaint(client, headers, b),
    }


def test_access_request_is_answered_at_once_with_a_signed_link(
    client, headers, session, settings, two_customers
):
    a = two_customers["a"]
    response = _request(client, headers, a)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {
        "reference",
        "kind",
        "status",
        "due_at",
        "download_url",
        "download_expires_at",
    }
    assert body["reference"].startswith("DAR-") and body["kind"] == "access"
    assert body["status"] == "completed"
    row = _row(session, body["reference"])
    assert row.verified and row.customer_id == a.id
    assert row.due_at - row.created_at == timedelta(days=40)
    assert datetime.fromisoformat(body["due_at"]) == row.due_at

    url = body["download_url"]
    assert url.startswith(settings.public_url + "/api/v1/data-exports/")
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert 23.9 * 3600 < expires - time.time() <= 24 * 3600
    export = session.scalar(select(DataExport).where(DataExport.request_id == row.id))
    assert export.expires_at - export.created_at == timedelta(days=7)

    # The link goes to the email on file, with nothing personal besides it.
    messages = list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.payload["data_request_ref"].as_string() == body["reference"]
            )
        )
    )
    assert [(m.channel, m.recipient) for m in messages] == [("email", a.email)]
    assert url in messages[0].body
    for value in (a.phone, a.family_name, a.given_name, "Shan Tung", a.email):
        assert value not in messages[0].body and value not in messages[0].subject


def test_export_holds_the_customers_own_data_only(client, headers, session, two_customers):
    a = two_customers["a"]
    url = _request(client, headers, a).json()["download_url"]

    downloaded = client.get(url)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"].startswith("application/json")
    content = downloaded.json()
    assert content["profile"]["customer_no"] == a.customer_no
    assert content["profile"]["email"] == a.email
    assert [o["order_no"] for o in content["orders"]] == [two_customers["a_order"]]
    assert content["orders"][0]["lines"][0]["quantity"] == 2
    assert [c["reference"] for c in content["complaints"]] == [two_customers["a_complaint"]]
    events = content["complaints"][0]["events"]
    assert events and all(set(e) >= {"event_type", "by", "created_at"} for e in events)
    assert set(content["marketing_preferences"]) == {"email", "sms", "phone"}
    for key in ("consents", "feedback", "profile_changes", "data_requests"):
        assert isinstance(content[key], list)
    text = str(content)
    b = two_customers["b"]
    for foreign in (b.customer_no, b.email, two_customers["b_order"], two_customers["b_complaint"]):
        assert foreign not in text

    summary = client.get(url + "&format=text")
    assert summary.status_code == 200
    assert summary.headers["content-type"].startswith("text/plain")
    assert two_customers["a_order"] in summary.text
    assert two_customers["a_complaint"] in summary.text
    assert two_customers["b_order"] not in summary.text

    session.rollback()
    public_id = urlsplit(url).path.rsplit("/", 1)[1]
    assert session.scalar(
        select(AuditLogEntry.id).where(
            AuditLogEntry.action == "export",
            AuditLogEntry.record_type == "data_export",
            AuditLogEntry.record_id == public_id,
        )
    )


def test_bad_signature_is_404_and_an_expired_link_or_export_is_410(
    client, headers, session, settings, two_customers
):
    a, b = two_customers["a"], two_customers["b"]
    url = _request(client, headers, a).json()["download_url"]
    path, query = url.split("?")
    params = parse_qs(query)
    expires, signature = params["expires"][0], params["signature"][0]
    public_id = path.rsplit("/", 1)[1]

    tampered = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert client.get(f"{path}?expires={expires}&signature={tampered}").status_code == 404
    # A later expiry with the old signature: not signed, so not found.
    assert (
        client.get(f"{path}?expires={int(expires) + 3600}&signature={signature}").status_code == 404
    )
    assert client.get(path).status_code == 404
    unknown = f"/api/v1/data-exports/{'x' * 32}?expires={expires}&signature={signature}"
    assert client.get(unknown).status_code == 404

    # Customer B's token does not open A's export without the signature.
    b_headers = headers.customer(b.customer_no)
    assert client.get(path, headers=b_headers).status_code == 404
    assert (
        client.get(f"{path}?expires={expires}&signature=abc", headers=b_headers).status_code == 404
    )

    past = int(time.time()) - 60
    stale = f"{path}?expires={past}&signature={sign(settings, public_id, past)}"
    assert client.get(stale).status_code == 410

    session.rollback()
    export = session.scalar(select(DataExport).where(DataExport.public_id == public_id))
    export.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.commit()
    assert client.get(url).status_code == 410


def test_customers_list_their_own_requests_with_fresh_links(
    client, headers, session, two_customers
):
    a, b = two_customers["a"], two_customers["b"]
    mine = _request(client, headers, a).json()["reference"]
    correction = _request(client, headers, a, kind="correction").json()
    assert correction["status"] == "open" and "download_url" not in correction
    theirs = _request(client, headers, b).json()

    listed = client.get(API, headers=headers.customer(a.customer_no))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["reference"] for i in items] == [correction["reference"], mine]
    access = items[1]
    assert access["status"] == "completed" and access["customer_no"] == a.customer_no
    assert access["download_url"] and client.get(access["download_url"]).status_code == 200
    assert items[0]["download_url"] is None and items[0]["verified"] is True
    assert all(i["contact_value"] is None for i in items)
    assert theirs["reference"] not in listed.text and theirs["download_url"] not in listed.text

    # A's link with B's export id: not signed for it.
    b_id = urlsplit(theirs["download_url"]).path.rsplit("/", 1)[1]
    a_query = urlsplit(access["download_url"]).query
    assert client.get(f"/api/v1/data-exports/{b_id}?{a_query}").status_code == 404


def test_customer_without_email_gets_the_link_by_sms_and_without_contact_no_message(
    client, headers, session
):
    by_sms = _customer(session, email=False)
    reference = _request(client, headers, by_sms).json()["reference"]
    nowhere = _customer(session, email=False, phone=False)
    silent = _request(client, headers, nowhere)
    assert silent.status_code == 201 and silent.json()["download_url"]
    session.rollback()
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.recipient).where(
            OutboxMessage.payload["data_request_ref"]
            .as_string()
            .in_([reference, silent.json()["reference"]])
        )
    ).all()
    assert rows == [("sms", by_sms.phone)]


def test_guest_request_is_open_and_answers_alike_for_known_and_unknown_contacts(
    client, headers, session
):
    known = _customer(session)

    def guest(contact_value):
        return client.post(
            API,
            json={"kind": "access", "contact_value": contact_value, "conversation_id": "conv-g"},
            headers=headers.service(),
        )

    on_file = guest(known.email.upper().replace("@EXAMPLE.COM", "@Example.com"))
    unknown = guest(f"nobody.{uuid.uuid4().hex[:8]}@example.com")
    by_phone = guest("9123 4567")
    for response in (on_file, unknown, by_phone):
        assert response.status_code == 201, response.text
        assert set(response.json()) == {"reference", "kind", "status", "due_at"}
        assert response.json()["status"] == "open"
    row = _row(session, on_file.json()["reference"])
    assert not row.verified and row.customer_id is None
    assert row.contact_method == "email" and row.contact_value.endswith("@example.com")
    assert _row(session, by_phone.json()["reference"]).contact_value == "+85291234567"
    assert session.scalar(select(DataExport.id).where(DataExport.request_id == row.id)) is None

    for bad in (None, "", "not a contact", "someone@", "12"):
        refused = guest(bad)
        assert refused.status_code == 422, bad
        assert refused.json()["detail"][0]["loc"] == ["body", "contact_value"]


def test_staff_and_complaint_tokens_cannot_make_requests(client, headers):
    body = {"kind": "access", "contact_value": "9123 4567"}
    assert client.post(API, json=body, headers=headers.staff("compliance.demo")).status_code == 403
    complaint_token = headers.principal(Principal(kind="complaint", subject="CMP-000001"))
    assert client.post(API, json=body, headers=complaint_token).status_code == 403
    assert client.post(API, json=body).status_code == 401


def test_compliance_lists_open_requests_with_due_dates_and_completes_them(client, headers, session):
    reference = client.post(
        API, json={"kind": "correction", "contact_value": "9876 5432"}, headers=headers.service()
    ).json()["reference"]
    overdue_ref = client.post(
        API, json={"kind": "access", "contact_value": "9876 5433"}, headers=headers.service()
    ).json()["reference"]
    late = _row(session, overdue_ref)
    late.due_at = datetime.now(UTC) - timedelta(days=2, hours=1)
    session.commit()

    compliance = headers.staff("compliance.demo")
    listed = client.get(API, headers=compliance)
    assert listed.status_code == 200, listed.text
    items = {i["reference"]: i for i in listed.json()["items"]}
    assert all(i["status"] == "open" for i in items.values())
    fresh, overdue = items[reference], items[overdue_ref]
    assert fresh["days_left"] == 40 and fresh["overdue"] is False
    assert fresh["verified"] is False and fresh["customer_no"] is None and fresh["due_at"]
    assert fresh["kind"] == "correction" and fresh["created_at"]
    # Compliance sees where to answer the guest; customers never see it in their list.
    assert (fresh["contact_method"], fresh["contact_value"]) == ("phone", "+85298765432")
    assert overdue["overdue"] is True and overdue["days_left"] == -2
    order = [i["reference"] for i in listed.json()["items"]]
    assert order.index(overdue_ref) < order.index(reference)  # soonest due first

    for department in ("sales.demo", "marketing.demo", "cs.demo"):
        assert client.get(API, headers=headers.staff(department)).status_code == 403
        refused = client.post(
            f"{API}/{reference}/complete", json={"note": "done"}, headers=headers.staff(department)
        )
        assert refused.status_code == 403

    done = client.post(
        f"{API}/{reference}/complete",
        json={"note": "identity checked by phone; address corrected"},
        headers=compliance,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed" and done.json()["completed_at"]
    row = _row(session, reference)
    assert row.completed_by == "compliance.demo" and row.note.startswith("identity checked")
    again = client.post(f"{API}/{reference}/complete", json={"note": "x"}, headers=compliance)
    assert again.status_code == 409
    missing = client.post(f"{API}/DAR-999999999/complete", json={"note": "x"}, headers=compliance)
    assert missing.status_code == 404
    blank = client.post(f"{API}/{overdue_ref}/complete", json={"note": "  "}, headers=compliance)
    assert blank.status_code == 422

    still_open = [i["reference"] for i in client.get(API, headers=compliance).json()["items"]]
    assert reference not in still_open and overdue_ref in still_open
    completed = client.get(API, params={"status": "completed"}, headers=compliance).json()
    assert reference in [i["reference"] for i in completed["items"]]
    assert client.get(API, headers=headers.service()).status_code == 401


def test_export_leaves_out_staff_notes_and_who_wrote_them(client, headers, session, two_customers):
    a = two_customers["a"]
    reference = two_customers["a_complaint"]
    staff = headers.staff("cs.demo")
    internal = "Internal: customer sounded agitated, check with the store manager"
    assert client.post(
        f"/api/v1/complaints/{reference}/assign", json={"assignee": "cs.demo"}, headers=staff
    ).status_code in (200, 201)
    assert client.post(
        f"/api/v1/complaints/{reference}/notes", json={"note": internal}, headers=staff
    ).status_code in (200, 201)

    url = _request(client, headers, a).json()["download_url"]
    exported = client.get(url).text + client.get(url + "&format=text").text
    assert internal not in exported
    assert "cs.demo" not in exported
    events = client.get(url).json()["complaints"][0]["events"]
    assert {"assigned", "note"} <= {e["event_type"] for e in events}  # what happened stays


@pytest.mark.parametrize("typed", ["9123 abcd", "call me", "<b>91234567</b>", "x" * 10_000])
def test_guest_contact_with_letters_is_refused_not_read_as_keypad_digits(client, headers, typed):
    response = client.post(
        API, json={"kind": "access", "contact_value": typed}, headers=headers.service()
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "contact_value"


def test_asking_again_within_a_day_gives_the_same_copy_and_no_new_message(
    client, headers, session, two_customers
):
    a = two_customers["a"]
    first, second = _request(client, headers, a).json(), _request(client, headers, a).json()
    assert first["reference"] != second["reference"]  # each request is tracked
    assert second["status"] == "completed"

    def export_id(url: str) -> str:
        return urlsplit(url).path.rsplit("/", 1)[1]

    assert export_id(first["download_url"]) == export_id(second["download_url"])
    assert client.get(second["download_url"]).status_code == 200
    session.rollback()
    assert (
        session.scalar(
            select(func.count()).select_from(DataExport).where(DataExport.customer_id == a.id)
        )
        == 1
    )
    sent = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "data_export_ready")
    ).all()
    assert sum(first["reference"] in m.body or second["reference"] in m.body for m in sent) == 1
