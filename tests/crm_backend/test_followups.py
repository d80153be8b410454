"""The workflows that run by themselves: SLA escalation, satisfaction follow-ups pushed into
the chat or queued to the outbox, recovery for unhappy customers, and `crm followups run`.

These tests run the workflows "as of" chosen moments over a database of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from complaint_helpers import API, file_guest_complaint, resolve, staff_post
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from crm_backend.cli import app as cli_app
from crm_backend.config import get_settings
from crm_backend.models import CallbackRequest, Complaint, OutboxMessage
from crm_backend.services.followup_policy import load_followup_policy
from crm_backend.services.followups import run_followups
from crm_backend.services.tokens import decode_token

POLICY = load_followup_policy()


@dataclass
class RecordingPusher:
    """Stands in for Rasa's HTTP API (another process); the end-to-end test uses the real one."""

    accept: bool = True
    pushed: list[tuple[str, str, str]] = field(default_factory=list)

    def push_followup(self, conversation_id: str, complaint_ref: str, followup_token: str) -> bool:
        self.pushed.append((conversation_id, complaint_ref, followup_token))
        return self.accept


@pytest.fixture
def client(own_stack) -> Iterator[TestClient]:
    with TestClient(own_stack.app) as test_client:
        yield test_client


@pytest.fixture
def headers(own_stack):
    return own_stack.headers


@pytest.fixture
def session(own_stack):
    with own_stack.app.state.session_factory() as db_session:
        yield db_session


def run(own_stack, now, pusher=None):
    return run_followups(
        session_factory=own_stack.app.state.session_factory,
        settings=own_stack.settings,
        now=now,
        pusher=pusher,
    )


def complaint(session, reference: str) -> Complaint:
    session.rollback()  # end the read transaction: on SQLite it would keep an old snapshot
    return session.scalar(select(Complaint).where(Complaint.reference == reference))


def outbox(session, reference: str, kind: str) -> list[OutboxMessage]:
    session.rollback()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == kind,
                OutboxMessage.payload["complaint_ref"].as_string() == reference,
            )
            .order_by(OutboxMessage.id)
        )
    )


def test_sla_breaches_escalate_once_each_and_notify_the_supervisor(
    own_stack, client, headers, session
):
    filed = file_guest_complaint(client, headers)  # medium: 24 h first response, 120 h resolution
    ref = filed["reference"]
    created = complaint(session, ref).created_at

    before = run(own_stack, created + timedelta(hours=23))
    assert complaint(session, ref).escalation_level == 0
    assert before.first_response_escalations == 0

    run(own_stack, created + timedelta(hours=25))
    run(own_stack, created + timedelta(hours=26))  # the same breach is not escalated twice
    stored = complaint(session, ref)
    assert stored.escalation_level == 1 and stored.first_response_breach_at is not None
    notices = outbox(session, ref, "escalation_notice")
    assert [n.recipient for n in notices] == ["staff:cs.supervisor"]
    assert "first response" in notices[0].body and "leaks" not in notices[0].body

    run(own_stack, created + timedelta(hours=121))
    assert complaint(session, ref).escalation_level == 2
    view = client.get(f"{API}/{ref}", headers=headers.staff("cs.demo")).json()
    assert view["escalated"] is True and view["escalation_level"] == 2
    assert [e["event_type"] for e in view["events"]].count("escalated") == 2


