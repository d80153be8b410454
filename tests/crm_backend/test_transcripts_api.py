"""The transcript ingest and read: Rasa events in, scrubbed entries out, on SQLite and
PostgreSQL. Every personal value below is made up."""

from __future__ import annotations

import copy
import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from crm_backend.models import AuditLogEntry, TranscriptEntry
from crm_backend.privacy.recognizers.hkid import hkid_check_digit

API = "/api/v1/conversations"
EMAIL = "siuming.w@example.net"
PHONE = "6123 4587"
HKID = f"K384721({hkid_check_digit('K384721')})"
NAME = "Wong Siu Ming"
PERSONAL = (EMAIL, PHONE, "61234587", HKID, "K384721", NAME)


def _sender() -> str:
    return uuid.uuid4().hex


def conversation(sender: str, token: str, start: float | None = None) -> list[dict]:
    """Events as Rasa's tracker store hands them to a broker, full of personal data."""
    t = start or time.time()
    meta = {"token": token}
    user_text = f"Hi, I'm {NAME}, HKID {HKID}, email {EMAIL}, call me on {PHONE}"
    return [
        {"sender_id": sender, "event": "action", "timestamp": t, "name": "action_session_start",
         "policy": None, "confidence": 1.0, "metadata": meta},
        {"sender_id": sender, "event": "session_started", "timestamp": t + 0.001,
         "metadata": meta},
        {"sender_id": sender, "event": "action", "timestamp": t + 0.002, "name": "action_listen",
         "metadata": meta},
        {"sender_id": sender, "event": "user", "timestamp": t + 1, "text": user_text,
         "metadata": meta, "input_channel": "socketio", "message_id": uuid.uuid4().hex,
         "parse_data": {"intent": {"name": "file_complaint", "confidence": 0.93},
                        "entities": [{"entity": "email", "value": EMAIL}],
                        "text": user_text, "metadata": meta,
                        "intent_ranking": [{"name": "file_complaint", "confidence": 0.93}]}},
        {"sender_id": sender, "event": "user_featurization", "timestamp": t + 1.001,
         "use_text_for_featurization": False, "metadata": meta},
        {"sender_id": sender, "event": "active_loop", "timestamp": t + 1.1,
         "name": "complaint_form", "metadata": meta},
        {"sender_id": sender, "event": "slot", "timestamp": t + 1.2, "name": "contact",
         "value": EMAIL, "metadata": meta},
        {"sender_id": sender, "event": "slot", "timestamp": t + 1.3, "name": "verified_token",
         "value": token},
        {"sender_id": sender, "event": "slot", "timestamp": t + 1.4,
         "name": "complaint_description", "value": f"Kettle leaks, phone me on {PHONE}"},
        {"sender_id": sender, "event": "slot", "timestamp": t + 1.5, "name": "complaint_ref",
         "value": "CMP-000123"},
        {"sender_id": sender, "event": "slot", "timestamp": t + 1.6, "name": "staff_pending",
         "value": {"note": f"ring {PHONE}", "refs": ["ORD-00012345"], "count": 2}},
        # Rasa's copy of the metadata the session started with
        {"sender_id": sender, "event": "slot", "timestamp": t + 1.7,
         "name": "session_started_metadata", "value": meta},
        {"sender_id": sender, "event": "bot", "timestamp": t + 2,
         "text": f"Thanks, we will write to {EMAIL} about order ORD-00012345.",
         "data": {"buttons": [{"title": EMAIL, "payload": "/affirm"}]},
         "metadata": {"utter_action": "utter_complaint_filed", "token": token}},
    ]  # fmt: skip


def _send(client, body, headers: dict[str, str]):
    """As the broker sends it: JSON with non-ASCII escaped (so even a lone surrogate goes)."""
    return client.post(
        f"{API}/events",
        content=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )


def _post(client, headers, events):
    return _send(client, {"events": events}, headers.service())


def _rows(session, sender: str) -> list[TranscriptEntry]:
    session.rollback()  # see what the requests committed
    return list(
        session.scalars(
            select(TranscriptEntry)
            .where(TranscriptEntry.sender_id == sender)
            .order_by(TranscriptEntry.occurred_at, TranscriptEntry.id)
        )
    )


def _stored_text(rows: list[TranscriptEntry]) -> str:
    return json.dumps(
        [[r.event_key, r.sender_id, r.event_type, r.name, r.text, r.value] for r in rows],
        ensure_ascii=False,
    )


