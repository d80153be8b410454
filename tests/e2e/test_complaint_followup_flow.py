"""The complaint lifecycle across the real processes: a customer files over socket.io, a staff
member resolves it in the staff chat, `crm followups run --as-of` later pushes the
satisfaction question into the customer's open conversation, an unhappy answer reopens and
escalates the complaint."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_backend.config import Settings
from crm_backend.models import Complaint
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.tokens import Principal, issue_token

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"CMP-\d{6}")


def _staff_token(stack, username: str, department: Department) -> str:
    settings = Settings(var_dir=stack.config.var_dir, database_url=stack.database_url)
    principal = Principal(
        kind="staff", subject=username, department=department, role=StaffRole.AGENT
    )
    return issue_token(settings, principal)[0]


def test_filed_resolved_followed_up_unhappy_reopened(running_stack):
    customer = running_stack.socket_chat()
    try:
        customer.texts("I want to make a complaint")
        customer.texts("The courier threw my parcel over the gate and the vase inside broke")
        customer.texts('/inform{"complaint_category":"delivery"}')
        customer.texts("/deny")
        assert "Shall I file it?" in customer.texts("6123 4567")
        reference = REFERENCE.search(customer.texts("yes")).group(0)

        staff = running_stack.conversation(
            token=_staff_token(running_stack, "cs.demo", Department.CUSTOMER_SERVICE)
        )
        resolved_reply = staff.texts(f"resolve {reference}: replacement vase sent by courier")
        assert reference in resolved_reply
        with running_stack.session() as session:
            complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
            assert complaint.status == "resolved"
            assert complaint.conversation_id == customer.session_id
            due = complaint.followup_due_at

        early = running_stack.run_followups((due - timedelta(minutes=5)).isoformat())
        assert early["followups_to_chat"] == 0
        summary = running_stack.run_followups((due + timedelta(minutes=1)).isoformat())
        assert summary["chat_pushed"] >= 1, summary

        # The question arrives in the open page without the customer typing anything.
        question = customer.wait_for(lambda m: reference in m.get("text", ""))
        assert "1 (very unhappy)" in question["text"]
        buttons = question.get("quick_replies") or question.get("buttons") or []
        assert [b["title"] for b in buttons][:5] == ["1", "2", "3", "4", "5"]

        assert "number from 1" in customer.texts("meh")  # not a rating: asked again
        answer = customer.texts("2")
        assert "reopened" in answer and reference in answer and "What happens next" in answer

        with running_stack.session() as session:
            complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
            assert complaint.status == "in_progress"
            assert complaint.csat_score == 2
            assert complaint.escalation_level >= 1
            assert complaint.recovery_offer
            kinds = [event.event_type for event in complaint.events]
            assert kinds[-4:] == ["csat_recorded", "reopened", "escalated", "recovery_offered"]
            assert "followup_sent" in kinds and "resolved" in kinds
    finally:
        customer.close()