def test_followup_is_pushed_into_the_conversation_and_the_answer_reopens(
    own_stack, client, headers, session
):
    filed = file_guest_complaint(client, headers, category="billing")  # billing: high priority
    ref, conversation = filed["reference"], None
    resolved = complaint(
        session, resolve(client, headers, ref, "refund of HK$300 issued")["reference"]
    )
    conversation = resolved.conversation_id
    due = resolved.followup_due_at
    assert due == resolved.resolved_at + POLICY.followup_delay

    pusher = RecordingPusher()
    run(own_stack, due - timedelta(minutes=1), pusher)
    assert pusher.pushed == []
    summary = run(own_stack, due, pusher)
    assert summary.followups_to_chat >= 1 and summary.chat_pushed >= 1
    pushed = [p for p in pusher.pushed if p[1] == ref]
    assert len(pushed) == 1 and pushed[0][0] == conversation
    token = pushed[0][2]
    assert decode_token(own_stack.settings, token).subject == ref
    [chat_message] = outbox(session, ref, "satisfaction_followup")
    assert chat_message.channel == "chat" and chat_message.status == "sent"

    run(own_stack, due + timedelta(hours=1), pusher)  # nothing is sent twice
    assert len([p for p in pusher.pushed if p[1] == ref]) == 1

    bearer = {"Authorization": f"Bearer {token}"}
    for bad in ({"rating": "seven"}, {"rating": 7}, {"rating": 0}, {"rating": "2"}, {}):
        refused = client.post(f"{API}/{ref}/satisfaction", json=bad, headers=bearer)
        assert refused.status_code == 422, bad
        assert refused.json()["detail"][0]["loc"][-1] == "rating"
    answer = client.post(f"{API}/{ref}/satisfaction", json={"rating": 2}, headers=bearer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["outcome"] == "reopened"
    assert result["recovery_offer"] == "priority_callback"
    assert result["callback_expected_by_local"]
    assert result["complaint"]["status"] == "in_progress"
    assert result["complaint"]["escalated"] is True and result["complaint"]["csat_score"] == 2

    replay = client.post(f"{API}/{ref}/satisfaction", json={"rating": 5}, headers=bearer)
    assert replay.status_code == 409
    stored = complaint(session, ref)
    assert stored.csat_score == 2 and stored.status == "in_progress"
    callback = session.scalar(
        select(CallbackRequest).where(CallbackRequest.complaint_id == stored.id)
    )
    assert callback.context["reason"] == "recovery" and callback.contact_value == "+85291234567"
    assert any(
        "rated" in n.subject or "Unhappy" in n.subject
        for n in outbox(session, ref, "escalation_notice")
    )
    # The follow-up token acts on its own complaint only.
    other = file_guest_complaint(client, headers)["reference"]
    assert client.get(f"{API}/{other}", headers=bearer).status_code == 404
    assert client.get(f"{API}/{ref}", headers=bearer).status_code == 200


def test_happy_rating_closes(own_stack, client, headers, session):
    ref = file_guest_complaint(client, headers)["reference"]
    resolved = complaint(session, resolve(client, headers, ref)["reference"])
    pusher = RecordingPusher()
    run(own_stack, resolved.followup_due_at, pusher)
    token = next(p[2] for p in pusher.pushed if p[1] == ref)
    answer = client.post(
        f"{API}/{ref}/satisfaction",
        json={"rating": 5, "comment": "quick refund, thanks"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert answer["outcome"] == "closed" and answer["recovery_offer"] is None
    assert complaint(session, ref).status == "closed"


def test_push_that_fails_falls_back_to_the_contact_and_no_conversation_goes_to_outbox(
    own_stack, client, headers, session
):
    chat_ref = file_guest_complaint(client, headers)["reference"]
    mail_ref = file_guest_complaint(
        client, headers, conversation_id=None, contact_method="email",
        contact_value="kwok.ling@example.com",
    )["reference"]  # fmt: skip
    for ref in (chat_ref, mail_ref):
        resolve(client, headers, ref)
    due = max(complaint(session, r).followup_due_at for r in (chat_ref, mail_ref))
    pusher = RecordingPusher(accept=False)
    run(own_stack, due, pusher)

    chat = outbox(session, chat_ref, "satisfaction_followup")
    assert [(m.channel, m.status) for m in chat] == [("chat", "failed"), ("sms", "pending")]
    [mail] = outbox(session, mail_ref, "satisfaction_followup")
    assert mail.channel == "email" and mail.recipient == "kwok.ling@example.com"
    assert mail_ref in mail.body and "1" in mail.body
    assert "eyJ" not in mail.body and "eyJ" not in chat[1].body  # no token in a message
    assert complaint(session, mail_ref).followup_sent_at is not None


def test_unanswered_followup_closes_after_the_window(own_stack, client, headers, session):
    ref = file_guest_complaint(client, headers)["reference"]
    resolved = complaint(session, resolve(client, headers, ref)["reference"])
    run(own_stack, resolved.followup_due_at, RecordingPusher())
    sent = complaint(session, ref).followup_sent_at
    run(own_stack, sent + POLICY.answer_window - timedelta(minutes=1))
    assert complaint(session, ref).status == "resolved"
    run(own_stack, sent + POLICY.answer_window + timedelta(minutes=1))
    stored = complaint(session, ref)
    assert stored.status == "closed"
    assert stored.events[-1].note == "no answer to the satisfaction follow-up"


def test_complainant_adds_information_and_withdraws_other_customers_cannot(
    own_stack, client, headers, session
):
    from crm_backend.models import Customer

    owner, stranger = session.scalars(select(Customer).order_by(Customer.id).limit(2)).all()
    filed = client.post(
        API,
        json={"description": "The fridge door seal is torn", "category": "product_quality",
              "contact_method": "phone", "contact_value": "6123 4567"},
        headers=headers.customer(owner.customer_no),
    ).json()  # fmt: skip
    ref = filed["reference"]
    info = {"text": "Photos: the seal is torn at the bottom left corner"}
    stranger_headers = headers.customer(stranger.customer_no)
    assert (
        client.post(f"{API}/{ref}/information", json=info, headers=stranger_headers).status_code
        == 404
    )
    assert (
        client.post(f"{API}/{ref}/withdraw", json={}, headers=stranger_headers).status_code == 404
    )
    assert client.get(f"{API}/{ref}", headers=stranger_headers).status_code == 404

    owner_headers = headers.customer(owner.customer_no)
    staff_post(client, headers, "cs.demo", ref, "transition", {"action": "start"})
    staff_post(client, headers, "cs.demo", ref, "transition", {"action": "await_customer"})
    staff_post(client, headers, "cs.demo", ref, "notes", {"note": "internal: customer is VIP"})
    added = client.post(f"{API}/{ref}/information", json=info, headers=owner_headers).json()
    assert added["status"] == "in_progress"  # we were waiting for them
    notes = [e["note"] for e in added["events"]]
    assert info["text"] in notes and "internal: customer is VIP" not in notes
    assert (
        client.post(
            f"{API}/{ref}/information", json={"text": "hi"}, headers=owner_headers
        ).status_code
        == 422
    )
    withdrawn = client.post(
        f"{API}/{ref}/withdraw", json={"reason": "sorted in store"}, headers=owner_headers
    )
    assert withdrawn.json()["status"] == "closed"
    assert withdrawn.json()["events"][-1]["event_type"] == "withdrawn"
    again = client.post(f"{API}/{ref}/withdraw", json={}, headers=owner_headers)
    assert again.status_code == 409
    listed = client.get(API, headers=owner_headers).json()["items"]
    assert ref in [i["reference"] for i in listed]
    assert client.get(API, headers=stranger_headers).json()["items"] == [] or ref not in [
        i["reference"] for i in client.get(API, headers=stranger_headers).json()["items"]
    ]


def test_cli_followups_run_as_of(own_stack, client, headers, session, monkeypatch, tmp_path):
    ref = file_guest_complaint(client, headers)["reference"]
    due = complaint(session, resolve(client, headers, ref)["reference"]).followup_due_at
    monkeypatch.setenv("CRM_DATABASE_URL", own_stack.database.url)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        bad = runner.invoke(cli_app, ["followups", "run", "--as-of", "next tuesday"])
        assert bad.exit_code == 2 and "--as-of" in bad.output
        done = runner.invoke(
            cli_app, ["followups", "run", "--no-push", "--as-of", due.isoformat()],
            catch_exceptions=False,
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["as_of"] == due.isoformat() and summary["followups_to_chat"] >= 1
    assert complaint(session, ref).followup_sent_at == due


def test_backend_runs_the_workflows_by_itself(own_stack, client, headers, session):
    """The periodic task's unit of work, with Rasa unreachable: nothing crashes, and the
    follow-up falls back to the complaint's contact."""
    from crm_backend.periodic import run_once

    own_stack.settings.rasa_url = "http://127.0.0.1:9"  # nothing listens there
    ref = file_guest_complaint(client, headers)["reference"]
    stored = complaint(session, resolve(client, headers, ref)["reference"])
    stored.followup_due_at = stored.resolved_at  # due now
    session.commit()
    summary = run_once(own_stack.app)
    assert summary.chat_push_failed >= 1
    channels = [m.channel for m in outbox(session, ref, "satisfaction_followup")]
    assert channels == ["chat", "sms"]


def test_two_runners_never_push_one_followup_twice(own_stack, client, headers, session):
    """While one runner is pushing, a second one starts: it finds the message claimed."""
    ref = file_guest_complaint(client, headers)["reference"]
    due = complaint(session, resolve(client, headers, ref)["reference"]).followup_due_at
    second = RecordingPusher()

    @dataclass
    class PushThenRunAgain(RecordingPusher):
        def push_followup(self, conversation_id, complaint_ref, followup_token):
            run(own_stack, due, second)
            return super().push_followup(conversation_id, complaint_ref, followup_token)

    first = PushThenRunAgain()
    run(own_stack, due, first)
    assert [p[1] for p in first.pushed].count(ref) == 1
    assert ref not in [p[1] for p in second.pushed]
