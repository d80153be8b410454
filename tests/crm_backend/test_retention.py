"""The retention job: each category of data_retention_policy.json is deleted, cleared or
redacted once past its period, recent rows stay, a second run does nothing, and nothing
personal is logged. Runs over a database of its own (a run touches whole tables)."""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from complaint_helpers import file_guest_complaint
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from crm_backend.cli import app as cli_app
from crm_backend.config import get_settings
from crm_backend.models import (
    AuditLogEntry,
    CallbackRequest,
    Complaint,
    ComplaintEvent,
    Customer,
    DataExport,
    DataRequest,
    OutboxMessage,
    ProfileChangeRequest,
    VerificationCode,
)
from crm_backend.models.enums import (
    ActorType,
    CallbackStatus,
    ComplaintStatus,
    ContactMethod,
    DataRequestKind,
    DataRequestStatus,
    OutboxStatus,
    ProfileChangeStatus,
    ProfileField,
)
from crm_backend.services.retention import REDACTED_EVENT, load_retention_policy, run_retention

CATEGORIES = {
    "outbox_messages",
    "verification_codes",
    "profile_change_requests",
    "callback_requests",
    "closed_complaints",
    "data_exports",
    "completed_data_requests",
}
NOW = datetime.now(UTC).replace(microsecond=0)
# Personal values in the rows the job redacts; none may reach a log line.
NAME = "Cheung Siu Fung"
PHONE = "6234 5678"
EMAIL = "siufung.cheung@example.net"


@pytest.fixture
def client(own_stack) -> Iterator[TestClient]:
    with TestClient(own_stack.app) as test_client:
        yield test_client


@pytest.fixture
def session(own_stack):
    with own_stack.app.state.session_factory() as db_session:
        yield db_session


def run(own_stack, as_of: datetime) -> dict[str, int]:
    with own_stack.app.state.session_factory() as db_session, db_session.begin():
        return run_retention(db_session, as_of)


def _customer(session) -> Customer:
    customer = Customer(
        customer_no=f"C9{secrets.randbelow(10**8):08d}",
        family_name="Ho",
        given_name="Wing Sze",
        email=f"ws.{uuid.uuid4().hex[:8]}@example.com",
        phone="+85298765432",
    )
    session.add(customer)
    session.flush()
    return customer


def _outbox(session, age_days: int, status: OutboxStatus) -> int:
    message = OutboxMessage(
        kind="test",
        channel="sms",
        recipient=f"+8529{secrets.randbelow(10**7):07d}",
        subject="Your code",
        body="Your one-time code is on its way.",
        status=status,
        created_at=NOW - timedelta(days=age_days),
    )
    session.add(message)
    session.flush()
    return message.id


def _code(session, age_days: int) -> int:
    created = NOW - timedelta(days=age_days)
    code = VerificationCode(
        public_id=secrets.token_urlsafe(16),
        target_type="order",
        target_ref="ORD-00000001",
        code_hash="0" * 64,
        expires_at=created + timedelta(minutes=10),
        created_at=created,
    )
    session.add(code)
    session.flush()
    return code.id


def _change(session, customer: Customer, expired_ago: timedelta, status: ProfileChangeStatus):
    request = ProfileChangeRequest(
        public_id=secrets.token_urlsafe(16),
        customer_id=customer.id,
        field=ProfileField.EMAIL,
        new_value=EMAIL,
        new_value_masked="s***@example.net",
        status=status,
        statement_version="2026-11-23",
        actor_type=ActorType.CUSTOMER,
        actor_id=customer.customer_no,
        channel="chat",
        created_at=NOW - expired_ago - timedelta(minutes=15),
        expires_at=NOW - expired_ago,
    )
    session.add(request)
    session.flush()
    return request.id


def _callback(session, age_days: int, status: CallbackStatus) -> int:
    created = NOW - timedelta(days=age_days)
    callback = CallbackRequest(
        conversation_id=f"conv-{uuid.uuid4().hex}",
        contact_method=ContactMethod.PHONE,
        contact_value="+85262345678",
        status=status,
        expected_by=created + timedelta(hours=4),
        created_at=created,
    )
    session.add(callback)
    session.flush()
    return callback.id


def _close(session, reference: str, closed_days_ago: int, status=ComplaintStatus.CLOSED) -> None:
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    closed = NOW - timedelta(days=closed_days_ago)
    complaint.description = (
        f"My name is {NAME}. The delivery of order ORD-00001234 came two weeks late; "
        f"call me on {PHONE} or write to {EMAIL}."
    )
    complaint.resolution = f"Refund of HK$120 agreed with {NAME} by phone on {PHONE}."
    complaint.csat_comment = f"Thanks, please email {EMAIL} next time."
    complaint.status = status
    complaint.resolved_at = closed
    complaint.closed_at = closed if status == ComplaintStatus.CLOSED else None
    session.add(
        ComplaintEvent(
            complaint=complaint,
            event_type="note",
            note=f"Spoke to {NAME} on {PHONE}; customer prefers email {EMAIL}.",
            actor_type=ActorType.STAFF,
            actor_id="cs.demo",
            created_at=closed,
        )
    )


