"""Complaint follow-up (status, adding information, withdrawing) and the one-time codes that
let a guest do it, against the real backend app."""

from __future__ import annotations

import pytest
from customer_helpers import (
    customer_with_email,
    file_complaint,
    latest_code,
    slot_values,
    stored_complaint,
    unique_email,
)
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.callbacks import ActionPrepareCallback, ActionSubmitCallback
from actions.complaint_followup import (
    ActionAskComplaintRef,
    ActionComplaintFollowup,
    ActionStartComplaintFollowup,
    ActionStopComplaintFollowup,
    ValidateComplaintFollowupForm,
)
from actions.complaints import ValidateComplaintForm
from actions.verification import ActionAskVerificationCode, complaint_ref_from_text
from crm_backend.models import CallbackRequest

FORM = "complaint_followup_form"


def followup_tracker(tracker_factory, *, request="status", **kwargs):
    slots = {"followup_request": request, **kwargs.pop("slots", {})}
    kwargs.setdefault("active_loop", None)
    return tracker_factory(slots=slots, **kwargs)


async def run_followup(tracker, dispatcher, domain):
    return await ActionComplaintFollowup().run(dispatcher, tracker, domain)


async def validate(tracker, dispatcher, domain):
    return slot_values(await ValidateComplaintFollowupForm().run(dispatcher, tracker, domain))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is CMP-000123?", "CMP-000123"),
        ("cmp 000871 pls", "CMP-000871"),
        ("CMP000045", "CMP-000045"),
        ("CMP-12", None),
        ("CMP-0000000000123", None),
        ("ORD-00012345", None),
    ],
)
def test_complaint_references_are_read_and_normalised(text, expected):
    assert complaint_ref_from_text(text) == expected


# --- signed-in customers -------------------------------------------------------------------


async def test_signed_in_customer_gets_status_and_next_step(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session)
    token = headers.customer_token(customer.customer_no)
    complaint = await file_complaint(backend, token=token)
    tracker = followup_tracker(
        tracker_factory, token=token, slots={"complaint_ref": complaint["reference"]}
    )
    events = await run_followup(tracker, dispatcher, domain)
    assert said() == ["utter_complaint_status_new", "utter_complaint_next_acknowledge"]
    assert dispatcher.messages[0]["reference"] == complaint["reference"]
    assert dispatcher.messages[1]["first_response_due"] == complaint["first_response_due_local"]
    assert slot_values(events)["outcome"] == "done"


