from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import select

from actions.callbacks import ActionPrepareCallback, ActionSubmitCallback
from actions.complaint_text import category_from_text
from actions.complaints import (
    ActionAskComplaintConfirmed,
    ActionSubmitComplaint,
    ValidateComplaintForm,
)
from crm_backend.models import CallbackRequest, Complaint, Customer, Order

DESCRIPTION = "My parcel arrived two weeks late and the box was crushed."
ASKED = {"requested_slot": "complaint_description"}


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def complete_slots(**overrides):
    slots = {
        "complaint_description": DESCRIPTION,
        "complaint_category": "delivery",
        "order_no": "none",
        "contact": "+85291234567",
        "complaint_confirmed": True,
    }
    slots.update(overrides)
    return slots


async def validate(tracker, dispatcher, domain):
    return slot_values(await ValidateComplaintForm().run(dispatcher, tracker, domain))


# --- description -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_response"),
    [
        ("late", "utter_invalid_description_short"),
        ("", "utter_invalid_description_short"),
        ("x" * 5000, "utter_invalid_description_long"),
    ],
)
async def test_bad_descriptions_are_asked_again(
    tracker_factory, dispatcher, domain, said, text, expected_response
):
    tracker = tracker_factory(text=text, candidates={"complaint_description": text}, slots=ASKED)
    slots = await validate(tracker, dispatcher, domain)
    assert slots["complaint_description"] is None
    assert said() == [expected_response]


@pytest.mark.parametrize(
    "text",
    ["送貨太慢 the delivery was so slow 😡", "<img src=x onerror=alert(1)> item was broken"],
)
async def test_unicode_and_markup_descriptions_are_kept_as_text(
    tracker_factory, dispatcher, domain, said, text
):
    tracker = tracker_factory(text=text, candidates={"complaint_description": text}, slots=ASKED)
    slots = await validate(tracker, dispatcher, domain)
    assert slots["complaint_description"] == text
    assert said() == []


async def test_order_number_in_the_description_answers_the_order_question(
    tracker_factory, dispatcher, domain
):
    text = "order ord-00012345 came with a cracked screen"
    tracker = tracker_factory(text=text, candidates={"complaint_description": text}, slots=ASKED)
    slots = await validate(tracker, dispatcher, domain)
    assert slots["order_no"] == "ORD-00012345"


@pytest.mark.parametrize(
    ("opening", "kept"),
    [
        ("my parcel never arrived, can i complain?", True),
        ("the staff at mong kok were rude to me", True),
        ("I want to make a complaint about my order", False),
        ("i want to complain", False),
    ],
)
async def test_the_opening_message_is_kept_only_if_it_says_what_happened(
    tracker_factory, dispatcher, domain, said, opening, kept
):
    # Before the form asks anything, requested_slot is empty: this is the prefilled opening.
    tracker = tracker_factory(
        text=opening, intent="file_complaint", candidates={"complaint_description": opening}
    )
    slots = await validate(tracker, dispatcher, domain)
    assert slots["complaint_description"] == (opening if kept else None)
    assert said() == []


async def test_try_again_keeps_the_description_given_before(dispatcher, domain):
    from rasa_sdk import Tracker

    events = [
        {"event": "user", "text": "I want to complain"},
        {"event": "slot", "name": "complaint_description", "value": DESCRIPTION},
        {"event": "user", "text": "/file_complaint"},
        {"event": "slot", "name": "complaint_description", "value": "/file_complaint"},
    ]
    tracker = Tracker(
        "c", {"complaint_description": "/file_complaint"},
        {"text": "/file_complaint", "intent": {"name": "file_complaint"}, "entities": []},
        events, False, None, {"name": "complaint_form"}, "action_listen",
    )  # fmt: skip
    slots = await validate(tracker, dispatcher, domain)
    assert slots["complaint_description"] == DESCRIPTION


# --- category ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("delivery", "delivery"),
        ("the courier was late", "delivery"),
        ("rude staff in the shop", "service"),
        ("I was charged twice", "billing"),
        ("where is my refund", "refund"),
        ("something else", "other"),
        ("asdfgh", None),
    ],
)
def test_category_from_typed_words(text, expected):
    assert category_from_text(text) == expected


async def test_unknown_category_is_asked_again_with_buttons(
    tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="hmm",
        slots={"requested_slot": "complaint_category"},
        candidates={"complaint_category": "hmm"},
    )
    assert (await validate(tracker, dispatcher, domain))["complaint_category"] is None
    assert said() == ["utter_invalid_category"]


async def test_a_stray_category_word_in_another_answer_keeps_the_earlier_answer(
    tracker_factory, dispatcher, domain, said
):
    """The NLU may take "6pm" in a contact answer for a category: that was not an answer to
    the category question, so the category given earlier stands and nothing is said."""
    tracker = tracker_factory(
        text="after 6pm",
        slots={"requested_slot": "contact", "complaint_description": "The parcel came open"},
        candidates={"complaint_category": "6pm"},
    )
    tracker.events.insert(0, {"event": "slot", "name": "complaint_category", "value": "delivery"})
    assert (await validate(tracker, dispatcher, domain)).get("complaint_category") == "delivery"
    assert "utter_invalid_category" not in said()


