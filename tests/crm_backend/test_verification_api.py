"""One-time codes for anonymous visitors: POST /verifications and .../{id}/confirm."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from profile_helpers import unique_hk_mobile
from sqlalchemy import func, select, update

from crm_backend.db import utcnow
from crm_backend.errors import InvalidInput, Locked
from crm_backend.models import Customer, Order, OutboxMessage, VerificationCode
from crm_backend.models.enums import OrderStatus, SalesChannel
from crm_backend.services.verification import confirm_verification, start_verification

CODE_PATTERN = re.compile(r"\b(\d{6})\b")
WRONG_CODE_MESSAGE = re.compile(r"^that code is not right; (\d) (try|tries) left$")
EXPIRED_MESSAGE = "that code has expired; ask for a new one"


def _unique_phone() -> tuple[str, str]:
    """A Hong Kong mobile number as typed (with a space), and its E.164 form."""
    digits, e164 = unique_hk_mobile()
    return f"{digits[:4]} {digits[4:]}", e164


def _unknown_complaint_ref() -> str:
    return f"CMP-97{secrets.randbelow(10_000_000):07d}"


def _unique_order_no() -> str:
    return f"ORD-97{secrets.randbelow(1_000_000):06d}"


def _conversation() -> str:
    return f"conv-{uuid.uuid4().hex}"


def _file_complaint(client, headers) -> tuple[str, str]:
    """A guest's complaint with a fresh phone contact: (reference, phone in E.164)."""
    typed, e164 = _unique_phone()
    response = client.post(
        "/api/v1/complaints",
        json={
            "description": "The rice cooker stopped working after two days of normal use.",
            "category": "product_quality",
            "contact_method": "phone",
            "contact_value": typed,
            "conversation_id": _conversation(),
        },
        headers=headers.service(),
    )
    assert response.status_code == 201, response.json()
    return response.json()["reference"], e164


def _start(client, headers, **body):
    body.setdefault("conversation_id", _conversation())
    return client.post("/api/v1/verifications", json=body, headers=headers.service())


def _confirm(client, headers, verification_id: str, code: str):
    return client.post(
        f"/api/v1/verifications/{verification_id}/confirm",
        json={"code": code},
        headers=headers.service(),
    )


def _codes_sent_to(session, recipient: str) -> list[OutboxMessage]:
    session.rollback()  # end the read transaction: see what the requests wrote
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


def _latest_code(session, recipient: str) -> str:
    messages = _codes_sent_to(session, recipient)
    assert messages, "no verification code in the outbox"
    return _code_in(messages[-1])


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _verification_code_count(session) -> int:
    session.rollback()
    return session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "verification_code")
    )


def _verification_row_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(VerificationCode))


def _field_error(response) -> tuple[str, str]:
    detail = response.json()["detail"]
    return detail[0]["loc"][-1], detail[0]["msg"]


