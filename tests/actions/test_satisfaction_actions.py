"""The satisfaction follow-up pushed after a complaint is resolved, against the real backend
app: ratings as typed, the happy and the unhappy outcome, a second answer, a dead backend."""

from __future__ import annotations

import pytest
from customer_helpers import (
    file_complaint,
    followup_token_for,
    resolve_and_send_followup,
    slot_values,
    stored_complaint,
)

from actions.satisfaction import (
    ActionStartSatisfaction,
    ActionSubmitSatisfaction,
    ValidateSatisfactionForm,
)
from actions.verification import complaint_ref_from_text

FORM = "satisfaction_form"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "2"),
        ("two", "2"),
        ("4 stars", "4"),
        ("5/5", "5"),
        ("1 - nobody called me back", "1"),
        ("seven", None),
        ("meh", None),
        ("10", None),
        ("0", None),
    ],
)
async def test_ratings_as_customers_type_them(
    tracker_factory, dispatcher, domain, said, text, expected
):
    tracker = tracker_factory(
        text=text,
        active_loop=FORM,
        slots={"csat_ref": "CMP-000123", "requested_slot": "csat_rating"},
        candidates={"csat_rating": text},
    )
    slots = slot_values(await ValidateSatisfactionForm().run(dispatcher, tracker, domain))
    assert slots["csat_rating"] == expected
    assert said() == ([] if expected else ["utter_invalid_csat_rating"])


async def test_a_new_followup_starts_from_a_clean_rating(tracker_factory, dispatcher, domain):
    pushed = tracker_factory(
        text="",
        intent="EXTERNAL_satisfaction_followup",
        entities={"complaint_ref": "CMP-000123", "followup_token": "tok"},
        active_loop=None,
        slots={"csat_rating": "4"},
    )
    assert slot_values(await ActionStartSatisfaction().run(dispatcher, pushed, domain)) == {
        "csat_rating": None
    }
    retry = tracker_factory(
        text="/EXTERNAL_satisfaction_followup",
        intent="EXTERNAL_satisfaction_followup",
        active_loop=None,
        slots={"csat_rating": "4"},
    )
    assert await ActionStartSatisfaction().run(dispatcher, retry, domain) == []


async def outstanding_followup(backend, session, headers, settings, category="delivery"):
    reference = (await file_complaint(backend, category=category))["reference"]
    await resolve_and_send_followup(backend, session, headers, reference)
    return reference, followup_token_for(settings, reference)


def rating_tracker(tracker_factory, reference, token, rating):
    return tracker_factory(
        text=rating,
        active_loop=None,
        slots={"csat_ref": reference, "followup_token": token, "csat_rating": rating},
    )


async def test_happy_rating_closes_and_a_second_answer_is_thanked(
    backend, session, headers, settings, tracker_factory, dispatcher, domain, said
):
    reference, token = await outstanding_followup(backend, session, headers, settings)
    events = await ActionSubmitSatisfaction().run(
        dispatcher, rating_tracker(tracker_factory, reference, token, "5"), domain
    )
    assert said() == ["utter_csat_thanks"]
    assert slot_values(events) == {"csat_rating": None, "followup_token": None}
    complaint = stored_complaint(session, reference)
    assert (complaint.status, complaint.csat_score) == ("closed", 5)

    await ActionSubmitSatisfaction().run(
        dispatcher, rating_tracker(tracker_factory, reference, token, "4"), domain
    )
    assert said()[-1] == "utter_csat_already_rated"
    assert stored_complaint(session, reference).csat_score == 5


async def test_unhappy_rating_reopens_escalates_and_offers_recovery(
    backend, session, headers, settings, tracker_factory, dispatcher, domain, said
):
    reference, token = await outstanding_followup(backend, session, headers, settings)
    await ActionSubmitSatisfaction().run(
        dispatcher, rating_tracker(tracker_factory, reference, token, "2"), domain
    )
    complaint = stored_complaint(session, reference)
    assert complaint.status == "in_progress"
    assert complaint.escalation_level >= 1
    offer = complaint.recovery_offer
    expected_offer = {
        "priority_callback": "utter_recovery_offer_priority_callback",
        "voucher_hkd_100": "utter_recovery_offer_voucher",
        "voucher_hkd_50": "utter_recovery_offer_voucher",
    }[offer]
    assert said()[:2] == ["utter_csat_reopened", expected_offer]
    assert said()[2] in ("utter_csat_next_steps", "utter_csat_next_steps_callback")
    if expected_offer == "utter_recovery_offer_voucher":
        assert dispatcher.messages[1]["amount"] == offer.rsplit("_", 1)[1]


async def test_rating_without_a_valid_token_is_not_recorded(
    backend, session, headers, settings, tracker_factory, dispatcher, domain, said
):
    reference, _token = await outstanding_followup(backend, session, headers, settings)
    await ActionSubmitSatisfaction().run(
        dispatcher, rating_tracker(tracker_factory, reference, "forged", "1"), domain
    )
    # Another complaint's follow-up token does not rate this one either.
    other = followup_token_for(settings, "CMP-000001")
    await ActionSubmitSatisfaction().run(
        dispatcher, rating_tracker(tracker_factory, reference, other, "1"), domain
    )
    assert said() == ["utter_csat_cannot_record", "utter_csat_cannot_record"]
    assert stored_complaint(session, reference).csat_score is None


async def test_backend_down_keeps_the_rating_for_try_again(
    backend_down, tracker_factory, dispatcher, domain, said
):
    events = await ActionSubmitSatisfaction().run(
        dispatcher, rating_tracker(tracker_factory, "CMP-000123", "tok", "3"), domain
    )
    assert said() == ["utter_csat_backend_down"]
    assert events == []


def test_reference_in_the_push_is_normalised():
    assert complaint_ref_from_text("cmp-000123") == "CMP-000123"