def test_ingest_keeps_a_scrubbed_transcript_and_never_the_token(client, headers, session):
    sender = _sender()
    token = headers.customer_token("C000001")
    response = _post(client, headers, conversation(sender, token))
    assert response.status_code == 200, response.text
    # action_listen and user_featurization are not part of a transcript
    assert response.json() == {"received": 13, "stored": 11, "duplicates": 0, "skipped": 2}

    rows = _rows(session, sender)
    stored = _stored_text(rows)
    for value in (*PERSONAL, token, token.split(".")[1], '"token"'):
        assert value not in stored
    by_type = [(r.event_type, r.name) for r in rows]
    assert by_type[:3] == [
        ("action", "action_session_start"),
        ("session_started", None),
        ("user", "file_complaint"),
    ]
    user = rows[2]
    assert "<EMAIL_ADDRESS>" in user.text and "<HKID>" in user.text
    assert "<PHONE_NUMBER>" in user.text and user.value is None
    slots = {r.name: r for r in rows if r.event_type == "slot"}
    assert slots["contact"].value is None and slots["contact"].value_withheld
    for withheld in ("verified_token", "session_started_metadata"):
        assert slots[withheld].value is None and slots[withheld].value_withheld
    assert (
        json.loads(slots["complaint_description"].value)
        == "Kettle leaks, phone me on <PHONE_NUMBER>"
    )
    assert json.loads(slots["complaint_ref"].value) == "CMP-000123"  # references survive
    assert json.loads(slots["staff_pending"].value) == {
        "note": "ring <PHONE_NUMBER>", "refs": ["ORD-00012345"], "count": 2,
    }  # fmt: skip
    bot = rows[-1]
    assert bot.event_type == "bot" and bot.name == "utter_complaint_filed"
    assert bot.text == "Thanks, we will write to <EMAIL_ADDRESS> about order ORD-00012345."
    assert [r.occurred_at for r in rows] == sorted(r.occurred_at for r in rows)


def test_a_replayed_batch_is_stored_once(client, headers, session):
    sender = _sender()
    events = conversation(sender, headers.customer_token("C000002"))
    first = _post(client, headers, events).json()
    # delivered again, partly overlapping, with an event repeated inside one batch
    again = _post(client, headers, events[3:] + events[3:5]).json()
    assert first["stored"] == 11
    assert again["stored"] == 0 and again["duplicates"] == 10 and again["received"] == 12
    assert len(_rows(session, sender)) == 11
    # an event that differs in anything (here the text) is a new event
    changed = copy.deepcopy(events[3])
    changed["text"] = "one more thing"
    assert _post(client, headers, [changed]).json()["stored"] == 1
    assert len(_rows(session, sender)) == 12