async def test_someone_elses_reference_looks_exactly_like_an_unknown_one(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    owner = customer_with_email(session, 0)
    other = customer_with_email(session, 1)
    theirs = await file_complaint(backend, token=headers.customer_token(owner.customer_no))
    token = headers.customer_token(other.customer_no)
    for reference in (theirs["reference"], "CMP-999999999"):
        tracker = tracker_factory(
            text=reference,
            token=token,
            active_loop=FORM,
            slots={"followup_request": "status", "requested_slot": "complaint_ref"},
            candidates={"complaint_ref": reference},
        )
        assert (await validate(tracker, dispatcher, domain))["complaint_ref"] is None
        followup = followup_tracker(
            tracker_factory, token=token, slots={"complaint_ref": reference}
        )
        events = await run_followup(followup, dispatcher, domain)
        assert slot_values(events)["complaint_ref"] is None
    assert said() == ["utter_complaint_ref_not_found"] * 4


async def test_malformed_reference_is_asked_again(tracker_factory, dispatcher, domain, said):
    tracker = tracker_factory(
        text="CMP-12",
        active_loop=FORM,
        slots={"followup_request": "status", "requested_slot": "complaint_ref"},
        candidates={"complaint_ref": "CMP-12"},
    )
    slots = await validate(tracker, dispatcher, domain)
    assert slots["complaint_ref"] is None
    assert slots["requested_slot"] == "complaint_ref"
    assert said() == ["utter_invalid_complaint_ref"]


async def test_signed_in_without_reference_picks_from_recent_complaints(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session, 2)
    token = headers.customer_token(customer.customer_no)
    complaint = await file_complaint(backend, token=token)
    start = tracker_factory(
        text="I want to add something to my complaint", intent="add_complaint_info", token=token
    )
    events = await ActionStartComplaintFollowup().run(dispatcher, start, domain)
    assert slot_values(events)["followup_request"] == "add_info"
    assert slot_values(events)["complaint_ref"] is None

    ask = followup_tracker(tracker_factory, request="add_info", token=token, active_loop=FORM)
    await ActionAskComplaintRef().run(dispatcher, ask, domain)
    assert said() == ["utter_ask_complaint_ref_pick"]
    payloads = [button["payload"] for button in dispatcher.messages[0]["buttons"]]
    assert f'/add_complaint_info{{"complaint_ref":"{complaint["reference"]}"}}' in payloads
    assert len(payloads) <= 5


async def test_add_information_and_too_short_text(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session, 3)
    token = headers.customer_token(customer.customer_no)
    reference = (await file_complaint(backend, token=token))["reference"]
    asked = {
        "followup_request": "add_info",
        "complaint_ref": reference,
        "requested_slot": "complaint_info",
    }
    short = tracker_factory(
        text="ok", token=token, active_loop=FORM, slots=asked, candidates={"complaint_info": "ok"}
    )
    assert (await validate(short, dispatcher, domain))["complaint_info"] is None
    text = "The courier finally called me: the parcel is at the Sha Tin depot."
    tracker = followup_tracker(
        tracker_factory,
        request="add_info",
        token=token,
        slots={"complaint_ref": reference, "complaint_info": text},
    )
    events = await run_followup(tracker, dispatcher, domain)
    assert said() == ["utter_complaint_info_too_short", "utter_complaint_info_added"]
    assert slot_values(events)["complaint_info"] is None
    complaint = stored_complaint(session, reference)
    assert [e.note for e in complaint.events if e.event_type == "customer_info"] == [text]


async def test_withdraw_needs_a_yes_and_happens_once(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session, 4)
    token = headers.customer_token(customer.customer_no)
    reference = (await file_complaint(backend, token=token))["reference"]

    def tracker(confirmed):
        return followup_tracker(
            tracker_factory,
            request="withdraw",
            token=token,
            slots={"complaint_ref": reference, "withdraw_confirmed": confirmed},
        )

    await run_followup(tracker(False), dispatcher, domain)
    assert stored_complaint(session, reference).status == "new"
    await run_followup(tracker(True), dispatcher, domain)
    assert stored_complaint(session, reference).status == "closed"
    events = await run_followup(tracker(True), dispatcher, domain)
    assert said() == [
        "utter_complaint_kept",
        "utter_complaint_withdrawn",
        "utter_withdraw_not_possible",
    ]
    assert slot_values(events)["outcome"] == "failed"


async def test_changing_mind_mid_form_switches_the_request(tracker_factory, dispatcher, domain):
    tracker = tracker_factory(
        text="actually just tell me the status",
        intent="complaint_status",
        token="t",
        active_loop=FORM,
        slots={
            "followup_request": "withdraw",
            "complaint_ref": "CMP-000123",
            "requested_slot": "withdraw_confirmed",
        },
    )
    slots = await validate(tracker, dispatcher, domain)
    assert slots["followup_request"] == "status"
    assert slots["requested_slot"] is None  # nothing more to ask: the status is answered


async def test_backend_down_keeps_the_request_for_try_again(
    backend_down, tracker_factory, dispatcher, domain, said
):
    text = "The courier finally called me back today."
    tracker = followup_tracker(
        tracker_factory,
        request="add_info",
        token="t",
        slots={"complaint_ref": "CMP-000123", "complaint_info": text},
    )
    events = await run_followup(tracker, dispatcher, domain)
    assert said() == ["utter_followup_backend_down"]
    assert dispatcher.messages[0]["retry_intent"] == "add_complaint_info"
    assert events == [SlotSet("outcome", "failed")]

    # The "Try again" button names the same complaint: nothing is asked again.
    retry = tracker_factory(
        text='/add_complaint_info{"complaint_ref":"CMP-000123"}',
        intent="add_complaint_info",
        entities={"complaint_ref": "CMP-000123"},
        token="t",
        active_loop=None,
        slots={"followup_request": "add_info", "complaint_info": text},
    )
    retry.events.insert(0, {"event": "slot", "name": "complaint_ref", "value": "CMP-000123"})
    start = slot_values(await ActionStartComplaintFollowup().run(dispatcher, retry, domain))
    assert start["complaint_ref"] == "CMP-000123"
    assert "complaint_info" not in start  # kept


async def test_stop_forgets_what_was_half_said(tracker_factory, dispatcher, domain, said):
    tracker = followup_tracker(tracker_factory, slots={"complaint_info": "half a thought"})
    events = slot_values(await ActionStopComplaintFollowup().run(dispatcher, tracker, domain))
    assert events["complaint_info"] is None
    assert said() == ["utter_followup_stopped"]


# --- guests: one-time codes ----------------------------------------------------------------


async def ask_code(tracker_factory, dispatcher, domain, reference, sender_id):
    tracker = tracker_factory(
        text=reference,
        active_loop=FORM,
        sender_id=sender_id,
        slots={"followup_request": "status", "complaint_ref": reference},
    )
    return slot_values(await ActionAskVerificationCode().run(dispatcher, tracker, domain))


def code_tracker(tracker_factory, reference, code, asked, request="status"):
    return tracker_factory(
        text=code,
        active_loop=FORM,
        slots={
            "followup_request": request,
            "complaint_ref": reference,
            "requested_slot": "verification_code",
            **asked,
        },
        candidates={"verification_code": code},
    )


async def test_guest_is_sent_a_code_with_the_same_words_for_unknown_references(
    backend, tracker_factory, dispatcher, domain, said
):
    reference = (await file_complaint(backend))["reference"]
    known = await ask_code(tracker_factory, dispatcher, domain, reference, "conv-known")
    unknown = await ask_code(tracker_factory, dispatcher, domain, "CMP-888888888", "conv-unknown")
    assert said() == ["utter_verification_code_sent", "utter_verification_code_sent"]
    assert known["verification_target"] == reference
    assert unknown["verification_target"] == "CMP-888888888"
    assert known.keys() == unknown.keys()
    # Asked again later, no second code is sent.
    again = tracker_factory(
        text="?",
        active_loop=FORM,
        slots={"complaint_ref": reference, **known},
    )
    assert await ActionAskVerificationCode().run(dispatcher, again, domain) == []
    assert said()[-1] == "utter_ask_verification_code"


async def test_guest_wrong_code_then_right_code_then_status(
    backend, session, tracker_factory, dispatcher, domain, said
):
    email = unique_email()
    reference = (await file_complaint(backend, email=email))["reference"]
    asked = await ask_code(tracker_factory, dispatcher, domain, reference, "conv-guest-code")
    code = latest_code(session, email)
    wrong = "000000" if code != "000000" else "111111"

    slots = await validate(
        code_tracker(tracker_factory, reference, wrong, asked), dispatcher, domain
    )
    assert slots["verification_code"] is None
    assert slots["requested_slot"] == "verification_code"
    assert dispatcher.messages[-1]["tries_left"] == 4

    not_a_code = code_tracker(tracker_factory, reference, "my code is abc", asked)
    assert (await validate(not_a_code, dispatcher, domain))["verification_code"] is None

    slots = await validate(
        code_tracker(tracker_factory, reference, code, asked), dispatcher, domain
    )
    assert slots["complaint_token_ref"] == reference
    assert slots["requested_slot"] is None  # verified: nothing more to ask for a status
    assert said() == [
        "utter_verification_code_sent",
        "utter_verification_code_wrong",
        "utter_verification_code_invalid",
    ]

    verified = followup_tracker(
        tracker_factory,
        slots={
            "complaint_ref": reference,
            "complaint_token": slots["complaint_token"],
            "complaint_token_ref": reference,
        },
    )
    await run_followup(verified, dispatcher, domain)
    assert said()[-2:] == ["utter_complaint_status_new", "utter_complaint_next_acknowledge"]

    # The complaint token is for that complaint only.
    other = followup_tracker(
        tracker_factory,
        slots={
            "complaint_ref": "CMP-000001",
            "complaint_token": slots["complaint_token"],
            "complaint_token_ref": reference,
        },
    )
    events = await run_followup(other, dispatcher, domain)
    assert said()[-1] == "utter_followup_not_verified"
    assert slot_values(events)["outcome"] == "failed"


async def test_too_many_wrong_codes_lock_and_end_the_form(
    backend, session, tracker_factory, dispatcher, domain, said
):
    email = unique_email()
    reference = (await file_complaint(backend, email=email))["reference"]
    asked = await ask_code(tracker_factory, dispatcher, domain, reference, "conv-guest-locked")
    code = latest_code(session, email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        tracker = code_tracker(tracker_factory, reference, wrong, asked, request="add_info")
        slots = await validate(tracker, dispatcher, domain)
    assert said()[-1] == "utter_verification_locked"
    assert slots["verification_code"] == "locked"
    assert slots["requested_slot"] is None  # no question about the text to add
    # The follow-up then does nothing and says nothing more.
    done = followup_tracker(
        tracker_factory,
        request="add_info",
        slots={"complaint_ref": reference, "verification_code": "locked"},
    )
    events = await run_followup(done, dispatcher, domain)
    assert said()[-1] == "utter_verification_locked"
    assert slot_values(events)["outcome"] == "failed"
    # A new code for the locked reference is refused too.
    await ask_code(tracker_factory, dispatcher, domain, reference, "conv-guest-locked")
    assert said()[-1] == "utter_verification_locked"


async def test_code_cannot_be_sent_when_the_backend_is_down(
    backend_down, tracker_factory, dispatcher, domain, said
):
    slots = await ask_code(tracker_factory, dispatcher, domain, "CMP-000123", "conv-down")
    assert said() == ["utter_verification_unavailable"]
    assert slots == {"verification_code": "unavailable", "requested_slot": None}


async def test_guest_start_keeps_the_complaint_known_in_the_conversation(
    tracker_factory, dispatcher, domain
):
    tracker = tracker_factory(text="any update on my complaint?", intent="complaint_status")
    tracker.events.insert(0, {"event": "slot", "name": "complaint_ref", "value": "CMP-000777"})
    tracker.events.insert(1, {"event": "user", "text": "earlier"})
    slots = slot_values(await ActionStartComplaintFollowup().run(dispatcher, tracker, domain))
    assert slots["complaint_ref"] == "CMP-000777"
    assert slots["followup_request"] == "status"


# --- status asked in the middle of filing a complaint -------------------------------------


async def test_status_question_mid_complaint_is_answered_and_the_form_goes_on(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session, 5)
    token = headers.customer_token(customer.customer_no)
    reference = (await file_complaint(backend, token=token))["reference"]
    text = f"before that, any news on {reference}?"
    tracker = tracker_factory(
        text=text,
        intent="complaint_status",
        entities={"complaint_ref": reference},
        token=token,
        slots={"requested_slot": "complaint_description"},
        candidates={"complaint_description": text},
    )
    events = await ValidateComplaintForm().run(dispatcher, tracker, domain)
    assert said() == ["utter_complaint_status_new", "utter_complaint_next_acknowledge"]
    assert slot_values(events) == {"complaint_description": None}

    guest = tracker_factory(
        text=text,
        intent="complaint_status",
        slots={"requested_slot": "complaint_confirmed"},
    )
    events = await ValidateComplaintForm().run(dispatcher, guest, domain)
    assert said()[-1] == "utter_status_after_complaint"
    assert slot_values(events) == {"complaint_confirmed": None}


async def test_asked_what_happened_a_story_is_the_description_whatever_the_nlu_says(
    backend, tracker_factory, dispatcher, domain, said
):
    text = "The kettle lid snapped off on the second day"
    tracker = tracker_factory(
        text=text,
        intent="complaint_status",  # what the NLU once made of it
        slots={"requested_slot": "complaint_description"},
        candidates={"complaint_description": text},
    )
    events = await ValidateComplaintForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["complaint_description"] == text
    assert "utter_status_after_complaint" not in said()


# --- a person, with the complaint attached ------------------------------------------------


async def test_callback_attaches_the_complaint_of_the_conversation(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session, 6)
    token = headers.customer_token(customer.customer_no)
    reference = (await file_complaint(backend, token=token))["reference"]
    tracker = tracker_factory(
        text="talk to a person",
        intent="request_human",
        token=token,
        active_loop=None,
        sender_id="conv-callback-with-complaint",
        slots={"contact": "on_file", "complaint_ref": reference},
    )
    await ActionSubmitCallback().run(dispatcher, tracker, domain)
    assert said() == ["utter_callback_booked"]
    session.rollback()
    callback = session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.conversation_id == "conv-callback-with-complaint"
        )
    )
    assert callback.complaint_id == stored_complaint(session, reference).id