def _data_request(session, customer: Customer | None, completed_days_ago: int | None) -> int:
    created = NOW - timedelta(days=(completed_days_ago or 0) + 10)
    request = DataRequest(
        reference=f"T-{secrets.token_hex(6)}",
        customer_id=customer.id if customer else None,
        kind=DataRequestKind.ACCESS,
        status=DataRequestStatus.OPEN
        if completed_days_ago is None
        else DataRequestStatus.COMPLETED,
        verified=customer is not None,
        contact_method=None if customer else ContactMethod.EMAIL,
        contact_value=None if customer else EMAIL,
        channel="chat",
        due_at=created + timedelta(days=40),
        created_at=created,
        completed_at=None
        if completed_days_ago is None
        else NOW - timedelta(days=completed_days_ago),
    )
    session.add(request)
    session.flush()
    return request.id


def _export(session, customer: Customer, expires_in: timedelta) -> int:
    request_id = _data_request(session, customer, 1)
    export = DataExport(
        public_id=secrets.token_urlsafe(24),
        request_id=request_id,
        customer_id=customer.id,
        content={"profile": {"email": customer.email}},
        summary="copy",
        created_at=NOW + expires_in - timedelta(days=7),
        expires_at=NOW + expires_in,
    )
    session.add(export)
    session.flush()
    return export.id


def _exists(session, model, row_id: int) -> bool:
    return session.get(model, row_id) is not None


def test_policy_has_every_category():
    policy = load_retention_policy()
    assert set(policy.rules) >= CATEGORIES
    assert policy.rules["closed_complaints"].period == timedelta(days=730)


