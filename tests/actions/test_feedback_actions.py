"""Feedback (compliments, suggestions, reviews) against the real backend app."""

from __future__ import annotations

import pytest
from customer_helpers import customer_with_email, slot_values
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.feedback import (
    ActionComplainInsteadOfFeedback,
    ActionStartFeedback,
    ActionStopFeedback,
    ActionSubmitFeedback,
    ValidateFeedbackForm,
    feedback_kind,
    store_from_text,
)
from crm_backend.models import Feedback

FORM = "feedback_form"


async def start(tracker_factory, dispatcher, domain, text, store=None):
    tracker = tracker_factory(
        text=text,
        intent="give_feedback",
        entities={"store": store} if store else None,
        active_loop=None,
    )
    return slot_values(await ActionStartFeedback().run(dispatcher, tracker, domain))


async def test_opening_message_fills_what_it_says(tracker_factory, dispatcher, domain, said):
    slots = await start(
        tracker_factory, dispatcher, domain, "your Mong Kok staff were great", "Mong Kok"
    )
    assert slots == {
        "feedback_text": "your Mong Kok staff were great",
        "feedback_rating": None,
        "feedback_store": "Mong Kok",
        "complaint_offered": False,
    }
    slots = await start(tracker_factory, dispatcher, domain, "5 stars for the staff in tst")
    assert (slots["feedback_rating"], slots["feedback_store"]) == ("5", "Tsim Sha Tsui")
    slots = await start(tracker_factory, dispatcher, domain, "I want to leave a review")
    assert slots["feedback_text"] is None  # asked for
    assert said() == []


async def test_a_complaint_in_disguise_is_offered_the_complaint_form(
    tracker_factory, dispatcher, domain, said
):
    text = "want to leave a review: the staff in causeway bay were so rude to my mum"
    slots = await start(tracker_factory, dispatcher, domain, text)
    assert said() == ["utter_feedback_sounds_like_complaint"]
    assert slots["complaint_offered"] is True
    assert slots["feedback_text"] == text

    yes = tracker_factory(text="yes", intent="affirm", active_loop=None, slots=slots)
    events = slot_values(await ActionComplainInsteadOfFeedback().run(dispatcher, yes, domain))
    assert events["complaint_description"] == text
    assert events["feedback_text"] is None
    assert events["complaint_offered"] is False


@pytest.mark.parametrize(
    ("text", "expected", "response"),
    [
        ("4 stars", "4", None),
        ("two", "2", None),
        ("5/5", "5", None),
        ("skip", "skip", None),
        ("no thanks", "skip", None),
        ("seven", None, "utter_invalid_rating"),
        ("meh", None, "utter_invalid_rating"),
        ("10", None, "utter_invalid_rating"),
    ],
)
async def test_rating_answers(tracker_factory, dispatcher, domain, said, text, expected, response):
    tracker = tracker_factory(
        text=text,
        active_loop=FORM,
        slots={"feedback_text": "nice shop", "requested_slot": "feedback_rating"},
        candidates={"feedback_rating": text},
    )
    slots = slot_values(await ValidateFeedbackForm().run(dispatcher, tracker, domain))
    assert slots["feedback_rating"] == expected
    assert said() == ([response] if response else [])


async def test_correcting_the_shop_while_asked_for_a_rating(
    tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="sorry, it was the sha tin shop actually",
        entities={"store": "Sha Tin"},
        active_loop=FORM,
        slots={
            "feedback_text": "nice shop",
            "feedback_store": "Mong Kok",
            "requested_slot": "feedback_rating",
        },
        candidates={
            "feedback_store": "Sha Tin",
            "feedback_rating": "sorry, it was the sha tin shop actually",
        },
    )
    slots = slot_values(await ValidateFeedbackForm().run(dispatcher, tracker, domain))
    assert slots["feedback_store"] == "Sha Tin"
    assert slots["feedback_rating"] is None
    assert said() == []  # no "choose 1 to 5" scolding: the rating is simply asked again


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TST", "Tsim Sha Tsui"),
        ("the mongkok one", "Mong Kok"),
        ("Causeway Bay", "Causeway Bay"),
        ("it was online", "Online"),
        ("沙田", "Sha Tin"),
        ("yuen long", None),
    ],
)
def test_shop_names(text, expected):
    assert store_from_text(text) == expected