async def test_guest_verified_for_a_complaint_needs_no_contact_for_a_callback(
    tracker_factory, dispatcher, domain
):
    tracker = tracker_factory(
        text="talk to a person",
        intent="request_human",
        active_loop=None,
        slots={
            "complaint_ref": "CMP-000123",
            "complaint_token": "a-token",
            "complaint_token_ref": "CMP-000123",
        },
    )
    assert await ActionPrepareCallback().run(dispatcher, tracker, domain) == [
        SlotSet("contact", "on_file")
    ]


def test_every_status_and_next_step_has_words_in_the_domain(domain):
    from actions.complaint_status import NEXT_STEPS, STATUSES

    responses = set(domain["responses"])
    assert {f"utter_complaint_status_{status}" for status in STATUSES} <= responses
    assert {f"utter_complaint_next_{step}" for step in NEXT_STEPS} <= responses


async def test_a_form_started_with_reset_slots_says_nothing_but_its_question(
    tracker_factory, dispatcher, domain, said
):
    # The start action resets slots just before the form: the form validates those too.
    tracker = tracker_factory(
        text="I want to add something to my complaint",
        intent="add_complaint_info",
        active_loop=FORM,
        slots={"followup_request": "add_info"},
        candidates={"complaint_ref": None, "verification_code": None, "complaint_info": None},
    )
    slots = await validate(tracker, dispatcher, domain)
    assert said() == []
    assert slots["requested_slot"] == "complaint_ref"


async def test_guest_verified_for_a_complaint_keeps_its_contact_for_the_callback(
    tracker_factory, dispatcher, domain, said
):
    from actions.callbacks import ValidateCallbackForm

    tracker = tracker_factory(
        text="talk to a person",
        intent="request_human",
        active_loop="callback_form",
        slots={
            "complaint_ref": "CMP-000123",
            "complaint_token": "t",
            "complaint_token_ref": "CMP-000123",
        },
        candidates={"contact": "on_file"},
    )
    slots = slot_values(await ValidateCallbackForm().run(dispatcher, tracker, domain))
    assert slots["contact"] == "on_file"
    assert said() == []
