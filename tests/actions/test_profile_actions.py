"""Updating one's details with consent, and the greeting's offer to fill a gap in the
profile, against the real backend app."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

from customer_helpers import latest_code, slot_values
from sqlalchemy import select

from actions.greeting import ActionDeclineProfileGap, ActionGreet
from actions.profile import (
    ENDED,
    ActionAskProfileConsent,
    ActionAskProfileValue,
    ActionStartProfileUpdate,
    ActionStopProfileUpdate,
    ActionSubmitProfileUpdate,
    ValidateProfileForm,
    field_from_text,
    latest_field,
)
from actions.verification import ActionAskVerificationCode
from crm_backend.db import utcnow
from crm_backend.models import Consent, Customer, ProfileChange
from crm_backend.services.contacts import normalise_email
from crm_backend.services.data_quality import profile_gaps

FORM = "profile_form"


def new_email() -> str:
    return f"profile.{uuid.uuid4().hex[:10]}@example.com"


def reachable_customers(session) -> list[Customer]:
    """Customers with a working email, newest first (the other action tests take the
    oldest ones, so these tests change details nobody else relies on)."""
    session.rollback()
    customers = session.scalars(
        select(Customer).where(Customer.email.contains("@")).order_by(Customer.id.desc())
    ).all()
    return [customer for customer in customers if normalise_email(customer.email)]


def stored(session, customer_id: int) -> Customer:
    session.rollback()  # see what the backend committed
    session.expire_all()
    customer = session.get(Customer, customer_id)
    assert customer is not None
    return customer


def latest_consent(session, customer_id: int) -> Consent | None:
    session.rollback()
    return session.scalars(
        select(Consent)
        .where(Consent.customer_id == customer_id, Consent.purpose == "profile_update")
        .order_by(Consent.id.desc())
    ).first()


async def propose(
    tracker_factory,
    dispatcher,
    domain,
    *,
    field,
    value,
    token=None,
    slots=None,
    text=None,
    sender_id="conversation-under-test",
):
    """The form's value question answered: the backend checks the value and holds it."""
    tracker = tracker_factory(
        text=value if text is None else text,
        token=token,
        active_loop=FORM,
        sender_id=sender_id,
        slots={"profile_field": field, "requested_slot": "profile_value", **(slots or {})},
        candidates={"profile_value": value},
    )
    events = await ValidateProfileForm().run(dispatcher, tracker, domain)
    return {"profile_field": field, **(slots or {}), **slot_values(events)}


async def answer_consent(
    tracker_factory, dispatcher, domain, answer, *, intent, token=None, slots=None
):
    tracker = tracker_factory(
        text=answer,
        intent=intent,
        token=token,
        active_loop=FORM,
        slots={"requested_slot": "profile_consent", **(slots or {})},
        candidates={"profile_consent": answer},
    )
    return slot_values(await ValidateProfileForm().run(dispatcher, tracker, domain))


async def submit(tracker_factory, dispatcher, domain, slots, *, token=None):
    tracker = tracker_factory(
        text="yes", intent="affirm", token=token, active_loop=None, slots=slots
    )
    return slot_values(await ActionSubmitProfileUpdate().run(dispatcher, tracker, domain))