def test_guest_proves_the_complaint_contact_and_reads_that_complaint_only(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    other_reference, _ = _file_complaint(client, headers)
    conversation = _conversation()

    started = _start(client, headers, complaint_ref=reference, conversation_id=conversation)
    assert started.status_code == 202
    body = started.json()
    assert set(body) == {"verification_id", "expires_in"}
    assert body["expires_in"] == 600
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", body["verification_id"])

    messages = _codes_sent_to(session, phone)
    assert len(messages) == 1
    message = messages[0]
    assert message.channel == "sms"
    assert message.payload == {"target_type": "complaint"}
    code = _code_in(message)
    row = session.scalar(
        select(VerificationCode).where(VerificationCode.public_id == body["verification_id"])
    )
    assert (row.target_type, row.target_ref) == ("complaint", reference)
    assert row.delivered is True
    assert row.conversation_id == conversation
    assert code not in row.code_hash  # only a keyed hash is kept

    confirmed = _confirm(client, headers, body["verification_id"], code)
    assert confirmed.status_code == 200, confirmed.json()
    token = confirmed.json()
    assert token["token_kind"] == "complaint"
    assert token["expires_in"] == 30 * 60
    bearer = {"Authorization": f"Bearer {token['token']}"}

    own = client.get(f"/api/v1/complaints/{reference}", headers=bearer)
    assert own.status_code == 200
    assert own.json()["reference"] == reference
    other = client.get(f"/api/v1/complaints/{other_reference}", headers=bearer)
    missing = client.get("/api/v1/complaints/CMP-999999", headers=bearer)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    # A complaint token is not a customer: no order list.
    assert client.get("/api/v1/orders", headers=bearer).status_code == 403


def test_a_code_works_once(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    verification_id = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    code = _latest_code(session, phone)
    assert _confirm(client, headers, verification_id, code).status_code == 200
    again = _confirm(client, headers, verification_id, code)
    assert again.status_code == 409
    assert isinstance(again.json()["detail"], str)


def test_reference_is_matched_whatever_its_case(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    started = _start(client, headers, complaint_ref=f"  {reference.lower()} ")
    assert started.status_code == 202
    code = _latest_code(session, phone)
    confirmed = _confirm(client, headers, started.json()["verification_id"], code)
    assert confirmed.status_code == 200
    assert confirmed.json()["token_kind"] == "complaint"


def test_unknown_reference_looks_exactly_like_a_real_one(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    real = _start(client, headers, complaint_ref=reference)
    code = _latest_code(session, phone)
    before = _verification_code_count(session)
    unknown = _start(client, headers, complaint_ref=_unknown_complaint_ref())
    unknown_order = _start(client, headers, order_no=_unique_order_no())
    assert real.status_code == unknown.status_code == unknown_order.status_code == 202
    assert set(real.json()) == set(unknown.json()) == set(unknown_order.json())
    assert real.json()["expires_in"] == unknown.json()["expires_in"]
    assert len(real.json()["verification_id"]) == len(unknown.json()["verification_id"])
    assert _verification_code_count(session) == before  # nothing sent anywhere

    real_wrong = _confirm(client, headers, real.json()["verification_id"], _wrong(code))
    unknown_wrong = _confirm(client, headers, unknown.json()["verification_id"], code)
    assert real_wrong.status_code == unknown_wrong.status_code == 422
    assert real_wrong.json() == unknown_wrong.json()
    field, message = _field_error(unknown_wrong)
    assert field == "code"
    assert WRONG_CODE_MESSAGE.fullmatch(message).group(1) == "4"


def test_no_code_ever_confirms_an_unknown_reference(client, headers):
    verification_id = _start(client, headers, complaint_ref=_unknown_complaint_ref()).json()[
        "verification_id"
    ]
    answers = [_confirm(client, headers, verification_id, f"{n:06d}") for n in range(4)]
    assert [answer.status_code for answer in answers] == [422] * 4
    tries_left = [WRONG_CODE_MESSAGE.fullmatch(_field_error(a)[1]).group(1) for a in answers]
    assert tries_left == ["4", "3", "2", "1"]
    assert _confirm(client, headers, verification_id, "000004").status_code == 423


def test_five_wrong_codes_lock_the_reference(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    verification_id = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    code = _latest_code(session, phone)
    wrong = _wrong(code)

    answers = [_confirm(client, headers, verification_id, wrong) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [422] * 4
    messages = [_field_error(answer) for answer in answers]
    assert messages == [
        ("code", "that code is not right; 4 tries left"),
        ("code", "that code is not right; 3 tries left"),
        ("code", "that code is not right; 2 tries left"),
        ("code", "that code is not right; 1 try left"),
    ]
    fifth = _confirm(client, headers, verification_id, wrong)
    assert fifth.status_code == 423
    assert isinstance(fifth.json()["detail"], str)

    assert _confirm(client, headers, verification_id, code).status_code == 423
    before = len(_codes_sent_to(session, phone))
    assert _start(client, headers, complaint_ref=reference).status_code == 423
    assert len(_codes_sent_to(session, phone)) == before  # no new code went out
    # Another reference is not affected.
    other, _ = _file_complaint(client, headers)
    assert _start(client, headers, complaint_ref=other).status_code == 202


def test_a_lock_also_stops_the_other_codes_for_that_reference(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    first = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    first_code = _latest_code(session, phone)
    second = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    second_code = _latest_code(session, phone)
    for _ in range(5):
        _confirm(client, headers, first, _wrong(first_code))
    assert _confirm(client, headers, second, second_code).status_code == 423


def test_wrong_codes_count_against_the_reference_not_each_code(client, headers, session):
    """Contract: 5 wrong codes lock the reference. Spreading guesses over several codes
    for the same reference must not buy more guesses."""
    reference, phone = _file_complaint(client, headers)
    first = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    first_code = _latest_code(session, phone)
    second = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    second_code = _latest_code(session, phone)
    statuses = [_confirm(client, headers, first, _wrong(first_code)).status_code for _ in range(3)]
    statuses += [
        _confirm(client, headers, second, _wrong(second_code)).status_code for _ in range(2)
    ]
    assert statuses == [422, 422, 422, 422, 423]
    assert _confirm(client, headers, second, second_code).status_code == 423


def test_more_than_three_codes_in_thirty_minutes_is_refused(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    answers = [_start(client, headers, complaint_ref=reference) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [202] * 3
    assert len({answer.json()["verification_id"] for answer in answers}) == 3
    assert len(_codes_sent_to(session, phone)) == 3
    fourth = _start(client, headers, complaint_ref=reference)
    assert fourth.status_code == 423
    assert isinstance(fourth.json()["detail"], str)
    assert len(_codes_sent_to(session, phone)) == 3


def test_unknown_references_are_rate_limited_like_real_ones(client, headers):
    reference = _unknown_complaint_ref()
    statuses = [_start(client, headers, complaint_ref=reference).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 423]


def test_an_expired_code_is_refused(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    verification_id = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    code = _latest_code(session, phone)
    session.execute(
        update(VerificationCode)
        .where(VerificationCode.public_id == verification_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    expired = _confirm(client, headers, verification_id, code)
    assert expired.status_code == 422
    assert _field_error(expired) == ("code", EXPIRED_MESSAGE)


def _service_start(session, settings, reference: str, now):
    return start_verification(
        session=session,
        settings=settings,
        target_type="complaint",
        target_ref=reference,
        conversation_id=None,
        now=now,
    )


def _service_confirm(session, settings, verification_id: str, now, code: str = "123456"):
    return confirm_verification(
        session=session, settings=settings, verification_id=verification_id, code=code, now=now
    )


def test_code_lifetime_is_ten_minutes(session, settings):
    """The service as of chosen times: a code is good for ten minutes after it was asked for."""
    start = utcnow()
    try:
        started = _service_start(session, settings, _unknown_complaint_ref(), start)
        assert started.expires_in == 600
        row = session.scalar(
            select(VerificationCode).where(VerificationCode.public_id == started.verification_id)
        )
        session.refresh(row)
        assert row.expires_at == start + timedelta(minutes=10)
        # At the last moment the code is still checked (and is wrong: the reference is unknown).
        with pytest.raises(InvalidInput) as at_expiry:
            _service_confirm(
                session, settings, started.verification_id, start + timedelta(minutes=10)
            )
        assert at_expiry.value.message == "that code is not right; 4 tries left"
        with pytest.raises(InvalidInput) as after:
            _service_confirm(
                session, settings, started.verification_id, start + timedelta(minutes=10, seconds=1)
            )
        assert (after.value.field, after.value.message) == ("code", EXPIRED_MESSAGE)
        assert row.failed_attempts == 1  # an expired code does not count as a wrong one
    finally:
        session.rollback()


def test_a_lock_lasts_thirty_minutes_from_the_fifth_wrong_code(session, settings):
    """Contract: 5 wrong codes lock the reference, refusing new codes for 30 minutes."""
    start = utcnow()
    reference = _unknown_complaint_ref()
    try:
        started = _service_start(session, settings, reference, start)
        locked_at = start + timedelta(minutes=9)
        for _ in range(4):
            with pytest.raises(InvalidInput):
                _service_confirm(session, settings, started.verification_id, locked_at)
        with pytest.raises(Locked):
            _service_confirm(session, settings, started.verification_id, locked_at)
        with pytest.raises(Locked):  # 25 minutes after the lock: still locked
            _service_start(session, settings, reference, locked_at + timedelta(minutes=25))
        again = _service_start(session, settings, reference, locked_at + timedelta(minutes=31))
        assert again.expires_in == 600
    finally:
        session.rollback()


def _customer_with_order(session, *, email: str | None, phone: str | None) -> tuple[str, str]:
    """A fresh customer with one online order: (customer_no, order_no)."""
    customer = Customer(
        customer_no=f"C97{secrets.randbelow(10_000_000):07d}",
        given_name="Test",
        family_name="Verification",
        email=email,
        phone=phone,
    )
    session.add(customer)
    session.flush()
    order = Order(
        order_no=_unique_order_no(),
        customer_id=customer.id,
        channel=SalesChannel.ONLINE,
        store_name=None,
        status=OrderStatus.PAID,
        ordered_at=utcnow() - timedelta(days=1),
        total_amount=Decimal("120.00"),
        currency="HKD",
        lines=[],
    )
    session.add(order)
    session.commit()
    return customer.customer_no, order.order_no


def test_order_code_goes_to_the_email_on_file_and_gives_a_customer_token(client, headers, session):
    local = f"verify.{uuid.uuid4().hex[:12]}"
    customer_no, order_no = _customer_with_order(
        session, email=f"{local}@Example.COM", phone="9123 4567"
    )
    started = _start(client, headers, order_no=order_no.lower())
    assert started.status_code == 202
    recipient = f"{local}@example.com"
    messages = _codes_sent_to(session, recipient)
    assert len(messages) == 1
    assert messages[0].channel == "email"
    assert messages[0].payload == {"target_type": "order"}

    confirmed = _confirm(client, headers, started.json()["verification_id"], _code_in(messages[0]))
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["token_kind"] == "customer"
    bearer = {"Authorization": f"Bearer {confirmed.json()['token']}"}

    own = client.get(f"/api/v1/orders/{order_no}", headers=bearer)
    assert own.status_code == 200
    assert own.json()["order_no"] == order_no
    listed = client.get("/api/v1/orders", headers=bearer)
    assert [item["order_no"] for item in listed.json()["items"]] == [order_no]
    assert client.get(f"/api/v1/customers/{customer_no}", headers=bearer).status_code == 200
    someone_elses = session.scalars(select(Order).order_by(Order.id)).first()
    assert client.get(f"/api/v1/orders/{someone_elses.order_no}", headers=bearer).status_code == 404


def test_order_code_goes_by_sms_when_the_email_on_file_is_unusable(client, headers, session):
    typed, e164 = _unique_phone()
    _, order_no = _customer_with_order(session, email="not-an-email", phone=typed)
    started = _start(client, headers, order_no=order_no)
    assert started.status_code == 202
    messages = _codes_sent_to(session, e164)
    assert [message.channel for message in messages] == ["sms"]
    confirmed = _confirm(client, headers, started.json()["verification_id"], _code_in(messages[0]))
    assert confirmed.json()["token_kind"] == "customer"


def test_order_without_a_usable_contact_sends_nothing_and_never_confirms(client, headers, session):
    _, order_no = _customer_with_order(session, email=None, phone="12")
    before = _verification_code_count(session)
    started = _start(client, headers, order_no=order_no)
    assert started.status_code == 202
    assert _verification_code_count(session) == before
    answer = _confirm(client, headers, started.json()["verification_id"], "123456")
    assert answer.status_code == 422
    assert _field_error(answer)[0] == "code"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"complaint_ref": "CMP-000001", "order_no": "ORD-00000001"}, None),
        ({}, None),
        ({"complaint_ref": "CMP-1"}, "complaint_ref"),
        ({"complaint_ref": "ORD-00000001"}, "complaint_ref"),
        ({"order_no": "ORD-123"}, "order_no"),
        ({"order_no": "CMP-000001"}, "order_no"),
        ({"complaint_ref": "CMP-000001", "conversation_id": "c" * 500}, "conversation_id"),
        ({"complaint_ref": "CMP-000001", "conversation_id": "bad\x00id"}, "conversation_id"),
        ({"complaint_ref": "CMP-000001", "phone": "91234567"}, "phone"),
    ],
)
def test_bad_verification_request_is_422(client, headers, session, body, field):
    before = _verification_row_count(session)
    response = client.post("/api/v1/verifications", json=body, headers=headers.service())
    assert response.status_code == 422
    detail = response.json()["detail"]
    if field is None:  # the error is about the pair, not one field
        assert "complaint_ref or order_no" in detail[0]["msg"]
    else:
        assert field in [error["loc"][-1] for error in detail]
    assert _verification_row_count(session) == before


@pytest.mark.parametrize(
    "code",
    [
        "12ab56",
        "1234567",
        "12345",
        "",
        " ",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        123456,
        None,
        "123 456",
    ],
)
def test_malformed_code_is_422_on_code_and_does_not_count(client, headers, session, code):
    reference, phone = _file_complaint(client, headers)
    verification_id = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    response = client.post(
        f"/api/v1/verifications/{verification_id}/confirm",
        json={"code": code},
        headers=headers.service(),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "code"
    session.rollback()
    row = session.scalar(
        select(VerificationCode).where(VerificationCode.public_id == verification_id)
    )
    assert row.failed_attempts == 0
    assert row.consumed_at is None
    # The right code still works afterwards.
    right = _confirm(client, headers, verification_id, _latest_code(session, phone))
    assert right.status_code == 200


@pytest.mark.parametrize(
    "verification_id",
    ["abc$def%ghi!jklmnopq", "short", "a" * 65, "aaaaaaaaaaaaaaaa.bbbb", "ééééééééééééééééé"],
)
def test_malformed_verification_id_is_422(client, headers, verification_id):
    response = _confirm(client, headers, verification_id, "123456")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "verification_id"]


def test_unknown_verification_id_is_404(client, headers):
    response = _confirm(client, headers, secrets.token_urlsafe(24), "123456")
    assert response.status_code == 404


def test_extra_fields_in_the_confirmation_are_refused(client, headers):
    response = client.post(
        f"/api/v1/verifications/{secrets.token_urlsafe(24)}/confirm",
        json={"code": "123456", "token_kind": "customer"},
        headers=headers.service(),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "token_kind"


def test_verification_needs_the_service_token_or_a_bearer(client, headers, session):
    reference, phone = _file_complaint(client, headers)
    body = {"complaint_ref": reference, "conversation_id": _conversation()}
    assert client.post("/api/v1/verifications", json=body).status_code == 401
    wrong = {"X-Service-Token": "guessed-token"}
    assert client.post("/api/v1/verifications", json=body, headers=wrong).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert client.post("/api/v1/verifications", json=body, headers=forged).status_code == 401
    assert _codes_sent_to(session, phone) == []  # nothing sent, nothing counted

    verification_id = _start(client, headers, complaint_ref=reference).json()["verification_id"]
    code = _latest_code(session, phone)
    url = f"/api/v1/verifications/{verification_id}/confirm"
    assert client.post(url, json={"code": code}).status_code == 401
    assert client.post(url, json={"code": code}, headers=wrong).status_code == 401
    # The code was not used up by the refused attempts.
    assert _confirm(client, headers, verification_id, code).status_code == 200