# --- order number ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("ord 00012345", "inform", "ORD-00012345"),
        ("no", "deny", "none"),
        ("don't have one", "inform", "none"),
        ("none", "inform", "none"),
    ],
)
async def test_guest_order_answers(tracker_factory, dispatcher, domain, text, intent, expected):
    tracker = tracker_factory(text=text, intent=intent, candidates={"order_no": text})
    assert (await validate(tracker, dispatcher, domain))["order_no"] == expected


async def test_not_an_order_number_is_asked_again(tracker_factory, dispatcher, domain, said):
    tracker = tracker_factory(text="12345", candidates={"order_no": "12345"})
    assert (await validate(tracker, dispatcher, domain))["order_no"] is None
    assert said() == ["utter_invalid_order_no"]


async def test_signed_in_customer_order_is_checked_with_the_backend(
    backend, headers, session, tracker_factory, dispatcher, domain, said
):
    order = session.scalars(select(Order).order_by(Order.id)).first()
    owner = session.get(Customer, order.customer_id)
    token = headers.customer_token(owner.customer_no)
    own = tracker_factory(text=order.order_no, candidates={"order_no": order.order_no}, token=token)
    assert (await validate(own, dispatcher, domain))["order_no"] == order.order_no
    assert said() == ["utter_order_found"]

    foreign_order = session.scalars(select(Order).where(Order.customer_id != owner.id)).first()
    dispatcher.messages.clear()
    foreign = tracker_factory(
        text=foreign_order.order_no, candidates={"order_no": foreign_order.order_no}, token=token
    )
    assert (await validate(foreign, dispatcher, domain))["order_no"] is None
    assert said() == ["utter_order_not_on_account"]


async def test_order_is_accepted_unchecked_when_the_backend_is_down(
    backend_down, tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="ORD-00012345", candidates={"order_no": "ORD-00012345"}, token="some-token"
    )
    assert (await validate(tracker, dispatcher, domain))["order_no"] == "ORD-00012345"
    assert said() == ["utter_order_not_checked"]


# --- contact -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token", "expected", "response"),
    [
        ("9123 4567", None, "+85291234567", None),
        ("kelvin@example.com", None, "kelvin@example.com", None),
        ("josé@example.com", None, None, "utter_invalid_contact"),  # the backend refuses it too
        ("call me maybe", None, None, "utter_invalid_contact"),
        ("1234", None, None, "utter_invalid_contact"),
        ("on_file_email", None, None, "utter_ask_contact_anonymous"),
        ("on_file_email", "a-token", "on_file_email", None),
    ],
)
async def test_contact_answers(
    tracker_factory, dispatcher, domain, said, text, token, expected, response
):
    tracker = tracker_factory(text=text, candidates={"contact": text}, token=token)
    assert (await validate(tracker, dispatcher, domain))["contact"] == expected
    assert said() == ([response] if response else [])


# --- changing answers --------------------------------------------------------------------


async def test_naming_a_field_to_change_clears_only_that_answer(
    tracker_factory, dispatcher, domain
):
    tracker = tracker_factory(
        text="the category is wrong",
        intent="change_answer",
        entities={"complaint_field": "category"},
        slots=complete_slots(complaint_confirmed=None),
    )
    slots = await validate(tracker, dispatcher, domain)
    assert slots == {
        "complaint_category": None,
        "complaint_confirmed": None,
        "complaint_field": None,
    }


async def test_a_change_request_is_not_taken_as_an_answer(dispatcher, domain):
    from rasa_sdk import Tracker

    # Asked for the description, the customer says "change the category" instead.
    events = [
        {"event": "user", "text": "I want to complain"},
        {"event": "slot", "name": "complaint_category", "value": "delivery"},
        {"event": "user", "text": "change the category"},
        {"event": "slot", "name": "complaint_description", "value": "change the category"},
    ]
    tracker = Tracker(
        "c",
        {"complaint_category": "delivery", "complaint_description": "change the category",
         "requested_slot": "complaint_description"},
        {"text": "change the category", "intent": {"name": "change_answer"},
         "entities": [{"entity": "complaint_field", "value": "category"}]},
        events, False, None, {"name": "complaint_form"}, "action_listen",
    )  # fmt: skip
    slots = await validate(tracker, dispatcher, domain)
    assert slots["complaint_description"] is None
    assert slots["complaint_category"] is None


async def test_change_without_a_field_asks_which(tracker_factory, dispatcher, domain, said):
    tracker = tracker_factory(
        text="change something", intent="change_answer", slots=complete_slots()
    )
    await validate(tracker, dispatcher, domain)
    assert said() == ["utter_ask_which_field"]


async def test_summary_masks_the_contact(tracker_factory, dispatcher, domain):
    tracker = tracker_factory(text="", slots=complete_slots(contact="kelvin.wong@example.com"))
    await ActionAskComplaintConfirmed().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_complaint_summary"
    assert message["contact_label"] == "k***@example.com"
    assert "kelvin.wong" not in str(message)


