"""Staff console: compliance lists the open data-subject requests with their due dates;
other departments are told they may not, and see none."""

from __future__ import annotations

import uuid

import pytest

from actions.staff_data_requests import ActionStaffListDataRequests, due_label
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.tokens import Principal, issue_token


def _staff(settings, username: str, department: Department) -> str:
    principal = Principal(
        kind="staff", subject=username, department=department, role=StaffRole.AGENT
    )
    return issue_token(settings, principal)[0]


async def _guest_request(backend) -> str:
    created = await backend.create_data_request(
        {
            "kind": "access",
            "channel": "chat",
            "conversation_id": f"conv-{uuid.uuid4().hex}",
            "contact_value": f"dsar.{uuid.uuid4().hex[:8]}@example.com",
        },
        user_token=None,
    )
    return str(created["reference"])


async def test_compliance_sees_open_requests_soonest_due_first(
    backend, settings, tracker_factory, dispatcher, domain
):
    reference = await _guest_request(backend)
    tracker = tracker_factory(
        text="open data requests",
        intent="staff_list_data_requests",
        token=_staff(settings, "compliance.demo", Department.COMPLIANCE),
        active_loop=None,
    )
    await ActionStaffListDataRequests().run(dispatcher, tracker, domain)
    [answer] = dispatcher.messages
    assert answer["response"] == "utter_staff_data_requests"
    assert answer["count"] >= 1 and answer["overdue"] == 0
    assert reference in answer["lines"]
    line = next(line for line in answer["lines"].splitlines() if reference in line)
    assert "40 days left" in line and "copy of data" in line
    assert "identity to check" in line  # a guest's request: not verified
    assert "@example.com" not in str(answer)  # the contact stays in the backend


@pytest.mark.parametrize("department", [Department.SALES, Department.MARKETING])
async def test_other_departments_are_told_they_may_not(
    backend, settings, tracker_factory, dispatcher, domain, department
):
    await _guest_request(backend)
    tracker = tracker_factory(
        text="open data requests",
        intent="staff_list_data_requests",
        token=_staff(settings, f"{department.value}.demo", department),
        active_loop=None,
    )
    await ActionStaffListDataRequests().run(dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_staff_forbidden"]


async def test_a_customer_token_gets_the_staff_only_answer(
    backend, headers, session, tracker_factory, dispatcher, domain
):
    from sqlalchemy import select

    from crm_backend.models import Customer

    customer = session.scalars(select(Customer)).first()
    tracker = tracker_factory(
        text="open data requests",
        intent="staff_list_data_requests",
        token=headers.customer_token(customer.customer_no),
        active_loop=None,
    )
    await ActionStaffListDataRequests().run(dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_staff_only"]


@pytest.mark.parametrize(
    ("days", "label"),
    [(40, "40 days left"), (1, "1 day left"), (0, "0 days left"), (-1, "overdue by 1 day"),
     (-3, "overdue by 3 days"), (None, "")],
)  # fmt: skip
def test_due_labels(days, label):
    assert due_label({"days_left": days}) == label
