"""Where is my order: signed-in customers, guests with a one-time code, late or damaged
orders offered a complaint, against the real backend app."""

from __future__ import annotations

import pytest
from customer_helpers import latest_code, slot_values
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.orders import (
    ActionAskOrderNo,
    ActionAskOrderRef,
    ActionComplainAboutOrder,
    ActionOrderStatus,
    ActionStartOrderStatus,
    ValidateOrderStatusForm,
)
from actions.verification import ActionAskVerificationCode
from crm_backend.models import Customer, Order
from crm_backend.services.contacts import normalise_email

FORM = "order_status_form"
UNDELIVERED = ("placed", "paid", "shipped")


def orders_where(session, *conditions):
    query = (
        select(Order, Customer)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Customer.email.contains("@"), *conditions)
        .order_by(Order.id)
    )
    rows = session.execute(query).all()
    # Only customers a code can reach (about one profile in ten is deliberately malformed).
    return [(order, customer) for order, customer in rows if normalise_email(customer.email)]


def late_order(session, index=0):
    rows = orders_where(session, Order.channel == "online", Order.status.in_(UNDELIVERED))
    return rows[index]


def delivered_order(session, channel="store", index=0):
    rows = orders_where(session, Order.channel == channel, Order.status == "completed")
    return rows[index]


def status_tracker(tracker_factory, order_no, **kwargs):
    slots = {"order_ref": order_no, **kwargs.pop("slots", {})}
    return tracker_factory(text="", active_loop=None, slots=slots, **kwargs)