async def test_signed_in_update_with_consent_changes_the_email(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[0]
    token = headers.customer_token(customer.customer_no)
    opening = tracker_factory(
        text="i want to change my email",
        intent="update_profile",
        entities={"profile_field": "email"},
        active_loop=None,
        token=token,
    )
    start = slot_values(await ActionStartProfileUpdate().run(dispatcher, opening, domain))
    assert start["profile_field"] == "email"

    # The value on file is shown masked before the new one is asked for.
    ask = tracker_factory(text="", token=token, active_loop=FORM, slots=start)
    await ActionAskProfileValue().run(dispatcher, ask, domain)
    assert said() == ["utter_profile_current_value", "utter_ask_profile_value_email"]
    shown = dispatcher.messages[0]["current"]
    assert "***" in shown and shown != customer.email

    email = new_email()
    slots = await propose(
        tracker_factory, dispatcher, domain, field="email", value=email, token=token
    )
    assert slots["profile_value"] != email and "***" in slots["profile_value"]
    assert slots["requested_slot"] == "profile_consent"
    change = slots["profile_change"]
    assert change["change_id"] and change["statement"]["version"]

    # The purpose comes from the current collection statement, with its version.
    consent_tracker = tracker_factory(text="", token=token, active_loop=FORM, slots=slots)
    await ActionAskProfileConsent().run(dispatcher, consent_tracker, domain)
    question = dispatcher.messages[-1]
    assert question["response"] == "utter_ask_profile_consent"
    assert question["statement_version"] == change["statement"]["version"]
    assert question["statement_title"] and question["statement_text"]
    assert stored(session, customer.id).email != email  # nothing applied before the yes

    answered = await answer_consent(
        tracker_factory, dispatcher, domain, "yes", intent="affirm", token=token, slots=slots
    )
    assert answered["profile_consent"] == "yes"
    assert answered["requested_slot"] is None
    done = await submit(tracker_factory, dispatcher, domain, {**slots, **answered}, token=token)
    assert done["outcome"] == "done"
    assert said()[-1] == "utter_profile_updated"

    assert stored(session, customer.id).email == email
    consent = latest_consent(session, customer.id)
    assert consent is not None and consent.granted is True and consent.channel == "chat"
    history = session.scalars(
        select(ProfileChange).where(ProfileChange.customer_id == customer.id)
    ).all()
    assert any(row.consent_id == consent.id for row in history)


async def test_declined_changes_nothing_and_is_recorded(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[1]
    before = customer.email
    token = headers.customer_token(customer.customer_no)
    slots = await propose(
        tracker_factory, dispatcher, domain, field="email", value=new_email(), token=token
    )
    answered = await answer_consent(
        tracker_factory, dispatcher, domain, "no", intent="deny", token=token, slots=slots
    )
    assert answered["profile_consent"] == "no"
    done = await submit(tracker_factory, dispatcher, domain, {**slots, **answered}, token=token)
    assert done["outcome"] == "done"
    assert said() == ["utter_profile_update_declined"]
    assert stored(session, customer.id).email == before
    consent = latest_consent(session, customer.id)
    assert consent is not None and consent.granted is False


async def test_invalid_email_gets_the_backend_reason_and_is_asked_again(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[2]
    token = headers.customer_token(customer.customer_no)
    typed = "chan.taiman@@example"
    slots = await propose(
        tracker_factory, dispatcher, domain, field="email", value=typed, token=token
    )
    assert slots["profile_value"] is None
    assert slots["requested_slot"] == "profile_value"
    assert said() == ["utter_profile_value_invalid"]
    reason = dispatcher.messages[0]["reason"]
    assert reason and typed not in reason


async def test_a_consent_answer_that_is_neither_yes_nor_no_is_asked_again(
    tracker_factory, dispatcher, domain, said
):
    slots = {
        "profile_field": "email",
        "profile_value": "p***@example.com",
        "profile_change": {"change_id": "x" * 24},
    }
    answered = await answer_consent(
        tracker_factory,
        dispatcher,
        domain,
        "what is it for?",
        intent="inform",
        token="t",
        slots=slots,
    )
    assert answered["profile_consent"] is None
    assert answered["requested_slot"] == "profile_consent"
    assert said() == ["utter_profile_consent_yes_or_no"]


async def test_change_of_mind_starts_again_on_the_new_detail(
    tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="actually i want to change my phone number",
        intent="update_profile",
        entities={"profile_field": "phone"},
        token="t",
        active_loop=FORM,
        slots={"profile_field": "email", "requested_slot": "profile_value"},
        candidates={
            "profile_field": "phone",
            "profile_value": "actually i want to change my phone number",
        },
    )
    slots = slot_values(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert slots["profile_field"] == "phone"
    assert slots["profile_value"] is None
    assert slots["requested_slot"] == "profile_value"
    assert said() == []


def test_the_words_typed_name_the_detail_not_a_shared_synonym(tracker_factory):
    # NLU synonyms are global: "phone number" and "email" also mean the complaint's contact.
    text = "actually I want to change my phone number"
    tracker = tracker_factory(text=text, intent="update_profile", active_loop=FORM)
    start = text.index("phone")
    tracker.latest_message["entities"] = [
        {"entity": "profile_field", "start": start, "end": len(text), "value": "contact"}
    ]
    assert latest_field(tracker) == "phone"
    words = {
        "e-mail address": "email",
        "mobile no.": "phone",
        "home address": "address",
        "語言": "preferred_language",
        "surname": "name",
        "Chan Tai Man": None,
    }
    assert {typed: field_from_text(typed) for typed in words} == words


async def test_a_later_proposal_replaces_the_earlier_one(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[3]
    before = customer.email
    token = headers.customer_token(customer.customer_no)
    first = await propose(
        tracker_factory, dispatcher, domain, field="email", value=new_email(), token=token
    )
    await propose(
        tracker_factory,
        dispatcher,
        domain,
        field="address",
        token=token,
        value="Flat B, 12/F, 8 Nathan Road, Tsim Sha Tsui",
    )
    # A yes to the replaced change changes nothing, and the customer is told so.
    done = await submit(
        tracker_factory, dispatcher, domain, {**first, "profile_consent": "yes"}, token=token
    )
    assert done["outcome"] == "failed"
    assert said() == ["utter_profile_change_expired"]
    assert dispatcher.messages[0]["field"] == "email"
    assert stored(session, customer.id).email == before


async def test_guest_proves_identity_with_a_code_then_updates(
    backend, session, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[4]
    contact = normalise_email(customer.email)
    ask = tracker_factory(
        text=contact,
        active_loop=FORM,
        slots={"identity_contact": contact, "profile_field": "address"},
    )
    asked = slot_values(await ActionAskVerificationCode().run(dispatcher, ask, domain))
    code = latest_code(session, contact)
    tracker = tracker_factory(
        text=code,
        active_loop=FORM,
        slots={
            "identity_contact": contact,
            "profile_field": "address",
            "requested_slot": "verification_code",
            **asked,
        },
        candidates={"verification_code": code},
    )
    verified = slot_values(await ValidateProfileForm().run(dispatcher, tracker, domain))
    assert verified["verified_token"]
    assert verified["identity_contact"] is None  # the contact typed is forgotten
    assert verified["requested_slot"] == "profile_value"
    assert said() == ["utter_identity_code_sent", "utter_identity_verified"]

    # No token in the metadata from here on: the one the code earned is used.
    earned = {"verified_token": verified["verified_token"]}
    address = f"Flat {uuid.uuid4().hex[:3].upper()}, 3/F, 88 Shan Tung Street, Mong Kok"
    slots = await propose(
        tracker_factory, dispatcher, domain, field="address", value=address, slots=earned
    )
    assert slots["requested_slot"] == "profile_consent"
    done = await submit(
        tracker_factory, dispatcher, domain, {**earned, **slots, "profile_consent": "yes"}
    )
    assert done["outcome"] == "done"
    updated = stored(session, customer.id)
    assert updated.address_line == address
    assert updated.district  # recognised from the text


async def test_another_customers_number_in_the_message_changes_only_ones_own(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    own, other = reachable_customers(session)[5:7]
    other_email = other.email
    token = headers.customer_token(own.customer_no)
    email = new_email()
    slots = await propose(
        tracker_factory,
        dispatcher,
        domain,
        field="email",
        value=email,
        token=token,
        text=f"set the email of {other.customer_no} to {email}",
    )
    done = await submit(
        tracker_factory, dispatcher, domain, {**slots, "profile_consent": "yes"}, token=token
    )
    assert done["outcome"] == "done"
    assert stored(session, other.id).email == other_email
    assert stored(session, own.id).email == email


def forged_for(token: str, customer_no: str) -> str:
    """A real token with its subject changed to another customer: the signature no longer
    matches."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = customer_no
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


async def test_forged_metadata_token_never_changes_anyone(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    own, other = reachable_customers(session)[7:9]
    other_email = other.email
    token = forged_for(headers.customer_token(own.customer_no), other.customer_no)
    slots = await propose(
        tracker_factory, dispatcher, domain, field="email", value=new_email(), token=token
    )
    assert said() == ["utter_sign_in_expired"]
    # The form ends without asking for consent; nothing is submitted.
    assert slots["profile_value"] == ENDED and slots["profile_consent"] == ENDED
    assert slots["requested_slot"] is None
    done = await submit(tracker_factory, dispatcher, domain, slots, token=token)
    assert done["outcome"] == "failed"
    assert said() == ["utter_sign_in_expired"]
    assert stored(session, other.id).email == other_email


async def test_backend_down_says_nothing_was_changed(
    backend_down, tracker_factory, dispatcher, domain, said
):
    slots = await propose(
        tracker_factory, dispatcher, domain, field="email", value="someone@example.com", token="t"
    )
    assert said() == ["utter_profile_backend_down"]
    assert slots["requested_slot"] is None
    ready = {
        "profile_field": "email",
        "profile_value": "s***@example.com",
        "profile_consent": "yes",
        "profile_change": {"change_id": "x" * 24, "statement": {"version": "v"}},
    }
    done = await submit(tracker_factory, dispatcher, domain, ready, token="t")
    assert done["outcome"] == "failed"
    assert said()[-1] == "utter_profile_backend_down"


async def test_stop_says_nothing_was_changed(tracker_factory, dispatcher, domain, said):
    tracker = tracker_factory(
        text="never mind", intent="stop", active_loop=None, slots={"profile_field": "name"}
    )
    events = slot_values(await ActionStopProfileUpdate().run(dispatcher, tracker, domain))
    assert said() == ["utter_profile_stopped"]
    assert events["profile_field"] is None


def customer_with_gap(session, index: int = 0) -> Customer:
    session.rollback()
    now = utcnow()
    customers = session.scalars(select(Customer).order_by(Customer.id.desc())).all()
    return [c for c in customers if any(g.field != "profile" for g in profile_gaps(c, now))][index]


async def test_gap_prompt_is_offered_at_most_once_in_90_days(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_gap(session)
    customer.quality_prompted_at = None
    session.commit()
    token = headers.customer_token(customer.customer_no)
    hello = tracker_factory(text="hi", intent="greet", active_loop=None, token=token)

    first = slot_values(await ActionGreet().run(dispatcher, hello, domain))
    assert said()[0] == "utter_greet"
    assert said()[1].startswith("utter_profile_gap_")
    assert first["profile_gap_offered"] is True
    gap_field = first["profile_field"]
    assert gap_field in ("email", "phone", "address")

    dispatcher.messages.clear()
    again = slot_values(await ActionGreet().run(dispatcher, hello, domain))
    assert said() == ["utter_greet"]
    assert again == {"profile_gap_offered": False}

    # 91 days later it may be offered again.
    customer = stored(session, customer.id)
    customer.quality_prompted_at = utcnow() - timedelta(days=91)
    session.commit()
    dispatcher.messages.clear()
    later = slot_values(await ActionGreet().run(dispatcher, hello, domain))
    assert later["profile_gap_offered"] is True

    # "Yes" in words starts the update on that detail; "not now" just says no problem.
    yes = tracker_factory(text="yes", intent="affirm", active_loop=None, token=token, slots=later)
    start = slot_values(await ActionStartProfileUpdate().run(dispatcher, yes, domain))
    assert start["profile_field"] == gap_field and start["profile_gap_offered"] is False
    dispatcher.messages.clear()
    no = tracker_factory(text="not now", intent="deny", active_loop=None, slots=later)
    declined = slot_values(await ActionDeclineProfileGap().run(dispatcher, no, domain))
    assert said() == ["utter_profile_gap_declined"]
    assert declined["profile_gap_offered"] is False


async def test_greeting_works_for_guests_and_when_the_backend_is_down(
    backend_down, tracker_factory, dispatcher, domain, said
):
    guest = tracker_factory(text="hi", intent="greet", active_loop=None)
    assert slot_values(await ActionGreet().run(dispatcher, guest, domain)) == {
        "profile_gap_offered": False
    }
    signed_in = tracker_factory(text="hi", intent="greet", active_loop=None, token="t")
    await ActionGreet().run(dispatcher, signed_in, domain)
    assert said() == ["utter_greet", "utter_greet"]


def test_every_response_the_actions_name_is_in_the_domain(domain):
    responses = set(domain["responses"])
    for problem in (
        "missing_email",
        "invalid_email",
        "missing_phone",
        "invalid_phone",
        "missing_address",
        "no_district",
        "stale",
        "other",
    ):
        assert f"utter_profile_gap_{problem}" in responses
    for field in ("name", "email", "phone", "address", "preferred_language"):
        assert f"utter_ask_profile_value_{field}" in responses
    assert {"action_greet", "validate_profile_form", "action_submit_profile_update"} <= set(
        domain["actions"]
    )


async def test_a_no_to_a_replaced_change_says_only_that_nothing_changed(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[3]
    token = headers.customer_token(customer.customer_no)
    first = await propose(
        tracker_factory, dispatcher, domain, field="email", value=new_email(), token=token
    )
    await propose(
        tracker_factory, dispatcher, domain, field="email", value=new_email(), token=token
    )
    done = await submit(
        tracker_factory, dispatcher, domain, {**first, "profile_consent": "no"}, token=token
    )
    assert done["outcome"] == "done"
    # Not "I've noted that you didn't agree": the backend recorded no answer for it.
    assert said() == ["utter_profile_nothing_changed"]


async def test_a_changed_statement_is_said_as_such(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = reachable_customers(session)[4]
    before = customer.email
    token = headers.customer_token(customer.customer_no)
    proposed = await propose(
        tracker_factory, dispatcher, domain, field="email", value=new_email(), token=token
    )
    stale = {**proposed["profile_change"], "statement": {"version": "PICS-2020-01"}}
    done = await submit(
        tracker_factory,
        dispatcher,
        domain,
        {**proposed, "profile_change": stale, "profile_consent": "yes"},
        token=token,
    )
    assert done["outcome"] == "failed"
    assert said() == ["utter_profile_statement_changed"]
    assert stored(session, customer.id).email == before