def test_the_answer_to_a_question_for_a_personal_value_is_withheld_whole(client, headers, session):
    """A bare new name is nothing the scrubber can recognise: what the form asked for
    decides, also when the question and the answer arrive in different batches."""
    sender, t = _sender(), time.time()
    bare_name = "Quillon Vexbridge"  # made up; not a name the scrubber knows

    def slot(at: float, name: str, value: object) -> dict:
        return {"sender_id": sender, "event": "slot", "timestamp": t + at, "name": name,
                "value": value}  # fmt: skip

    def user(at: float, text: str) -> dict:
        return {"sender_id": sender, "event": "user", "timestamp": t + at, "text": text,
                "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}}  # fmt: skip

    asked = [slot(1, "requested_slot", "profile_field"), user(2, "my name"),
             slot(3, "requested_slot", "profile_value")]  # fmt: skip
    assert _post(client, headers, asked).status_code == 200
    answered = [user(4, bare_name), slot(5, "requested_slot", "profile_consent"),
                user(6, "yes please"), slot(7, "requested_slot", None),
                user(8, "thanks, bye")]  # fmt: skip
    assert _post(client, headers, answered).status_code == 200
    users = [r.text for r in _rows(session, sender) if r.event_type == "user"]
    assert users == ["my name", "<ANSWER WITHHELD>", "yes please", "thanks, bye"]
    assert "Vexbridge" not in _stored_text(_rows(session, sender))


def test_long_and_odd_text_is_cut_and_scrubbed(client, headers, session):
    sender = _sender()
    long_text = ("words " * 3000) + f" mail {EMAIL}"  # the e-mail lies past the cut
    events = [
        {"sender_id": sender, "event": "user", "timestamp": time.time(), "text": long_text},
        {"sender_id": sender, "event": "user", "timestamp": time.time() + 1,
         "text": f"混合 text 我的電郵 {EMAIL} 電話 {PHONE}"},
        {"sender_id": sender, "event": "user", "timestamp": time.time() + 2, "text": ""},
        {"sender_id": sender, "event": "bot", "timestamp": time.time() + 3, "text": None},
        {"sender_id": sender, "event": "user", "timestamp": time.time() + 4,
         "text": "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDMDAwMDAxIn0.c2lnbmF0dXJlLXZhbHVl"},
        {"sender_id": sender, "event": "user", "timestamp": time.time() + 5,
         "text": "bin\x00ary \ud800 garbage \x01\x7f"},
        {"sender_id": sender, "event": "slot", "timestamp": time.time() + 6,
         "name": "order_damaged", "value": {"n": 61234587, "ok": True, "k\x00": 3}},
        {"sender_id": sender, "event": "bot", "timestamp": time.time() + 7,
         "text": "Download: http://h/r.csv?expires=9&signature=0123abcd&x=1"},
    ]  # fmt: skip
    assert _post(client, headers, events).json()["stored"] == 8
    rows = _rows(session, sender)
    assert len(rows[0].text) <= 10_000
    assert EMAIL not in _stored_text(rows) and PHONE not in _stored_text(rows)
    assert rows[1].text.startswith("混合 text")
    assert rows[2].text is None and rows[3].text is None
    assert rows[4].text == "token <TOKEN>"
    assert rows[5].text == "bin\ufffdary \ufffd garbage \x01\x7f"  # stored on PostgreSQL too
    assert json.loads(rows[6].value) == {"n": "<PHONE_NUMBER>", "ok": True, "k\ufffd": 3}
    assert rows[7].text == "Download: http://h/r.csv?expires=9&signature=<TOKEN>&x=1"


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"events": [{"event": "user", "timestamp": 1.0}]}, ["body", "events", 0, "sender_id"]),
        ({"events": [{"sender_id": "s", "event": "user", "timestamp": "yesterday"}]},
         ["body", "events", 0, "timestamp"]),
        ({"events": [{"sender_id": "s", "event": "user", "timestamp": 1.0, "text": 12}]},
         ["body", "events", 0, "text"]),
        ({"events": [{"sender_id": "s", "event": "USER EVENT", "timestamp": 1.0}]},
         ["body", "events", 0, "event"]),
        ({"events": [{"sender_id": "s", "event": "user", "timestamp": 1e300}]},
         ["body", "events", 0, "timestamp"]),
        ({"events": [{"sender_id": "x" * 129, "event": "user", "timestamp": 1.0}]},
         ["body", "events", 0, "sender_id"]),
        ({"events": [{"sender_id": "s\ud800", "event": "user", "timestamp": 1.0}]},
         ["body", "events", 0, "sender_id"]),
        ({"events": [{"sender_id": "s", "event": "slot", "timestamp": 1.0, "name": "a\x00"}]},
         ["body", "events", 0, "name"]),
        ({"events": []}, ["body", "events"]),
        ({"events": "user said hi"}, ["body", "events"]),
        ({"events": [{"sender_id": "s", "event": "user", "timestamp": 1.0}], "x": 1},
         ["body", "x"]),
        ({}, ["body", "events"]),
    ],
)  # fmt: skip
def test_malformed_batches_are_422_naming_the_field(client, headers, session, body, location):
    body = json.loads(json.dumps(body).replace('"s"', f'"{EMAIL}"'))
    response = _send(client, body, headers.service())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == location
    assert EMAIL not in response.text  # the input is not echoed back
    session.rollback()
    assert not session.scalar(
        select(func.count()).select_from(TranscriptEntry).where(TranscriptEntry.sender_id == EMAIL)
    )


def test_ingest_needs_the_service_token(client, headers):
    events = conversation(_sender(), "t.t.t")[:2]
    assert client.post(f"{API}/events", json={"events": events}).status_code == 401
    wrong = {"X-Service-Token": "not-the-token"}
    assert client.post(f"{API}/events", json={"events": events}, headers=wrong).status_code == 401
    for staff in (headers.staff("cs.demo"), headers.customer("C000001")):
        assert (
            client.post(f"{API}/events", json={"events": events}, headers=staff).status_code == 401
        )
    # unauthenticated and malformed: still 401, the schema is not revealed
    assert client.post(f"{API}/events", json={"events": 1}).status_code == 401


