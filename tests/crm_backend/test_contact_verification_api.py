"""Identity by contact: POST /verifications with contact_value sends a one-time code to an
email address or phone number on exactly one customer profile; the code gives a customer
token."""

from __future__ import annotations

import re
import secrets
import uuid

import pytest
from profile_helpers import unique_hk_mobile
from sqlalchemy import func, select

from crm_backend.models import AuditLogEntry, Customer, OutboxMessage, VerificationCode

CODE_PATTERN = re.compile(r"\b(\d{6})\b")
TARGET_REF = re.compile(r"^c:[0-9a-f]{32}$")


def _unique_email() -> str:
    return f"Contact.{uuid.uuid4().hex[:12]}@Example.com"


def _new_customer(session, *, email: str | None = None, phone: str | None = None) -> Customer:
    customer = Customer(
        customer_no=f"C96{secrets.randbelow(10_000_000):07d}",
        family_name="Tsang",
        given_name="Mei Ling",
        email=email,
        phone=phone,
    )
    session.add(customer)
    session.commit()
    return customer


def _conversation() -> str:
    return f"conv-{uuid.uuid4().hex}"


def _start(client, headers, contact_value, **body):
    body = {"contact_value": contact_value, "conversation_id": _conversation(), **body}
    return client.post("/api/v1/verifications", json=body, headers=headers.service())


def _confirm(client, headers, verification_id: str, code: str):
    return client.post(
        f"/api/v1/verifications/{verification_id}/confirm",
        json={"code": code},
        headers=headers.service(),
    )


def _fresh(session) -> None:
    session.rollback()  # end the read transaction: see what the requests wrote
    session.expire_all()


def _codes_sent_to(session, recipient: str) -> list[OutboxMessage]:
    _fresh(session)
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "verification_code", OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
    )


def _code_in(message: OutboxMessage) -> str:
    found = CODE_PATTERN.findall(message.body)
    assert len(found) == 1
    return found[0]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _outbox_codes(session) -> int:
    _fresh(session)
    return session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "verification_code")
    )


def _row(session, verification_id: str) -> VerificationCode:
    _fresh(session)
    return session.scalar(
        select(VerificationCode).where(VerificationCode.public_id == verification_id)
    )


