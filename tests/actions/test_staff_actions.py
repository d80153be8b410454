"""Staff working their complaint queue in the chat, against the real backend in process.

Every test files its own complaints (through the API, as the bot would for a guest) so it
knows their state; the seeded complaints are only background noise in the queues.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from actions.staff_complaint_queue import (
    ActionStaffListComplaints,
    ActionStaffShowComplaint,
    queue_request,
)
from actions.staff_complaint_work import (
    ActionStaffAddNote,
    ActionStaffAssignComplaint,
    ActionStaffCancelUpdate,
    ActionStaffChangeStatus,
    ActionStaffResolveComplaint,
    ActionStaffSubmitUpdate,
)
from actions.staff_complaints import (
    assignee_in,
    free_text,
    malformed_reference_in,
    reference_in,
    status_action_in,
    text_after_colon,
)
from crm_backend.demo_data import DEMO_STAFF
from crm_backend.models import Complaint
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.tokens import Principal, issue_token

PHONE = "9123 4567"
DESCRIPTION = f"The parcel arrived crushed and the lamp inside is broken. Call me on {PHONE}."
ROLES = {username: (department, role) for username, department, role, _name in DEMO_STAFF}


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def staff_token(settings):  # type: ignore[no-untyped-def]
    """The bare token of a demo staff member, as the staff console puts it in metadata."""

    def issue(username: str) -> str:
        department, role = ROLES[username]
        principal = Principal(
            kind="staff", subject=username, department=Department(department), role=StaffRole(role)
        )
        return issue_token(settings, principal)[0]

    return issue


@pytest.fixture
async def api(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as client:
        yield client


@pytest.fixture
def file_complaint(api, headers, backend):  # type: ignore[no-untyped-def]
    async def file(**overrides: Any) -> str:
        body = {
            "description": DESCRIPTION,
            "category": "delivery",
            "contact_method": "phone",
            "contact_value": PHONE,
            "conversation_id": f"conv-{uuid.uuid4().hex}",
            **overrides,
        }
        answer = await api.post("/api/v1/complaints", json=body, headers=headers.service())
        assert answer.status_code == 201, answer.text
        reference: str = answer.json()["reference"]
        return reference

    return file


@pytest.fixture
def staff_says(tracker_factory, dispatcher, domain, staff_token):  # type: ignore[no-untyped-def]
    """Run one action for a message typed by a staff member; returns the slots it set."""

    async def say(
        action: Any,
        text: str,
        *,
        intent: str,
        as_user: str = "cs.demo",
        entities: dict[str, str] | None = None,
        slots: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        tracker = tracker_factory(
            text=text,
            intent=intent,
            entities=entities,
            slots=slots,
            token=token if token is not None else staff_token(as_user),
            active_loop=None,
        )
        return slot_values(await action.run(dispatcher, tracker, domain))

    return say


async def read(api, headers, reference: str, username: str = "cs.demo") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = await api.get(f"/api/v1/complaints/{reference}", headers=headers.staff(username))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def message(dispatcher, response: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    found: dict[str, Any] = next(m for m in dispatcher.messages if m.get("response") == response)
    return found


# --- lists ---------------------------------------------------------------------------------


async def test_my_queue_lists_what_i_was_just_assigned(
    file_complaint, staff_says, said, dispatcher
):
    reference = await file_complaint()
    await staff_says(
        ActionStaffAssignComplaint(), f"assign {reference} to me", intent="staff_assign_complaint"
    )
    slots = await staff_says(
        ActionStaffListComplaints(),
        "my open complaints",
        intent="staff_list_complaints",
        entities={"queue": "mine"},
    )
    assert said() == ["utter_staff_assigned", "utter_staff_complaint_list"]
    listing = message(dispatcher, "utter_staff_complaint_list")
    lines = listing["lines"].splitlines()
    assert any(line.startswith(reference) for line in lines)
    assert 1 <= len(lines) <= 10 and listing["total"] >= 1
    assert listing["queue_label"].startswith("Your open complaints")
    line = next(line for line in lines if line.startswith(reference))
    assert "cs.demo" in line and "SLA on track" in line
    assert {b["payload"] for b in listing["buttons"]} >= {
        f'/staff_show_complaint{{"complaint_ref":"{reference}"}}'
    }
    assert slots["staff_pending"] is None


async def test_overdue_queue_puts_the_most_overdue_first(
    file_complaint, staff_says, dispatcher, session
):
    reference = await file_complaint(category="billing")
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    session.execute(
        update(Complaint)
        .where(Complaint.reference == reference)
        .values(first_response_due_at=long_ago, resolution_due_at=long_ago)
    )
    session.commit()
    await staff_says(
        ActionStaffListComplaints(),
        "overdue?",
        intent="staff_list_complaints",
        entities={"queue": "overdue"},
    )
    listing = message(dispatcher, "utter_staff_complaint_list")
    first = listing["lines"].splitlines()[0]
    assert first.startswith(reference) and "SLA breached" in first
    assert listing["queue_label"] == "Overdue complaints"


async def test_an_empty_queue_says_so(backend, staff_says, said, dispatcher):
    # Nobody assigns complaints to compliance.
    await staff_says(
        ActionStaffListComplaints(),
        "my q",
        intent="staff_list_complaints",
        as_user="compliance.demo",
        entities={"queue": "mine"},
    )
    assert said() == ["utter_staff_complaint_list_empty"]
    assert dispatcher.messages[0]["queue_label"] == "Your open complaints"


@pytest.mark.parametrize(
    ("text", "entities", "params", "label"),
    [
        ("overdue?", {"queue": ["overdue"]}, {"queue": "overdue"}, "Overdue complaints"),
        ("my q", {}, {"queue": "mine"}, "Your open complaints"),
        (
            "high priority complaints about delivery",
            {"priority": ["high"], "complaint_category": ["delivery"]},
            {"queue": "open", "priority": "high", "category": "delivery"},
            "Open complaints, high priority, delivery",
        ),
        (
            "escalated complaints",
            {"queue": ["escalated"]},
            {"queue": "open", "escalated": "true"},
            "Open complaints, escalated",
        ),
        (
            "open complaints in billing",
            {},
            {"queue": "open", "category": "billing"},
            "Open complaints, billing",
        ),
        ("show me urgent ones", {}, {"queue": "open", "priority": "urgent"}, None),
        ("resolved refund complaints", {}, {"queue": "all", "status": "resolved"}, None),
        ("my overdue complaints", {}, {"queue": "mine", "limit": 100}, "Your overdue complaints"),
    ],
)
def test_queue_requests_from_what_staff_type(text, entities, params, label):
    request, request_label, _ = queue_request(text, entities)
    assert params.items() <= request.items()
    if label:
        assert request_label == label


# --- one complaint ----------------------------------------------------------------------------


async def test_customer_service_sees_the_full_text_and_timeline(
    file_complaint, staff_says, said, dispatcher, api, headers
):
    reference = await file_complaint()
    await staff_says(
        ActionStaffAddNote(),
        f"note on {reference}: called customer, waiting for photos",
        intent="staff_add_note",
    )
    dispatcher.messages.clear()
    slots = await staff_says(
        ActionStaffShowComplaint(), f"show {reference}", intent="staff_show_complaint"
    )
    assert said() == [
        "utter_staff_complaint_detail",
        "utter_staff_complaint_description",
        "utter_staff_complaint_timeline",
    ]
    detail = message(dispatcher, "utter_staff_complaint_detail")
    assert detail["reference"] == reference and detail["status"] == "new"
    assert detail["assignee"] == "nobody" and detail["sla"] in ("on track", "due soon")
    assert PHONE in message(dispatcher, "utter_staff_complaint_description")["description"]
    timeline = message(dispatcher, "utter_staff_complaint_timeline")["lines"]
    assert "cs.demo" in timeline and "note: called customer, waiting for photos" in timeline
    assert slots["staff_complaint_ref"] == reference
    assert slots["staff_complaint_version"] == (await read(api, headers, reference))["version"]


async def test_sales_sees_the_redacted_text_and_no_notes(
    file_complaint, staff_says, said, dispatcher
):
    reference = await file_complaint()
    await staff_says(
        ActionStaffAddNote(), f"note on {reference}: customer is Mr Chan", intent="staff_add_note"
    )
    dispatcher.messages.clear()
    await staff_says(
        ActionStaffShowComplaint(),
        f"show {reference}",
        intent="staff_show_complaint",
        as_user="sales.demo",
    )
    assert "utter_staff_complaint_description_redacted" in said()
    assert "utter_staff_complaint_description" not in said()
    text = message(dispatcher, "utter_staff_complaint_description_redacted")["description"]
    assert PHONE not in text and "parcel" in text
    assert "Mr Chan" not in message(dispatcher, "utter_staff_complaint_timeline")["lines"]


async def test_unknown_malformed_and_missing_references(backend, staff_says, said, dispatcher):
    await staff_says(
        ActionStaffShowComplaint(), "show CMP-999999999", intent="staff_show_complaint"
    )
    await staff_says(ActionStaffShowComplaint(), "show CMP-12", intent="staff_show_complaint")
    await staff_says(ActionStaffShowComplaint(), "show it", intent="staff_show_complaint")
    assert said() == [
        "utter_staff_complaint_not_found",
        "utter_staff_bad_reference",
        "utter_staff_which_complaint",
    ]
    assert dispatcher.messages[0]["reference"] == "CMP-999999999"
    assert dispatcher.messages[1]["typed"] == "CMP-12"


# --- assigning ----------------------------------------------------------------------------------


async def test_assign_to_a_colleague_and_to_an_unknown_one(
    file_complaint, staff_says, said, dispatcher, api, headers
):
    reference = await file_complaint()
    await staff_says(
        ActionStaffAssignComplaint(),
        f"assign {reference} to cs.supervisor",
        intent="staff_assign_complaint",
        entities={"assignee": "cs.supervisor"},
    )
    await staff_says(
        ActionStaffAssignComplaint(),
        f"give {reference} to nobody.here",
        intent="staff_assign_complaint",
    )
    assert said() == ["utter_staff_assigned", "utter_staff_unknown_assignee"]
    assert dispatcher.messages[0]["assignee"] == "cs.supervisor"
    assert dispatcher.messages[1]["assignee"] == "nobody.here"
    assert (await read(api, headers, reference))["assigned_to"] == "cs.supervisor"


async def test_marketing_may_not_assign_and_sees_nothing(
    file_complaint, staff_says, said, dispatcher
):
    reference = await file_complaint()
    await staff_says(
        ActionStaffAssignComplaint(),
        f"assign {reference} to me",
        intent="staff_assign_complaint",
        as_user="marketing.demo",
    )
    assert said() == ["utter_staff_forbidden"]
    assert not any(PHONE in str(value) for value in dispatcher.messages[0].values())


# --- notes, status, resolving ------------------------------------------------------------------


async def test_a_note_too_long_is_asked_to_be_shortened(file_complaint, staff_says, said):
    reference = await file_complaint()
    await staff_says(
        ActionStaffAddNote(), f"note on {reference}: " + "x" * 4100, intent="staff_add_note"
    )
    assert said() == ["utter_staff_text_too_long"]


async def test_notes_stay_out_of_the_logs(file_complaint, staff_says, said, caplog):
    reference = await file_complaint()
    caplog.set_level(logging.DEBUG)
    await staff_says(
        ActionStaffAddNote(), f"note on {reference}: Ms Wong on {PHONE}", intent="staff_add_note"
    )
    assert said() == ["utter_staff_note_added"]
    assert PHONE not in caplog.text and "Wong" not in caplog.text


async def test_status_changes_and_an_illegal_one(file_complaint, staff_says, said, dispatcher):
    reference = await file_complaint()
    await staff_says(
        ActionStaffChangeStatus(),
        f"acknowledge {reference}",
        intent="staff_change_status",
        entities={"complaint_status_value": "acknowledged"},
    )
    await staff_says(
        ActionStaffChangeStatus(),
        f"mark {reference} waiting for customer: asked for photos",
        intent="staff_change_status",
    )
    await staff_says(
        ActionStaffChangeStatus(), f"acknowledge {reference}", intent="staff_change_status"
    )
    assert said() == [
        "utter_staff_status_changed",
        "utter_staff_status_changed",
        "utter_staff_not_allowed",
    ]
    assert dispatcher.messages[1]["status"] == "waiting for customer"
    assert "cannot acknowledge" in dispatcher.messages[2]["reason"]


async def test_resolve_without_saying_how_asks_then_resolves(
    file_complaint, staff_says, said, dispatcher, api, headers
):
    reference = await file_complaint()
    slots = await staff_says(
        ActionStaffResolveComplaint(), f"resolve {reference}", intent="staff_resolve_complaint"
    )
    assert said() == []  # the form asks (utter_ask_staff_note, worded for a resolution)
    assert slots["staff_pending"] == "resolve" and slots["staff_complaint_ref"] == reference
    slots = await staff_says(
        ActionStaffSubmitUpdate(),
        "refund of HK$300 issued",
        intent="inform",
        slots={**slots, "staff_note": "refund of HK$300 issued"},
    )
    assert said() == ["utter_staff_resolved"]
    assert slots["staff_pending"] is None and slots["staff_note"] is None
    stored = await read(api, headers, reference)
    assert stored["status"] == "resolved" and stored["resolution"] == "refund of HK$300 issued"


async def test_resolve_with_the_text_inline_then_reopen(
    file_complaint, staff_says, said, dispatcher
):
    reference = await file_complaint()
    await staff_says(
        ActionStaffResolveComplaint(),
        f"resolve {reference}: refund of HK$300 issued",
        intent="staff_resolve_complaint",
    )
    await staff_says(
        ActionStaffChangeStatus(),
        f"reopen {reference}: customer says it still leaks",
        intent="staff_reopen_complaint",
    )
    assert said() == ["utter_staff_resolved", "utter_staff_reopened"]
    assert dispatcher.messages[0]["resolution"] == "refund of HK$300 issued"
    assert dispatcher.messages[1]["status"] == "in progress"


async def test_resolving_a_closed_complaint_says_why_not(
    file_complaint, staff_says, said, dispatcher, api, headers
):
    reference = await file_complaint()
    for body in ({"action": "resolve", "resolution": "replaced"}, {"action": "close"}):
        answer = await api.post(
            f"/api/v1/complaints/{reference}/transition",
            json=body,
            headers=headers.staff("cs.supervisor"),
        )
        assert answer.status_code == 200, answer.text
    await staff_says(
        ActionStaffResolveComplaint(),
        f"resolve {reference}: refund issued",
        intent="staff_resolve_complaint",
    )
    assert said() == ["utter_staff_not_allowed"]
    assert dispatcher.messages[0]["reason"] == "cannot resolve a complaint that is closed"


async def test_a_change_made_meanwhile_is_not_overwritten(
    file_complaint, staff_says, said, dispatcher, api, headers
):
    reference = await file_complaint()
    seen = await staff_says(
        ActionStaffShowComplaint(), f"show {reference}", intent="staff_show_complaint"
    )
    answer = await api.post(
        f"/api/v1/complaints/{reference}/transition",
        json={"action": "acknowledge"},
        headers=headers.staff("cs.supervisor"),
    )
    assert answer.status_code == 200, answer.text
    dispatcher.messages.clear()
    slots = await staff_says(
        ActionStaffChangeStatus(),
        f"mark {reference} in progress",
        intent="staff_change_status",
        slots=seen,
    )
    assert said()[:2] == ["utter_staff_stale", "utter_staff_complaint_detail"]
    assert message(dispatcher, "utter_staff_complaint_detail")["status"] == "acknowledged"
    assert slots["staff_complaint_version"] == answer.json()["version"]
    assert (await read(api, headers, reference))["status"] == "acknowledged"


async def test_stop_while_asked_leaves_the_complaint_as_it_was(staff_says, said):
    slots = await staff_says(
        ActionStaffCancelUpdate(),
        "stop",
        intent="stop",
        slots={"staff_complaint_ref": "CMP-000001", "staff_pending": "note"},
    )
    assert said() == ["utter_staff_update_cancelled"] and slots["staff_pending"] is None


# --- who may ask, and the backend being down ---------------------------------------------------


@pytest.mark.parametrize(
    ("action", "text", "intent"),
    [
        (ActionStaffListComplaints(), "my open complaints", "staff_list_complaints"),
        (ActionStaffShowComplaint(), "show CMP-000001", "staff_show_complaint"),
        (ActionStaffAssignComplaint(), "assign CMP-000001 to me", "staff_assign_complaint"),
        (ActionStaffResolveComplaint(), "resolve CMP-000001: done", "staff_resolve_complaint"),
    ],
)
async def test_customers_and_guests_are_told_it_is_for_staff(
    staff_says, said, headers, action, text, intent
):
    await staff_says(action, text, intent=intent, token=headers.customer_token("C000001"))
    await staff_says(action, text, intent=intent, token="")
    assert said() == ["utter_staff_only", "utter_staff_only"]


async def test_an_expired_or_forged_staff_token_asks_to_sign_in_again(backend, staff_says, said):
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJraW5kIjoic3RhZmYifQ.c2lnbmF0dXJl"
    await staff_says(
        ActionStaffListComplaints(), "overdue?", intent="staff_list_complaints", token=forged
    )
    assert said() == ["utter_staff_sign_in_expired"]


async def test_backend_down_says_try_again(backend_down, staff_says, said):
    await staff_says(ActionStaffListComplaints(), "my q", intent="staff_list_complaints")
    await staff_says(ActionStaffAddNote(), "note on CMP-000123: called", intent="staff_add_note")
    assert said() == ["utter_staff_backend_down", "utter_staff_backend_down"]


# --- reading what staff type --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference", "malformed"),
    [
        ("show CMP-000123", "CMP-000123", None),
        ("show cmp 000123 pls", "CMP-000123", None),
        ('/staff_show_complaint{"complaint_ref":"CMP-0001234"}', "CMP-0001234", None),
        ("show CMP-12", None, "CMP-12"),
        ("show cmp-0001234567890", None, "cmp-0001234567890"),
        ("my q", None, None),
    ],
)
def test_references(text, reference, malformed):
    assert reference_in(text) == reference
    assert malformed_reference_in(text) == malformed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("note on CMP-000123: called customer, waiting", "called customer, waiting"),
        ("resolve CMP-000123: refund of HK$300 issued", "refund of HK$300 issued"),
        ("CMP-000123 note: customer prefers email", "customer prefers email"),
        ("resolve CMP-000123 - exchanged at tst shop", "exchanged at tst shop"),
        ("resolve CMP-000123 with refund to original card", "refund to original card"),
        ("resolve it: apology call done", "apology call done"),
        ("resolve CMP-000123", None),
        ("mark CMP-000123 resolved", None),
        ("resolve CMP-000123 please", None),
        ("add a note on CMP-000123", None),
        ("add note", None),
        ("resolve CMP-000123 the customer accepted a voucher", "the customer accepted a voucher"),
        ("note on CMP-000123 called customer: no answer", "called customer: no answer"),
        ("resolve CMP-000123 re-delivered today", "re-delivered today"),
        ("CMP-000123 done - refund processed", "refund processed"),
        ("note on CMP-000123:", None),
    ],
)  # fmt: skip
def test_free_text_after_the_reference(text, expected):
    assert free_text(text) == expected


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("assign CMP-000123 to me", "me", None),
        ("assign CMP-000123 to cs.supervisor", None, "cs.supervisor"),
        ("give CMP-000123 to the CS.Supervisor.", None, "cs.supervisor"),
        ("take CMP-000123", None, None),
        ("assign CMP-000123 to myself", None, None),
        ("put CMP-000123 under lam.sy", "lam.sy", "lam.sy"),
    ],
)
def test_assignees(text, entity, expected):
    assert assignee_in(text, entity) == expected


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("mark CMP-000123 in progress", "in_progress", "start"),
        ("CMP-000123 waiting for customer", None, "await_customer"),
        ("ack CMP-000123", None, "acknowledge"),
        ("close CMP-000123", None, "close"),
        ("mark CMP-000123 in progress: closed the loop with the shop", None, "start"),
        ("mark CMP-000123 resolved", None, "resolve"),
        ("do something to CMP-000123", None, None),
    ],
)
def test_status_actions(text, entity, expected):
    assert status_action_in(text, entity) == expected


def test_a_note_after_a_status_change():
    assert text_after_colon("mark CMP-000123 in progress: photos came") == "photos came"
    assert text_after_colon("mark CMP-000123 in progress") is None