def _ingested(client, headers) -> str:
    sender = _sender()
    assert _post(client, headers, conversation(sender, "a.b.c")).status_code == 200
    return sender


@pytest.mark.parametrize(
    ("username", "purpose"),
    [("cs.demo", "complaint_handling"), ("compliance.demo", "compliance_review")],
)
def test_customer_service_and_compliance_read_it_and_the_read_is_audited(
    client, headers, session, username, purpose
):
    sender = _ingested(client, headers)
    response = client.get(f"{API}/{sender}/transcript", headers=headers.staff(username))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sender_id"] == sender and body["total"] == 11 and not body["truncated"]
    assert [e["event_type"] for e in body["entries"]][:3] == ["action", "session_started", "user"]
    assert EMAIL not in response.text and PHONE not in response.text
    contact = next(e for e in body["entries"] if e["name"] == "contact")
    assert contact["value"] is None and contact["value_withheld"] is True
    session.rollback()
    entry = session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "transcript", AuditLogEntry.record_id == sender)
        .order_by(AuditLogEntry.id.desc())
    ).first()
    assert entry is not None
    assert (entry.actor_id, entry.action, entry.purpose) == (username, "read", purpose)


@pytest.mark.parametrize("username", ["sales.demo", "marketing.demo", "management.demo"])
def test_other_departments_may_not_read_transcripts(client, headers, session, username):
    sender = _ingested(client, headers)
    response = client.get(f"{API}/{sender}/transcript", headers=headers.staff(username))
    assert response.status_code == 403
    session.rollback()
    assert not session.scalar(
        select(func.count())
        .select_from(AuditLogEntry)
        .where(AuditLogEntry.record_type == "transcript", AuditLogEntry.record_id == sender)
    )


def test_customers_bots_and_strangers_may_not_read_transcripts(client, headers):
    sender = _ingested(client, headers)
    url = f"{API}/{sender}/transcript"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=headers.service()).status_code == 401
    assert client.get(url, headers=headers.customer("C000001")).status_code == 403


def test_an_unknown_conversation_is_404(client, headers):
    response = client.get(f"{API}/{_sender()}/transcript", headers=headers.staff("cs.demo"))
    assert response.status_code == 404


def test_the_complaint_view_links_its_transcript_for_departments_that_may_read_it(client, headers):
    sender = _ingested(client, headers)
    filed = client.post(
        "/api/v1/complaints",
        json={"description": "The kettle leaks from the bottom.", "category": "product_quality",
              "contact_method": "email", "contact_value": "kettle.owner@example.org",
              "conversation_id": sender},
        headers=headers.service(),
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert filed.json()["transcript_url"] is None  # the complainant's view
    reference = filed.json()["reference"]
    link = f"{API}/{sender}/transcript"
    for username, expected in [
        ("cs.demo", link),
        ("compliance.demo", link),
        ("management.demo", None),
        ("sales.demo", None),
    ]:
        view = client.get(f"/api/v1/complaints/{reference}", headers=headers.staff(username))
        assert view.status_code == 200
        assert view.json()["transcript_url"] == expected, username
    transcript = client.get(link, headers=headers.staff("cs.demo")).json()
    assert transcript["complaints"] == [reference]


@pytest.mark.parametrize("depth", [900, 5000])
def test_a_slot_value_nested_absurdly_deep_neither_breaks_nor_blocks_the_ingest(
    client, headers, session, depth
):
    sender, t = _sender(), time.time()
    event = {"sender_id": sender, "event": "slot", "timestamp": t, "name": "x", "value": None}
    # json.dumps itself refuses such depth, so the value is spliced into the text.
    deep = "[" * depth + '"deep"' + "]" * depth
    body = '{"events": [' + json.dumps(event).replace("null", deep) + "]}"
    response = client.post(
        f"{API}/events", content=body,
        headers={**headers.service(), "Content-Type": "application/json"},
    )  # fmt: skip
    # 400: the body is not JSON Python will read (too deep); the broker then drops only this
    # event (it halves a refused batch until the bad event is alone).
    assert response.status_code in (200, 400, 422)
    # The next batch of the same conversation goes in as usual.
    ok = [{"sender_id": sender, "event": "user", "timestamp": t + 1, "text": "hello"}]
    assert _post(client, headers, ok).status_code == 200
    assert [r.text for r in _rows(session, sender) if r.event_type == "user"] == ["hello"]