def test_a_code_to_the_email_on_file_gives_a_customer_token(client, headers, session):
    email = _unique_email()
    customer = _new_customer(session, email=email)
    conversation = _conversation()
    started = _start(client, headers, f"  {email.upper()} ", conversation_id=conversation)
    assert started.status_code == 202
    body = started.json()
    assert set(body) == {"verification_id", "expires_in"}
    assert body["expires_in"] == 600

    local, _, domain = email.partition("@")
    messages = _codes_sent_to(session, f"{local}@{domain.lower()}")
    assert len(messages) == 1
    assert messages[0].channel == "email"
    assert messages[0].payload == {"target_type": "contact"}
    row = _row(session, body["verification_id"])
    assert row.target_type == "contact"
    assert TARGET_REF.fullmatch(row.target_ref)
    assert local.lower() not in row.target_ref.lower()
    assert row.delivered is True
    assert row.conversation_id == conversation
    assert row.customer_id == customer.id
    used = session.scalar(
        select(func.count())
        .select_from(AuditLogEntry)
        .where(
            AuditLogEntry.record_id == customer.customer_no,
            AuditLogEntry.action == "contact",
            AuditLogEntry.purpose == "identity_verification",
        )
    )
    assert used == 1  # sending the code used the contact on file: audited

    confirmed = _confirm(client, headers, body["verification_id"], _code_in(messages[0]))
    assert confirmed.status_code == 200, confirmed.json()
    token = confirmed.json()
    assert set(token) == {"token", "token_kind", "expires_in"}
    assert token["token_kind"] == "customer"
    assert token["expires_in"] == 30 * 60
    bearer = {"Authorization": f"Bearer {token['token']}"}
    me = client.get("/api/v1/customers/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["customer_no"] == customer.customer_no
    masked = client.get("/api/v1/customers/me", params={"view": "masked"}, headers=bearer)
    assert masked.json()["email"] == f"{local[0]}***@{domain}"  # as on file, masked


@pytest.mark.parametrize(
    ("on_file", "typed"),
    [
        ("{a} {b}", "+852-{a}-{b}"),
        ("{a}{b}", "(852) {a} {b}"),
        ("+852 {a} {b}", "{a}-{b}"),
        ("+852{a}{b}", "{a} {b}"),
        ("+852-{a}-{b}", "+852{a}{b}"),
        ("(852) {a} {b}", "{a}{b}"),
        ("{a}-{b}", "+852 {a} {b}"),
    ],
)
def test_a_phone_on_file_matches_in_its_usual_written_forms(
    client, headers, session, on_file, typed
):
    digits, e164 = unique_hk_mobile()
    a, b = digits[:4], digits[4:]
    customer = _new_customer(session, phone=on_file.format(a=a, b=b))
    started = _start(client, headers, typed.format(a=a, b=b))
    assert started.status_code == 202
    messages = _codes_sent_to(session, e164)
    assert [message.channel for message in messages] == ["sms"]
    row = _row(session, started.json()["verification_id"])
    assert TARGET_REF.fullmatch(row.target_ref)
    assert a not in row.target_ref and b not in row.target_ref
    confirmed = _confirm(client, headers, started.json()["verification_id"], _code_in(messages[0]))
    assert confirmed.status_code == 200
    bearer = {"Authorization": f"Bearer {confirmed.json()['token']}"}
    me = client.get("/api/v1/customers/me", headers=bearer)
    assert me.json()["customer_no"] == customer.customer_no


def test_an_unknown_contact_gets_the_same_answer_and_nothing_is_sent(client, headers, session):
    email = _unique_email()
    _new_customer(session, email=email)
    known = _start(client, headers, email)
    before = _outbox_codes(session)
    unknown_email = _start(client, headers, _unique_email())
    unknown_phone = _start(client, headers, unique_hk_mobile()[0])
    assert known.status_code == unknown_email.status_code == unknown_phone.status_code == 202
    assert set(known.json()) == set(unknown_email.json()) == set(unknown_phone.json())
    assert known.json()["expires_in"] == unknown_email.json()["expires_in"]
    assert len(known.json()["verification_id"]) == len(unknown_email.json()["verification_id"])
    assert _outbox_codes(session) == before
    row = _row(session, unknown_email.json()["verification_id"])
    assert row.delivered is False
    assert TARGET_REF.fullmatch(row.target_ref)
    # No code confirms it; the answer is the one a wrong code gets.
    answer = _confirm(client, headers, unknown_email.json()["verification_id"], "123456")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "code"
    assert answer.json()["detail"][0]["msg"] == "that code is not right; 4 tries left"


def test_a_contact_shared_by_two_customers_proves_neither(client, headers, session):
    email = _unique_email()
    _new_customer(session, email=email)
    _new_customer(session, email=email.lower())
    before = _outbox_codes(session)
    started = _start(client, headers, email)
    assert started.status_code == 202
    assert _outbox_codes(session) == before
    assert _row(session, started.json()["verification_id"]).delivered is False


def test_five_wrong_codes_lock_the_contact(client, headers, session):
    digits, e164 = unique_hk_mobile()
    _new_customer(session, phone=digits)
    verification_id = _start(client, headers, digits).json()["verification_id"]
    code = _code_in(_codes_sent_to(session, e164)[-1])
    statuses = [
        _confirm(client, headers, verification_id, _wrong(code)).status_code for _ in range(5)
    ]
    assert statuses == [422, 422, 422, 422, 423]
    assert _confirm(client, headers, verification_id, code).status_code == 423
    # Another written form of the same number is the same contact: still locked.
    assert _start(client, headers, f"+852 {digits[:4]} {digits[4:]}").status_code == 423
    assert len(_codes_sent_to(session, e164)) == 1


def test_at_most_three_codes_per_contact_in_thirty_minutes(client, headers, session):
    email = _unique_email()
    _new_customer(session, email=email)
    forms = [email, email.lower(), email.upper()]
    assert [_start(client, headers, form).status_code for form in forms] == [202] * 3
    assert _start(client, headers, email).status_code == 423
    local, _, domain = email.partition("@")
    assert len(_codes_sent_to(session, f"{local}@{domain.lower()}")) == 3
    # An unknown contact is limited the same way.
    unknown = _unique_email()
    assert [_start(client, headers, unknown).status_code for _ in range(4)] == [202] * 3 + [423]


@pytest.mark.parametrize(
    "contact_value", ["not a contact", "12", "john@", "@example.com", "", "9123 abcd"]
)
def test_a_value_that_is_neither_email_nor_phone_is_422(client, headers, session, contact_value):
    _fresh(session)
    before = session.scalar(select(func.count()).select_from(VerificationCode))
    response = _start(client, headers, contact_value)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "contact_value"
    _fresh(session)
    assert session.scalar(select(func.count()).select_from(VerificationCode)) == before


@pytest.mark.parametrize("extra", [{"order_no": "ORD-00000001"}, {"complaint_ref": "CMP-000001"}])
def test_contact_and_a_reference_together_are_422(client, headers, extra):
    response = _start(client, headers, "someone@example.com", **extra)
    assert response.status_code == 422
    assert "exactly one of" in response.json()["detail"][0]["msg"]


def test_no_contact_is_ever_stored_as_a_reference(client, headers, session):
    email = _unique_email()
    digits, _ = unique_hk_mobile()
    _new_customer(session, email=email, phone=digits)
    _start(client, headers, email)
    _start(client, headers, digits)
    _fresh(session)
    refs = session.scalars(
        select(VerificationCode.target_ref).where(VerificationCode.target_type == "contact")
    ).all()
    assert refs
    for ref in refs:
        assert TARGET_REF.fullmatch(ref)
        assert "@" not in ref
        assert digits not in ref


def test_a_code_stops_working_when_the_contact_leaves_the_profile(client, headers, session):
    email = _unique_email()
    customer = _new_customer(session, email=email)
    verification_id = _start(client, headers, email).json()["verification_id"]
    local, _, domain = email.partition("@")
    code = _code_in(_codes_sent_to(session, f"{local}@{domain.lower()}")[-1])
    stored = session.scalar(select(Customer).where(Customer.id == customer.id))
    stored.email = _unique_email()
    session.commit()
    assert _confirm(client, headers, verification_id, code).status_code == 409