async def test_unknown_shop_is_asked_again_and_no_shop_is_fine(
    tracker_factory, dispatcher, domain, said
):
    def tracker(text):
        return tracker_factory(
            text=text,
            active_loop=FORM,
            slots={
                "feedback_text": "nice",
                "feedback_rating": "4",
                "requested_slot": "feedback_store",
            },
            candidates={"feedback_store": text},
        )

    assert (
        slot_values(await ValidateFeedbackForm().run(dispatcher, tracker("yuen long"), domain))[
            "feedback_store"
        ]
        is None
    )
    assert (
        slot_values(
            await ValidateFeedbackForm().run(dispatcher, tracker("not about a shop"), domain)
        )["feedback_store"]
        == "none"
    )
    assert said() == ["utter_invalid_store"]


@pytest.mark.parametrize(
    ("text", "rating", "kind"),
    [
        ("suggestion: open earlier on Sundays", None, "suggestion"),
        ("your Mong Kok staff were great", None, "compliment"),
        ("the shop was ok, a bit crowded", 3, "review"),
        ("the shop was ok", 5, "compliment"),
    ],
)
def test_feedback_kind(text, rating, kind):
    assert feedback_kind(text, rating) == kind


async def test_guest_feedback_is_recorded(
    backend, session, tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="/inform",
        active_loop=None,
        sender_id="conv-feedback-guest",
        slots={
            "feedback_text": "Suggestion: open earlier on Sundays",
            "feedback_rating": "skip",
            "feedback_store": "Online",
        },
    )
    events = await ActionSubmitFeedback().run(dispatcher, tracker, domain)
    assert said() == ["utter_feedback_thanks"]
    assert slot_values(events)["outcome"] == "done"
    assert slot_values(events)["feedback_text"] is None
    session.rollback()
    stored = session.scalar(
        select(Feedback).where(Feedback.conversation_id == "conv-feedback-guest")
    )
    assert (stored.kind, stored.rating, stored.store_name, stored.customer_id) == (
        "suggestion",
        None,
        "Online",
        None,
    )


async def test_signed_in_low_rating_is_recorded_for_the_customer(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = customer_with_email(session, 7)
    tracker = tracker_factory(
        text="2",
        active_loop=None,
        token=headers.customer_token(customer.customer_no),
        sender_id="conv-feedback-signed-in",
        slots={"feedback_text": "Queue was long", "feedback_rating": "2", "feedback_store": "none"},
    )
    await ActionSubmitFeedback().run(dispatcher, tracker, domain)
    assert said() == ["utter_feedback_thanks_low"]
    session.rollback()
    stored = session.scalar(
        select(Feedback).where(Feedback.conversation_id == "conv-feedback-signed-in")
    )
    assert (stored.rating, stored.store_name, stored.customer_id) == (2, None, customer.id)


async def test_backend_down_keeps_the_feedback_for_try_again(
    backend_down, tracker_factory, dispatcher, domain, said
):
    answers = {"feedback_text": "Lovely staff", "feedback_rating": "5", "feedback_store": "Central"}
    tracker = tracker_factory(text="5", active_loop=None, slots=answers)
    events = await ActionSubmitFeedback().run(dispatcher, tracker, domain)
    assert said() == ["utter_feedback_backend_down"]
    assert events == [SlotSet("outcome", "failed")]
    retry = tracker_factory(
        text="/give_feedback", intent="give_feedback", active_loop=None, slots=answers
    )
    assert await ActionStartFeedback().run(dispatcher, retry, domain) == [
        SlotSet("complaint_offered", False)
    ]


async def test_stop_forgets_the_answers(tracker_factory, dispatcher, domain, said):
    tracker = tracker_factory(text="stop", intent="stop", slots={"feedback_text": "half"})
    events = slot_values(await ActionStopFeedback().run(dispatcher, tracker, domain))
    assert events == {"feedback_text": None, "feedback_rating": None, "feedback_store": None}
    assert said() == ["utter_feedback_stopped"]


async def test_a_form_started_with_reset_slots_says_nothing(
    tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="I want to leave a review",
        intent="give_feedback",
        active_loop=FORM,
        candidates={"feedback_text": None, "feedback_rating": None, "feedback_store": None},
    )
    await ValidateFeedbackForm().run(dispatcher, tracker, domain)
    assert said() == []
