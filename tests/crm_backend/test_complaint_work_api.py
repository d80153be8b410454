"""Staff working complaints over the API: queues, every transition, permissions, notes,
and no lost update when two staff change one complaint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from complaint_helpers import API, file_guest_complaint, resolve, staff_post
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from crm_backend.db import utcnow
from crm_backend.models import AuditLogEntry, Complaint


def test_every_legal_transition_over_the_api(client, headers):
    ref = file_guest_complaint(client, headers)["reference"]
    path = [
        ("acknowledge", "acknowledged"),
        ("start", "in_progress"),
        ("await_customer", "awaiting_customer"),
        ("start", "in_progress"),
        ("resolve", "resolved"),
        ("reopen", "in_progress"),
        ("resolve", "resolved"),
        ("close", "closed"),
        ("reopen", "in_progress"),
    ]
    version = None
    for action, status in path:
        body = {"action": action, "resolution": "replacement sent", "expected_version": version}
        response = staff_post(client, headers, "cs.demo", ref, "transition", body)
        assert response.status_code == 200, (action, response.text)
        view = response.json()
        assert view["status"] == status
        assert view["events"][-1]["actor"] == "cs.demo"
        assert version is None or view["version"] > version
        version = view["version"]
    assert view["resolution"] is None  # reopening clears the last resolution


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        (["resolve", "close"], "resolve", "cannot resolve a complaint that is closed"),
        ([], "close", "cannot close a complaint that is new"),
        ([], "reopen", "cannot reopen a complaint that is new"),
        (["resolve"], "await_customer", "cannot wait for the customer on a complaint that is re"),
        (["start"], "acknowledge", "cannot acknowledge a complaint that is in progress"),
    ],
)  # fmt: skip
def test_illegal_transitions_get_a_clear_409(client, headers, session, setup, action, message):
    ref = file_guest_complaint(client, headers)["reference"]
    for step in setup:
        body = {"action": step, "resolution": "done"}
        assert staff_post(client, headers, "cs.demo", ref, "transition", body).status_code == 200
    before = session.scalar(select(Complaint.status).where(Complaint.reference == ref))
    response = staff_post(
        client, headers, "cs.demo", ref, "transition", {"action": action, "resolution": "x"}
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith(message)
    session.expire_all()
    assert session.scalar(select(Complaint.status).where(Complaint.reference == ref)) == before


def test_resolve_without_resolution_is_422_on_that_field(client, headers):
    ref = file_guest_complaint(client, headers)["reference"]
    response = staff_post(client, headers, "cs.demo", ref, "transition", {"action": "resolve"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "resolution"


@pytest.mark.parametrize("username", ["sales.demo", "marketing.demo", "compliance.demo"])
@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("assign", {"assignee": None}),
        ("notes", {"note": "looked at it"}),
        ("transition", {"action": "acknowledge"}),
    ],
)
def test_departments_without_the_right_get_403_and_nothing_changes(
    client, headers, session, username, what, body
):
    ref = file_guest_complaint(client, headers)["reference"]
    response = staff_post(client, headers, username, ref, what, body)
    assert response.status_code == 403
    complaint = session.scalar(select(Complaint).where(Complaint.reference == ref))
    assert complaint.status == "new" and len(complaint.events) == 1
    assert complaint.assigned_staff_id is None


def test_customers_and_the_bot_cannot_use_staff_actions(client, headers):
    ref = file_guest_complaint(client, headers)["reference"]
    url = f"{API}/{ref}/transition"
    assert (
        client.post(url, json={"action": "acknowledge"}, headers=headers.service()).status_code
        == 401
    )
    customer = headers.customer("C000001")
    assert client.post(url, json={"action": "acknowledge"}, headers=customer).status_code == 403


def test_assign_to_me_to_a_colleague_and_to_nobody_real(client, headers, session):
    ref = file_guest_complaint(client, headers)["reference"]
    mine = staff_post(client, headers, "cs.demo", ref, "assign", {"assignee": None}).json()
    assert mine["assigned_to"] == "cs.demo"
    colleague = staff_post(client, headers, "cs.demo", ref, "assign", {"assignee": "cs.supervisor"})
    assert colleague.json()["assigned_to"] == "cs.supervisor"
    unknown = staff_post(client, headers, "cs.demo", ref, "assign", {"assignee": "no.such.person"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "assignee"
    malformed = staff_post(client, headers, "cs.demo", ref, "assign", {"assignee": "Robert'); --"})
    assert malformed.status_code == 422
    listed = client.get(API, params={"queue": "mine"}, headers=headers.staff("cs.supervisor"))
    assert ref in [item["reference"] for item in listed.json()["items"]]


def test_notes_are_recorded_bounded_and_internal(client, headers):
    ref = file_guest_complaint(client, headers)["reference"]
    note = "Called the customer 你好 — waiting for photos <b>not html</b>"
    view = staff_post(client, headers, "cs.demo", ref, "notes", {"note": note}).json()
    assert view["events"][-1]["event_type"] == "note" and view["events"][-1]["note"] == note
    too_long = staff_post(client, headers, "cs.demo", ref, "notes", {"note": "x" * 4001})
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"][-1] == "note"
    assert "xxxx" not in too_long.text  # the rejected input is not echoed back
    empty = staff_post(client, headers, "cs.demo", ref, "notes", {"note": "   "})
    assert empty.status_code == 422
    sales_view = client.get(f"{API}/{ref}", headers=headers.staff("sales.demo")).json()
    assert sales_view["events"][-1]["note"] is None


def test_stale_expected_version_is_a_conflict_and_nothing_is_lost(client, headers, session):
    ref = file_guest_complaint(client, headers)["reference"]
    version = client.get(f"{API}/{ref}", headers=headers.staff("cs.demo")).json()["version"]
    first = staff_post(
        client, headers, "cs.demo", ref, "notes", {"note": "first", "expected_version": version}
    )
    assert first.status_code == 200
    second = staff_post(
        client, headers, "cs.supervisor", ref, "transition",
        {"action": "resolve", "resolution": "done", "expected_version": version},
    )  # fmt: skip
    assert second.status_code == 409 and "changed by someone else" in second.json()["detail"]
    complaint = session.scalar(select(Complaint).where(Complaint.reference == ref))
    assert complaint.status == "new"
    assert [e.note for e in complaint.events if e.event_type == "note"] == ["first"]


def test_concurrent_writers_without_versions_still_do_not_overwrite(app, client, headers):
    """Two sessions load the same row; the second commit is refused by the version check."""
    from crm_backend.services import complaint_lifecycle as lifecycle
    from crm_backend.services.followup_policy import load_followup_policy

    ref = file_guest_complaint(client, headers)["reference"]
    factory = app.state.session_factory
    first, second = factory(), factory()
    try:
        a = first.scalar(select(Complaint).where(Complaint.reference == ref))
        b = second.scalar(select(Complaint).where(Complaint.reference == ref))
        staff = lifecycle.Actor(lifecycle.ActorType.STAFF, "cs.demo")
        now = utcnow()
        policy = load_followup_policy()
        lifecycle.transition(a, lifecycle.StatusAction.START, actor=staff, now=now, policy=policy)
        first.commit()
        lifecycle.transition(
            b, lifecycle.StatusAction.RESOLVE, actor=staff, now=now, policy=policy, resolution="x"
        )
        # PostgreSQL: the versioned UPDATE matches no row. SQLite: the second writer's
        # snapshot is older than the first commit, so SQLite itself refuses the write.
        with pytest.raises((StaleDataError, OperationalError)):
            second.commit()
    finally:
        first.close()
        second.close()
    view = client.get(f"{API}/{ref}", headers=headers.staff("cs.demo")).json()
    assert view["status"] == "in_progress"


def test_queues_overdue_and_filters(client, headers, session):
    urgent = file_guest_complaint(
        client, headers, category="product_quality",
        description="The heater started to smoke and burn the carpet, this is dangerous",
    )  # fmt: skip
    assert urgent["priority"] == "urgent"
    # Make it overdue: its due times in the past.
    complaint = session.scalar(select(Complaint).where(Complaint.reference == urgent["reference"]))
    complaint.first_response_due_at = utcnow() - timedelta(hours=3)
    complaint.resolution_due_at = utcnow() - timedelta(hours=1)
    session.commit()
    cs = headers.staff("cs.demo")
    overdue = client.get(API, params={"queue": "overdue", "limit": 100}, headers=cs).json()
    item = next(i for i in overdue["items"] if i["reference"] == urgent["reference"])
    assert item["sla_state"] == "breached"
    assert all(i["sla_state"] == "breached" for i in overdue["items"])
    assert overdue["total"] >= len(overdue["items"])
    due = [i["resolution_due_at"] for i in overdue["items"]]
    assert due == sorted(due)  # most overdue first
    urgent_only = client.get(
        API, params={"priority": "urgent", "category": "product_quality"}, headers=cs
    ).json()
    assert urgent_only["items"] and all(i["priority"] == "urgent" for i in urgent_only["items"])
    assert client.get(API, params={"queue": "everything"}, headers=cs).status_code == 422
    assert client.get(API, params={"limit": 0}, headers=cs).status_code == 422
    audit = session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.record_id == "queue:overdue")
    ).all()
    assert audit and audit[-1].actor_id == "cs.demo"


def test_show_gives_full_text_to_cs_and_redacted_text_to_sales(client, headers):
    description = "Courier was rude. Call me on 9876 5432 or email chan.tai.man@example.com"
    ref = file_guest_complaint(client, headers, description=description)["reference"]
    full = client.get(f"{API}/{ref}", headers=headers.staff("management.demo")).json()
    assert full["description"] == description and full["description_redacted"] is None
    redacted = client.get(f"{API}/{ref}", headers=headers.staff("sales.demo")).json()
    assert redacted["description"] is None
    text = redacted["description_redacted"]
    assert "9876" not in text and "chan.tai.man" not in text
    assert "Courier was rude" in text
    resolution = "Called Chan Tai Man on 9876 5432, refund of HK$120 to card"
    staff_post(
        client,
        headers,
        "cs.demo",
        ref,
        "transition",
        {"action": "resolve", "resolution": resolution},
    )
    sales = client.get(f"{API}/{ref}", headers=headers.staff("sales.demo")).json()["resolution"]
    assert "9876" not in sales and "Chan Tai Man" not in sales and "HK$120" in sales
    full_view = client.get(f"{API}/{ref}", headers=headers.staff("cs.demo")).json()
    assert full_view["resolution"] == resolution


def test_unknown_and_malformed_references(client, headers):
    cs = headers.staff("cs.demo")
    assert client.get(f"{API}/CMP-999999999", headers=cs).status_code == 404
    assert client.get(f"{API}/CMP-12", headers=cs).status_code == 422
    body = {"action": "acknowledge"}
    assert client.post(f"{API}/CMP-999999999/transition", json=body, headers=cs).status_code == 404
    assert client.post(f"{API}/NOPE/transition", json=body, headers=cs).status_code == 422
    wrong_type = client.post(f"{API}/CMP-000001/transition", json={"action": 3}, headers=cs)
    assert wrong_type.status_code == 422


def test_resolving_schedules_a_followup(client, headers, session):
    ref = file_guest_complaint(client, headers)["reference"]
    view = resolve(client, headers, ref)
    assert view["status"] == "resolved" and view["next_step"] == "resolved_awaiting_feedback"
    complaint = session.scalar(select(Complaint).where(Complaint.reference == ref))
    assert complaint.followup_due_at > complaint.resolved_at
    assert complaint.first_responded_at == complaint.resolved_at


async def test_sqlite_write_conflicts_answer_503_retry_not_500():
    import sqlite3

    from crm_backend.api.errors import _operational

    locked = OperationalError(
        "UPDATE complaint ...", {}, sqlite3.OperationalError("database is locked")
    )
    response = await _operational(None, locked)  # type: ignore[arg-type]
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    other = OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: x"))
    with pytest.raises(OperationalError):
        await _operational(None, other)  # type: ignore[arg-type]
