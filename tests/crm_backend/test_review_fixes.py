"""Regression tests for defects found in review: transactions, leaks, stale staff tokens."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from crm_backend.db import make_engine
from crm_backend.devstack import Stack, StackConfig
from crm_backend.models import Complaint
from crm_backend.models.enums import ComplaintCategory, ContactMethod, Department
from crm_backend.schemas.complaint import ComplaintCreate
from crm_backend.services.complaints import create_complaint
from crm_backend.services.staff import add_staff, principal_of


def _complaints(session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint))


def test_a_rolled_back_complaint_leaves_nothing_behind(app):
    # On SQLite the savepoint used for idempotency must not commit on its own.
    with app.state.session_factory() as session:
        before = _complaints(session)
        data = ComplaintCreate(
            description="The toaster burnt the bread black every time.",
            category=ComplaintCategory.PRODUCT_QUALITY,
            contact_method=ContactMethod.PHONE,
            contact_value="91234567",
        )
        create_complaint(
            session=session, data=data, principal=None, idempotency_key=uuid.uuid4().hex
        )
        session.rollback()
        assert _complaints(session) == before


def test_engines_never_put_bound_parameters_in_errors(database):
    engine = make_engine(database.url)
    try:
        assert engine.hide_parameters is True
    finally:
        engine.dispose()


def test_control_characters_in_free_text_are_refused(client, headers):
    body = {
        "description": "The parcel\x00 never came",
        "category": "delivery",
        "contact_method": "phone",
        "contact_value": "91234567",
    }
    response = client.post("/api/v1/complaints", json=body, headers=headers.service())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "description"
    assert "never came" not in response.text  # errors name the field, never echo the input


def test_a_non_ascii_service_token_is_a_401_not_a_crash(client):
    response = client.post(
        "/api/v1/complaints",
        json={"description": "late parcel again", "category": "delivery"},
        headers={"X-Service-Token": "tök€n".encode()},
    )
    assert response.status_code == 401


def test_a_deactivated_staff_token_stops_working_at_once(app, client, headers):
    username = f"temp.{uuid.uuid4().hex[:8]}"
    with app.state.session_factory() as session:
        staff = add_staff(
            session=session, username=username, password="a-long-password-1",
            department=Department.CUSTOMER_SERVICE,
        )  # fmt: skip
        session.commit()
        auth = headers.principal(principal_of(staff))
        assert client.get("/api/v1/customers/C000001", headers=auth).json()["masked"] is False

        # Moved to marketing: the old token now gets marketing's view.
        staff.department = Department.MARKETING
        session.commit()
        assert client.get("/api/v1/customers/C000001", headers=auth).json()["masked"] is True

        staff.is_active = False
        session.commit()
        assert client.get("/api/v1/customers/C000001", headers=auth).status_code == 401


def test_redacted_views_and_customers_do_not_get_internal_notes(client, headers, session):
    complaint = session.scalars(
        select(Complaint).where(Complaint.customer_id.is_not(None), Complaint.status == "closed")
    ).first()
    full = client.get(f"/api/v1/complaints/{complaint.reference}", headers=headers.staff("cs.demo"))
    assert any(event["note"] for event in full.json()["events"])
    redacted = client.get(
        f"/api/v1/complaints/{complaint.reference}", headers=headers.staff("sales.demo")
    )
    assert all(event["note"] is None for event in redacted.json()["events"])
    owner = complaint.customer.customer_no
    own = client.get(f"/api/v1/complaints/{complaint.reference}", headers=headers.customer(owner))
    # The complainant sees how it was resolved, never the staff's working notes.
    for event in own.json()["events"]:
        if event["event_type"] == "resolved":
            assert event["note"] == complaint.resolution
        else:
            assert event["note"] is None


def test_the_action_server_listens_on_loopback_only(tmp_path):
    env = Stack(StackConfig(var_dir=tmp_path))._env()
    assert env["SANIC_HOST"] == "127.0.0.1"