# --- filing ------------------------------------------------------------------------------


async def test_submit_files_one_complaint_even_when_repeated(
    backend, session, tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="yes",
        intent="affirm",
        slots=complete_slots(),
        sender_id="conv-submit-twice",
        active_loop=None,
    )
    events = await ActionSubmitComplaint().run(dispatcher, tracker, domain)
    assert said() == ["utter_complaint_filed"]
    reference = dispatcher.messages[0]["reference"]
    assert reference.startswith("CMP-")
    assert slot_values(events)["outcome"] == "done"
    assert slot_values(events)["complaint_description"] is None

    await ActionSubmitComplaint().run(dispatcher, tracker, domain)
    assert dispatcher.messages[1]["reference"] == reference
    stored = session.scalars(
        select(Complaint).where(Complaint.conversation_id == "conv-submit-twice")
    ).all()
    assert len(stored) == 1
    assert stored[0].description == DESCRIPTION
    assert stored[0].contact_value == "+85291234567"


async def test_submit_for_a_signed_in_customer_uses_contact_on_file(
    backend, headers, session, tracker_factory, dispatcher, domain, said
):
    customer = session.scalars(
        select(Customer).where(Customer.email.contains("@")).order_by(Customer.id)
    ).first()
    token = headers.customer_token(customer.customer_no)
    tracker = tracker_factory(
        text="yes",
        intent="affirm",
        token=token,
        active_loop=None,
        slots=complete_slots(contact="on_file_email"),
        sender_id="conv-signed-in",
    )
    await ActionSubmitComplaint().run(dispatcher, tracker, domain)
    assert said() == ["utter_complaint_filed"]
    session.rollback()  # end the read transaction: see what the action wrote
    stored = session.scalar(select(Complaint).where(Complaint.conversation_id == "conv-signed-in"))
    assert stored.customer_id == customer.id
    assert stored.contact_method == "email"


async def test_backend_down_keeps_every_answer_and_says_so(
    backend_down, tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(text="yes", intent="affirm", slots=complete_slots(), active_loop=None)
    events = await ActionSubmitComplaint().run(dispatcher, tracker, domain)
    assert said() == ["utter_complaint_backend_down"]
    assert events == [SlotSet("outcome", "failed"), SlotSet("complaint_confirmed", None)]


async def test_backend_refusal_asks_again_for_that_answer(
    backend, headers, session, tracker_factory, dispatcher, domain, said
):
    customer = session.scalars(select(Customer).order_by(Customer.id)).first()
    token = headers.customer_token(customer.customer_no)
    tracker = tracker_factory(
        text="yes",
        intent="affirm",
        token=token,
        active_loop=None,
        slots=complete_slots(order_no="ORD-99999999"),
    )
    events = await ActionSubmitComplaint().run(dispatcher, tracker, domain)
    assert said() == ["utter_complaint_rejected"]
    assert slot_values(events)["order_no"] is None
    assert FollowupAction("complaint_form") in events


# --- callbacks ---------------------------------------------------------------------------


async def test_guest_callback_is_booked_with_context(
    backend, session, tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="6123 4567",
        active_loop=None,
        sender_id="conv-callback",
        slots={"contact": "+85261234567", "complaint_category": "refund"},
    )
    events = await ActionSubmitCallback().run(dispatcher, tracker, domain)
    assert said() == ["utter_callback_booked"]
    assert slot_values(events)["outcome"] == "done"
    stored = session.scalar(
        select(CallbackRequest).where(CallbackRequest.conversation_id == "conv-callback")
    )
    assert stored.context == {
        "reason": "customer_request",
        "signed_in": False,
        "complaint_category": "refund",
    }


async def test_signed_in_callback_needs_no_questions(tracker_factory, dispatcher, domain):
    tracker = tracker_factory(text="call me", intent="request_human", token="t", active_loop=None)
    assert await ActionPrepareCallback().run(dispatcher, tracker, domain) == [
        SlotSet("contact", "on_file")
    ]
    # A guest is asked, unless they already gave a contact for a complaint just now.
    guest = tracker_factory(text="call me", intent="request_human", active_loop=None)
    assert await ActionPrepareCallback().run(dispatcher, guest, domain) == []


async def test_callback_with_backend_down_says_so(
    backend_down, tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(text="x", active_loop=None, slots={"contact": "+85261234567"})
    await ActionSubmitCallback().run(dispatcher, tracker, domain)
    assert said() == ["utter_callback_backend_down"]


def test_actions_never_import_the_backend():
    for module in (Path(__file__).resolve().parents[2] / "actions").glob("*.py"):
        assert "crm_backend" not in module.read_text(encoding="utf-8"), module.name


def test_every_response_the_actions_use_exists_in_the_domain(domain):
    import re

    source = "".join(
        p.read_text(encoding="utf-8")
        for p in (Path(__file__).resolve().parents[2] / "actions").glob("*.py")
    )
    used = set(re.findall(r'"(utter_[a-z_]+)"', source))
    assert used and used <= set(domain["responses"])