async def test_signed_in_customer_sees_their_shop_order(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    order, customer = delivered_order(session, "store")
    token = headers.customer_token(customer.customer_no)
    events = await ActionOrderStatus().run(
        dispatcher, status_tracker(tracker_factory, order.order_no, token=token), domain
    )
    assert said() == ["utter_order_status_store", "utter_order_items"]
    status = dispatcher.messages[0]
    assert status["store_name"] == order.store_name
    assert status["status_label"] == "completed"
    assert "x" in dispatcher.messages[1]["items"]
    # A complaint would link to it; no complaint is offered.
    assert slot_values(events) == {"order_no": order.order_no, "complaint_offered": False}


async def test_late_order_is_offered_a_linked_complaint(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    order, customer = late_order(session)
    token = headers.customer_token(customer.customer_no)
    events = await ActionOrderStatus().run(
        dispatcher, status_tracker(tracker_factory, order.order_no, token=token), domain
    )
    assert said() == [
        "utter_order_status_online",
        "utter_order_expected_by",
        "utter_order_items",
        "utter_offer_complaint_late_order",
    ]
    assert slot_values(events)["complaint_offered"] is True

    yes = tracker_factory(text="yes", intent="affirm", active_loop=None, slots=slot_values(events))
    prefilled = slot_values(await ActionComplainAboutOrder().run(dispatcher, yes, domain))
    assert prefilled["order_no"] == order.order_no
    assert prefilled["complaint_category"] == "delivery"
    assert prefilled["complaint_offered"] is False


async def test_damaged_order_is_offered_a_complaint(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    order, customer = delivered_order(session, "online")
    token = headers.customer_token(customer.customer_no)
    opening = tracker_factory(
        text=f"my parcel {order.order_no} arrived damaged",
        intent="order_status",
        entities={"order_no": order.order_no},
        active_loop=None,
        token=token,
    )
    start = slot_values(await ActionStartOrderStatus().run(dispatcher, opening, domain))
    assert start == {"order_ref": order.order_no, "order_damaged": True, "verification_code": None}
    events = await ActionOrderStatus().run(
        dispatcher,
        status_tracker(tracker_factory, order.order_no, token=token, slots=start),
        domain,
    )
    assert said()[-1] == "utter_offer_complaint_damaged_order"
    assert slot_values(events)["complaint_offered"] is True


async def test_someone_elses_order_looks_like_an_unknown_one(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    order, owner = delivered_order(session, "store", 0)
    other = session.scalars(
        select(Customer).where(Customer.id != owner.id).order_by(Customer.id)
    ).first()
    token = headers.customer_token(other.customer_no)
    for order_no in (order.order_no, "ORD-99999999"):
        tracker = tracker_factory(
            text=order_no,
            token=token,
            active_loop=FORM,
            slots={"requested_slot": "order_ref"},
            candidates={"order_ref": order_no},
        )
        slots = slot_values(await ValidateOrderStatusForm().run(dispatcher, tracker, domain))
        assert slots["order_ref"] is None
        events = await ActionOrderStatus().run(
            dispatcher, status_tracker(tracker_factory, order_no, token=token), domain
        )
        assert slot_values(events) == {"order_ref": None, "complaint_offered": False}
    assert said() == ["utter_order_not_on_account"] * 4


@pytest.mark.parametrize("text", ["12345", "my order", "ORD-123"])
async def test_malformed_order_number_is_asked_again(
    tracker_factory, dispatcher, domain, said, text
):
    tracker = tracker_factory(
        text=text,
        active_loop=FORM,
        slots={"requested_slot": "order_ref"},
        candidates={"order_ref": text},
    )
    slots = slot_values(await ValidateOrderStatusForm().run(dispatcher, tracker, domain))
    assert slots["order_ref"] is None
    assert said() == ["utter_invalid_order_no"]


async def test_signed_in_without_order_number_picks_from_recent_orders(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    order, customer = late_order(session, 1)
    token = headers.customer_token(customer.customer_no)
    ask = tracker_factory(
        text="where is my order", intent="order_status", active_loop=FORM, token=token
    )
    await ActionAskOrderRef().run(dispatcher, ask, domain)
    assert said() == ["utter_ask_order_ref_pick"]
    payloads = [button["payload"] for button in dispatcher.messages[0]["buttons"]]
    assert f'/order_status{{"order_no":"{order.order_no}"}}' in payloads

    # The complaint form's order question offers them too.
    await ActionAskOrderNo().run(dispatcher, ask, domain)
    assert said()[-1] == "utter_ask_order_no_signed_in"
    assert f'/inform{{"order_no":"{order.order_no}"}}' in [
        button["payload"] for button in dispatcher.messages[-1]["buttons"]
    ]


async def test_guest_is_asked_to_sign_in_or_give_the_order_number(
    tracker_factory, dispatcher, domain, said
):
    ask = tracker_factory(text="where is my order", intent="order_status", active_loop=FORM)
    await ActionAskOrderRef().run(dispatcher, ask, domain)
    await ActionAskOrderNo().run(dispatcher, ask, domain)
    assert said() == ["utter_ask_order_ref_guest", "utter_ask_order_no"]


async def test_guest_verifies_with_a_code_and_sees_the_order(
    backend, session, tracker_factory, dispatcher, domain, said
):
    order, customer = late_order(session, 2)
    ask = tracker_factory(
        text=order.order_no, active_loop=FORM, slots={"order_ref": order.order_no}
    )
    asked = slot_values(await ActionAskVerificationCode().run(dispatcher, ask, domain))
    code = latest_code(session, normalise_email(customer.email))
    tracker = tracker_factory(
        text=code,
        active_loop=FORM,
        slots={"order_ref": order.order_no, "requested_slot": "verification_code", **asked},
        candidates={"verification_code": code},
    )
    slots = slot_values(await ValidateOrderStatusForm().run(dispatcher, tracker, domain))
    assert slots["verified_token"]  # a customer token: the guest now counts as signed in
    assert slots["requested_slot"] is None

    verified = status_tracker(
        tracker_factory, order.order_no, slots={"verified_token": slots["verified_token"]}
    )
    await ActionOrderStatus().run(dispatcher, verified, domain)
    assert said() == [
        "utter_verification_code_sent",
        "utter_order_status_online",
        "utter_order_expected_by",
        "utter_order_items",
        "utter_offer_complaint_late_order",
    ]


async def test_guest_without_verification_is_not_shown_the_order(
    tracker_factory, dispatcher, domain, said
):
    events = await ActionOrderStatus().run(
        dispatcher, status_tracker(tracker_factory, "ORD-00000001"), domain
    )
    assert said() == ["utter_order_not_verified"]
    assert slot_values(events) == {"verification_code": None, "complaint_offered": False}


async def test_backend_down_says_try_again(backend_down, tracker_factory, dispatcher, domain, said):
    events = await ActionOrderStatus().run(
        dispatcher, status_tracker(tracker_factory, "ORD-00012345", token="t"), domain
    )
    assert said() == ["utter_order_backend_down"]
    assert events == [SlotSet("complaint_offered", False)]
    # The order question of a complaint still works (without buttons).
    await ActionAskOrderNo().run(dispatcher, tracker_factory(text="", token="t"), domain)
    assert said()[-1] == "utter_ask_order_no"


async def test_expired_sign_in_is_said(backend, tracker_factory, dispatcher, domain, said):
    await ActionOrderStatus().run(
        dispatcher, status_tracker(tracker_factory, "ORD-00000001", token="forged"), domain
    )
    assert said() == ["utter_sign_in_expired"]


async def test_a_form_started_with_reset_slots_says_nothing_but_its_question(
    tracker_factory, dispatcher, domain, said
):
    tracker = tracker_factory(
        text="where is my order",
        intent="order_status",
        active_loop=FORM,
        candidates={"order_ref": None, "verification_code": None},
    )
    slots = slot_values(await ValidateOrderStatusForm().run(dispatcher, tracker, domain))
    assert said() == []
    assert slots.get("requested_slot", "order_ref") == "order_ref"