def test_each_category_is_applied_once_and_recent_rows_stay(own_stack, client, session, caplog):
    headers = own_stack.headers
    old_ref = file_guest_complaint(client, headers, contact_value=PHONE)["reference"]
    recent_ref = file_guest_complaint(client, headers, contact_value=PHONE)["reference"]
    open_ref = file_guest_complaint(client, headers, contact_value=PHONE)["reference"]
    session.rollback()
    customer = _customer(session)
    rows = {
        "outbox_old_sent": _outbox(session, 91, OutboxStatus.SENT),
        "outbox_old_failed": _outbox(session, 120, OutboxStatus.FAILED),
        "outbox_old_pending": _outbox(session, 91, OutboxStatus.PENDING),
        "outbox_recent": _outbox(session, 89, OutboxStatus.SENT),
        "code_old": _code(session, 31),
        "code_recent": _code(session, 29),
        "change_never_answered": _change(
            session, customer, timedelta(days=2), ProfileChangeStatus.PENDING
        ),
        "change_just_expired": _change(
            session, customer, timedelta(hours=12), ProfileChangeStatus.PENDING
        ),
        "change_live": _change(
            session, customer, -timedelta(minutes=10), ProfileChangeStatus.PENDING
        ),
        "callback_done_old": _callback(session, 366, CallbackStatus.DONE),
        "callback_cancelled_old": _callback(session, 400, CallbackStatus.CANCELLED),
        "callback_open_old": _callback(session, 400, CallbackStatus.OPEN),
        "callback_done_recent": _callback(session, 300, CallbackStatus.DONE),
        "export_expired": _export(session, customer, -timedelta(minutes=1)),
        "export_live": _export(session, customer, timedelta(days=6)),
        "guest_request_old": _data_request(session, None, 731),
        "guest_request_recent": _data_request(session, None, 700),
        "guest_request_open": _data_request(session, None, None),
    }
    _close(session, old_ref, 731)
    _close(session, recent_ref, 700)
    _close(session, open_ref, 900, status=ComplaintStatus.RESOLVED)
    session.commit()
    audits_before = session.scalar(
        select(func.count()).where(AuditLogEntry.record_type == "retention_category")
    )

    with caplog.at_level(logging.DEBUG):
        counts = run(own_stack, NOW)
    assert set(counts) == CATEGORIES
    assert counts["outbox_messages"] >= 3
    assert counts["verification_codes"] >= 1
    assert counts["profile_change_requests"] >= 1
    assert counts["callback_requests"] >= 2
    assert counts["closed_complaints"] >= 1
    assert counts["data_exports"] >= 1
    assert counts["completed_data_requests"] >= 1
    for value in (NAME, PHONE, EMAIL, "62345678", "Siu Fung"):
        assert value not in caplog.text
    assert "retention run" in caplog.text

    session.rollback()
    for gone in ("outbox_old_sent", "outbox_old_failed", "outbox_old_pending"):
        assert not _exists(session, OutboxMessage, rows[gone])
    assert _exists(session, OutboxMessage, rows["outbox_recent"])
    assert not _exists(session, VerificationCode, rows["code_old"])
    assert _exists(session, VerificationCode, rows["code_recent"])

    cleared = session.get(ProfileChangeRequest, rows["change_never_answered"])
    assert cleared.new_value is None and cleared.status == ProfileChangeStatus.EXPIRED
    assert cleared.new_value_masked == "s***@example.net"
    for kept in ("change_just_expired", "change_live"):
        request = session.get(ProfileChangeRequest, rows[kept])
        assert request.new_value == EMAIL and request.status == ProfileChangeStatus.PENDING

    assert not _exists(session, CallbackRequest, rows["callback_done_old"])
    assert not _exists(session, CallbackRequest, rows["callback_cancelled_old"])
    assert _exists(session, CallbackRequest, rows["callback_open_old"])
    assert _exists(session, CallbackRequest, rows["callback_done_recent"])

    assert not _exists(session, DataExport, rows["export_expired"])
    assert _exists(session, DataExport, rows["export_live"])
    assert session.get(DataRequest, rows["guest_request_old"]).contact_value is None
    assert session.get(DataRequest, rows["guest_request_recent"]).contact_value == EMAIL
    assert session.get(DataRequest, rows["guest_request_open"]).contact_value == EMAIL

    redacted = session.scalar(select(Complaint).where(Complaint.reference == old_ref))
    texts = [
        redacted.description,
        redacted.resolution,
        redacted.csat_comment,
        *[e.note for e in redacted.events if e.note],
    ]
    joined = " ".join(texts)
    for value in (NAME, PHONE, EMAIL, "Siu Fung"):
        assert value not in joined
    assert "ORD-00001234" in redacted.description and "HK$120" in redacted.resolution
    assert redacted.contact_value is None
    assert [e.event_type for e in redacted.events].count(REDACTED_EVENT) == 1
    for kept_ref in (recent_ref, open_ref):
        kept = session.scalar(select(Complaint).where(Complaint.reference == kept_ref))
        assert NAME in kept.description and kept.contact_value is not None
        assert any(e.note and PHONE in e.note for e in kept.events)

    audits = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "retention_category")
        .order_by(AuditLogEntry.id)
    ).all()
    assert len(audits) - audits_before == len(CATEGORIES)
    assert {a.record_id for a in audits[-len(CATEGORIES) :]} == CATEGORIES
    assert all(a.actor_type == ActorType.SYSTEM for a in audits)

    session.rollback()
    again = run(own_stack, NOW)
    assert again == dict.fromkeys(CATEGORIES, 0)


def test_cli_retention_run_prints_counts(own_stack, client, session, monkeypatch, tmp_path):
    _code(session, 45)
    _outbox(session, 100, OutboxStatus.SENT)
    session.commit()
    monkeypatch.setenv("CRM_DATABASE_URL", own_stack.database.url)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    as_of = NOW.date().isoformat()
    try:
        runner = CliRunner()
        bad = runner.invoke(cli_app, ["retention", "run", "--as-of", "last friday"])
        assert bad.exit_code == 2 and "--as-of" in bad.output
        done = runner.invoke(
            cli_app, ["retention", "run", "--as-of", as_of, "--json"], catch_exceptions=False
        )
        assert done.exit_code == 0, done.output
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert summary["as_of"] == f"{as_of}T00:00:00+00:00"
        assert set(summary) == CATEGORIES | {"as_of"}
        assert summary["verification_codes"] >= 1 and summary["outbox_messages"] >= 1
        text = runner.invoke(cli_app, ["retention", "run", "--as-of", as_of])
        assert text.exit_code == 0
        assert "verification_codes: 0" in text.stdout and "outbox_messages: 0" in text.stdout
    finally:
        get_settings.cache_clear()


def test_the_backend_clock_applies_the_policy_in_one_transaction(own_stack):
    from crm_backend.periodic import apply_retention

    counts = apply_retention(own_stack.app)
    assert set(counts) == set(load_retention_policy().rules)
    with own_stack.app.state.session_factory() as db_session:
        audited = db_session.scalar(
            select(func.count())
            .select_from(AuditLogEntry)
            .where(AuditLogEntry.record_type == "retention_category")
        )
    assert audited and audited >= len(counts)
