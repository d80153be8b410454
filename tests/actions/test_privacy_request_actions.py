"""Marketing preferences and a copy of one's data: signed-in customers, guests (by a code to
a contact on file, or for an opt-out by the contact alone), consent to the direct-marketing
statement, and tokens that reach only their own customer, against the real backend app."""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from customer_helpers import latest_code, slot_values
from sqlalchemy import func, select

from actions.data_requests import (
    ActionStartDataRequest,
    ActionSubmitDataRequest,
    ValidateDataRequestForm,
    summary_link,
)
from actions.marketing import (
    ActionAskMarketingChoice,
    ActionAskMarketingConsent,
    ActionStartMarketing,
    ActionSubmitMarketing,
    ValidateMarketingForm,
    channels_from_text,
    choice_from_text,
)
from actions.verification import ActionAskVerificationCode
from crm_backend.models import Complaint, Consent, Customer, DataRequest, Order
from crm_backend.services.contacts import normalise_email
from crm_backend.services.tokens import Principal, issue_token

MARKETING = "marketing_form"
DATA = "data_request_form"
PUBLIC_URL = "https://shop.example.hk"
HONG_KONG = ZoneInfo("Asia/Hong_Kong")


def reachable_customers(session) -> list[Customer]:
    """Customers whose email is valid and on no other account (a code can reach them).
    Taken from the end of the list: other test modules use the first customers."""
    customers = session.scalars(select(Customer).order_by(Customer.id)).all()
    emails = Counter(normalise_email(c.email) for c in customers if c.email)
    return [
        customer
        for customer in reversed(customers)
        if customer.email
        and normalise_email(customer.email)
        and emails[normalise_email(customer.email)] == 1
    ]


def pick(session, index: int) -> Customer:
    return reachable_customers(session)[index]


async def preferences(backend, customer_no: str, headers) -> dict[str, bool]:
    current = await backend.get_marketing_preferences(
        user_token=headers.customer_token(customer_no)
    )
    return {channel: state["opted_in"] for channel, state in current["channels"].items()}


async def opt_in_directly(backend, headers, customer_no: str, channel: str) -> None:
    token = headers.customer_token(customer_no)
    current = await backend.get_marketing_preferences(user_token=token)
    await backend.set_marketing_preference(
        channel,
        {
            "opted_in": True,
            "consent": True,
            "statement_version": current["statement"]["version"],
            "channel": "web",
        },
        user_token=token,
    )


def consents_of(session, customer: Customer) -> list[Consent]:
    session.rollback()  # see what the backend committed
    return list(
        session.scalars(
            select(Consent).where(Consent.customer_id == customer.id).order_by(Consent.id.desc())
        )
    )


def data_requests_count(session, customer: Customer | None = None) -> int:
    session.rollback()
    query = select(func.count()).select_from(DataRequest)
    if customer is not None:
        query = query.where(DataRequest.customer_id == customer.id)
    return int(session.scalar(query) or 0)


def forged_token(settings, customer_no: str) -> str:
    """A well-formed customer token for ``customer_no`` signed with someone else's key."""
    other = settings.model_copy(update={"signing_key": secrets.token_urlsafe(32)})
    token, _ = issue_token(other, Principal(kind="customer", subject=customer_no))
    return token


async def run_form(form, dispatcher, tracker, domain) -> dict:
    return slot_values(await form.run(dispatcher, tracker, domain))


async def download(app, url: str) -> httpx.Response:
    """Follows a link from the chat through the app itself."""
    parts = urlsplit(url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://backend.test"
    ) as http:
        return await http.get(f"{parts.path}?{parts.query}")


# --- reading what customers say ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choice", "channels"),
    [
        ("stop sending me SMS", "opt_out", ["sms"]),
        ("unsubscribe me from your emails", "opt_out", ["email"]),
        ("no more promotional calls", "opt_out", ["phone"]),
        ("I want to get offers by email", "opt_in", ["email"]),
        ("sign me up for your newsletter", "opt_in", ["email"]),
        ("唔好再send廣告SMS俾我", "opt_out", ["sms"]),
        ("stop all marketing", "opt_out", ["email", "sms", "phone"]),
        ("stop all the promotional sms", "opt_out", ["sms"]),
        ("i don't want any more promo emails", "opt_out", ["email"]),
        ("please stop the marketing texts and calls", "opt_out", ["sms", "phone"]),
        ("我想收你哋嘅優惠電郵", "opt_in", ["email"]),
        ("manage my marketing preferences", None, []),
    ],
)
def test_choice_and_channels_are_read_from_the_words(text, choice, channels):
    assert choice_from_text(text) == choice
    assert channels_from_text(text) == channels


# --- opting out -------------------------------------------------------------------------


async def test_signed_in_opt_out_is_immediate_and_records_the_withdrawal(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 0)
    await opt_in_directly(backend, headers, customer.customer_no, "sms")
    assert (await preferences(backend, customer.customer_no, headers))["sms"] is True
    token = headers.customer_token(customer.customer_no)

    opening = tracker_factory(
        text="stop sending me SMS",
        intent="marketing_preferences",
        entities={"marketing_channel": "sms"},
        token=token,
        active_loop=None,
    )
    start = slot_values(await ActionStartMarketing().run(dispatcher, opening, domain))
    assert start["marketing_choice"] == "opt_out"
    assert start["marketing_channel"] == "sms"
    # Nothing more to ask a signed-in customer: the form ends at once.
    form = tracker_factory(text="stop sending me SMS", token=token, active_loop=MARKETING,
                           slots=start)  # fmt: skip
    assert (await run_form(ValidateMarketingForm(), dispatcher, form, domain))[
        "requested_slot"
    ] is None

    done = tracker_factory(text="", token=token, active_loop=None, slots=start,
                           sender_id="conv-opt-out")  # fmt: skip
    events = slot_values(await ActionSubmitMarketing().run(dispatcher, done, domain))
    assert events["outcome"] == "done"
    assert said() == ["utter_marketing_opted_out"]
    assert dispatcher.messages[0]["channels"] == "SMS"

    assert (await preferences(backend, customer.customer_no, headers))["sms"] is False
    withdrawal = consents_of(session, customer)[0]
    assert withdrawal.purpose == "direct_marketing_sms"
    assert withdrawal.granted is False
    assert withdrawal.channel == "chat"
    assert withdrawal.conversation_id == "conv-opt-out"


async def test_signed_in_opt_out_without_a_channel_stops_all_of_them(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 1)
    for channel in ("email", "phone"):
        await opt_in_directly(backend, headers, customer.customer_no, channel)
    token = headers.customer_token(customer.customer_no)
    slots = {"marketing_choice": "opt_out", "marketing_channel": None}
    done = tracker_factory(text="", token=token, active_loop=None, slots=slots)
    await ActionSubmitMarketing().run(dispatcher, done, domain)
    assert said() == ["utter_marketing_opted_out"]
    assert dispatcher.messages[0]["channels"] == "email, SMS and phone calls"
    assert await preferences(backend, customer.customer_no, headers) == {
        "email": False,
        "sms": False,
        "phone": False,
    }


async def test_guest_opt_out_answers_the_same_for_unknown_and_known_contacts(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    known = pick(session, 2)
    await opt_in_directly(backend, headers, known.customer_no, "email")
    unknown = f"nobody.{uuid.uuid4().hex[:8]}@example.com"

    # A guest is asked which contact should stop (not for proof of identity).
    opening = tracker_factory(text="unsubscribe me from your emails",
                              intent="marketing_preferences", active_loop=None)  # fmt: skip
    start = slot_values(await ActionStartMarketing().run(dispatcher, opening, domain))
    form = tracker_factory(text="", active_loop=MARKETING, slots=start)
    assert (await run_form(ValidateMarketingForm(), dispatcher, form, domain))[
        "requested_slot"
    ] == "marketing_contact"
    bad = tracker_factory(text="my email", active_loop=MARKETING,
                          slots={**start, "requested_slot": "marketing_contact"},
                          candidates={"marketing_contact": "my email"})  # fmt: skip
    assert (await run_form(ValidateMarketingForm(), dispatcher, bad, domain))[
        "marketing_contact"
    ] is None
    assert said() == ["utter_marketing_contact_invalid"]

    answers = []
    for contact in (unknown, known.email):
        answer = tracker_factory(text=contact, active_loop=MARKETING,
                                 slots={**start, "requested_slot": "marketing_contact"},
                                 candidates={"marketing_contact": contact})  # fmt: skip
        filled = await run_form(ValidateMarketingForm(), dispatcher, answer, domain)
        assert filled["requested_slot"] is None
        dispatcher.messages.clear()
        done = tracker_factory(text="", active_loop=None, slots={**start, **filled})
        events = slot_values(await ActionSubmitMarketing().run(dispatcher, done, domain))
        assert events["marketing_contact"] is None  # not kept
        assert events["outcome"] == "done"
        answers.append(list(dispatcher.messages))
    assert answers[0] == answers[1]
    assert [m["response"] for m in answers[0]] == ["utter_marketing_contact_opted_out"]
    assert known.email not in str(answers[1])

    assert (await preferences(backend, known.customer_no, headers))["email"] is False
    withdrawal = consents_of(session, known)[0]
    assert (withdrawal.purpose, withdrawal.granted) == ("direct_marketing_email", False)


# --- opting in --------------------------------------------------------------------------


async def test_opt_in_needs_an_explicit_yes_to_the_statement(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 3)
    token = headers.customer_token(customer.customer_no)
    before = await preferences(backend, customer.customer_no, headers)
    assert before["email"] is False
    consents_before = len(consents_of(session, customer))

    opening = tracker_factory(text="I want to get offers by email",
                              intent="marketing_preferences", token=token,
                              active_loop=None)  # fmt: skip
    slots = slot_values(await ActionStartMarketing().run(dispatcher, opening, domain))
    assert (slots["marketing_choice"], slots["marketing_channel"]) == ("opt_in", "email")
    form = tracker_factory(text="", token=token, active_loop=MARKETING, slots=slots)
    assert (await run_form(ValidateMarketingForm(), dispatcher, form, domain))[
        "requested_slot"
    ] == "marketing_consent"

    # The statement is shown word for word, with its version.
    statement = (await backend.get_marketing_preferences(user_token=token))["statement"]
    asked = slot_values(await ActionAskMarketingConsent().run(dispatcher, form, domain))
    assert asked == {"marketing_statement_version": statement["version"]}
    shown = dispatcher.messages[-1]
    assert shown["response"] == "utter_ask_marketing_consent"
    assert (shown["title"], shown["version"], shown["statement"]) == (
        statement["title"],
        statement["version"],
        statement["text"],
    )
    assert shown["channels"] == "email"
    slots |= asked

    # Anything but a yes or no is asked again.
    unclear = tracker_factory(text="what will you send?", token=token, active_loop=MARKETING,
                              slots={**slots, "requested_slot": "marketing_consent"},
                              candidates={"marketing_consent": "what will you send?"})  # fmt: skip
    again = await run_form(ValidateMarketingForm(), dispatcher, unclear, domain)
    assert again["marketing_consent"] is None
    assert again["requested_slot"] == "marketing_consent"
    assert said()[-1] == "utter_marketing_consent_yes_or_no"

    # No: nothing changes, nothing is recorded.
    declined = tracker_factory(text="", token=token, active_loop=None,
                               slots={**slots, "marketing_consent": False})  # fmt: skip
    await ActionSubmitMarketing().run(dispatcher, declined, domain)
    assert said()[-1] == "utter_marketing_consent_declined"
    assert await preferences(backend, customer.customer_no, headers) == before
    assert len(consents_of(session, customer)) == consents_before

    # Yes: opted in, on a consent naming the statement version shown.
    agreed = tracker_factory(text="", token=token, active_loop=None,
                             slots={**slots, "marketing_consent": True},
                             sender_id="conv-opt-in")  # fmt: skip
    events = slot_values(await ActionSubmitMarketing().run(dispatcher, agreed, domain))
    assert events["outcome"] == "done"
    assert said()[-1] == "utter_marketing_opted_in"
    assert (await preferences(backend, customer.customer_no, headers))["email"] is True
    consent = consents_of(session, customer)[0]
    assert consent.purpose == "direct_marketing_email"
    assert consent.granted is True
    assert consent.statement_version == statement["version"]
    assert consent.conversation_id == "conv-opt-in"


@pytest.mark.parametrize(
    ("typed", "value", "expected"),
    [
        ("email", "email", "email"),
        ("email", "contact", "email"),  # "email" is also a synonym of a complaint field
        ("短訊", "短訊", "sms"),
        ("all three", "all", "email,sms,phone"),
        ("sms and calls", "sms and calls", "sms,phone"),
        ("pigeon post", "pigeon post", None),
    ],
)
async def test_the_channel_answer_is_read_from_the_words(
    tracker_factory, dispatcher, domain, said, typed, value, expected
):
    answer = tracker_factory(text=typed, active_loop=MARKETING,
                             slots={"marketing_choice": "opt_in", "requested_slot":
                                    "marketing_channel", "verified_token": "t"},
                             candidates={"marketing_channel": value})  # fmt: skip
    filled = await run_form(ValidateMarketingForm(), dispatcher, answer, domain)
    assert filled["marketing_channel"] == expected
    assert said() == ([] if expected else ["utter_marketing_channel_invalid"])


async def test_guest_opt_in_asks_for_identity_first(tracker_factory, dispatcher, domain, said):
    slots = {"marketing_choice": "opt_in", "marketing_channel": None}
    form = tracker_factory(text="", active_loop=MARKETING, slots=slots)
    assert (await run_form(ValidateMarketingForm(), dispatcher, form, domain))[
        "requested_slot"
    ] == "identity_contact"
    # Without a token nothing can be switched on.
    done = tracker_factory(text="", active_loop=None,
                           slots={**slots, "marketing_channel": "email",
                                  "marketing_consent": True})  # fmt: skip
    events = slot_values(await ActionSubmitMarketing().run(dispatcher, done, domain))
    assert events["outcome"] == "failed"
    assert said() == ["utter_marketing_not_verified"]


async def test_guest_verifies_by_code_then_opts_in(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 4)
    slots = {"marketing_choice": "opt_in", "marketing_channel": "sms",
             "identity_contact": customer.email}  # fmt: skip
    ask = tracker_factory(text=customer.email, active_loop=MARKETING, slots=slots)
    slots |= slot_values(await ActionAskVerificationCode().run(dispatcher, ask, domain))
    code = latest_code(session, normalise_email(customer.email))
    typed = tracker_factory(text=code, active_loop=MARKETING,
                            slots={**slots, "requested_slot": "verification_code"},
                            candidates={"verification_code": code})  # fmt: skip
    slots |= await run_form(ValidateMarketingForm(), dispatcher, typed, domain)
    assert slots["verified_token"]
    assert slots["identity_contact"] is None
    assert slots["requested_slot"] == "marketing_consent"

    form = tracker_factory(text="", active_loop=MARKETING, slots=slots)
    slots |= slot_values(await ActionAskMarketingConsent().run(dispatcher, form, domain))
    done = tracker_factory(text="", active_loop=None,
                           slots={**slots, "marketing_consent": True})  # fmt: skip
    await ActionSubmitMarketing().run(dispatcher, done, domain)
    assert said() == [
        "utter_identity_code_sent",
        "utter_identity_verified",
        "utter_ask_marketing_consent",
        "utter_marketing_opted_in",
    ]
    assert (await preferences(backend, customer.customer_no, headers))["sms"] is True


async def test_manage_shows_the_current_choices_with_buttons(
    backend, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 5)
    await opt_in_directly(backend, headers, customer.customer_no, "email")
    token = headers.customer_token(customer.customer_no)
    ask = tracker_factory(text="manage my marketing preferences", token=token,
                          intent="marketing_preferences", active_loop=MARKETING)  # fmt: skip
    await ActionAskMarketingChoice().run(dispatcher, ask, domain)
    assert said() == ["utter_marketing_current"]
    shown = dispatcher.messages[0]
    assert (shown["email"], shown["sms"], shown["phone"]) == ("on", "off", "off")
    payloads = [button["payload"] for button in shown["buttons"]]
    assert '/inform{"marketing_channel":"email","marketing_choice":"opt_out"}' in payloads
    assert '/inform{"marketing_channel":"sms","marketing_choice":"opt_in"}' in payloads
    assert "/deny" in payloads

    # A guest is asked whether to stop or start.
    await ActionAskMarketingChoice().run(dispatcher, tracker_factory(text=""), domain)
    assert said()[-1] == "utter_ask_marketing_choice"


# --- a copy of one's data ---------------------------------------------------------------


def test_the_summary_link_is_the_same_export_as_text():
    path = "/api/v1/data-exports/abc?expires=1&signature=ff"
    assert summary_link(PUBLIC_URL + path) == PUBLIC_URL + path + "&format=text"


async def test_signed_in_customer_gets_a_working_link_to_only_their_data(
    backend, app, session, headers, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 6)
    token = headers.customer_token(customer.customer_no)
    opening = tracker_factory(text="I want a copy of my data", intent="request_data_copy",
                              token=token, active_loop=None)  # fmt: skip
    slots = slot_values(await ActionStartDataRequest().run(dispatcher, opening, domain))
    form = tracker_factory(text="", token=token, active_loop=DATA, slots=slots)
    assert (await run_form(ValidateDataRequestForm(), dispatcher, form, domain))[
        "requested_slot"
    ] is None

    done = tracker_factory(text="", token=token, active_loop=None, slots=slots)
    events = slot_values(await ActionSubmitDataRequest().run(dispatcher, done, domain))
    assert events["outcome"] == "done"
    assert said() == ["utter_data_copy_ready"]
    ready = dispatcher.messages[0]
    assert ready["reference"].startswith("DAR-")
    assert "/api/v1/data-exports/" in ready["download_url"]
    assert ready["download_url"].startswith(("http://", "https://"))

    response = await download(app, ready["download_url"])
    assert response.status_code == 200
    export = response.json()
    assert export["profile"]["customer_no"] == customer.customer_no
    session.rollback()
    own_orders = set(
        session.scalars(select(Order.order_no).where(Order.customer_id == customer.id))
    )
    assert {order["order_no"] for order in export["orders"]} == own_orders
    own_complaints = set(
        session.scalars(select(Complaint.reference).where(Complaint.customer_id == customer.id))
    )
    assert {c["reference"] for c in export["complaints"]} <= own_complaints

    summary = await download(app, ready["summary_url"])
    assert summary.status_code == 200
    assert summary.headers["content-type"].startswith("text/plain")

    # A link with its signature changed leads nowhere.
    tampered = ready["download_url"].replace("signature=", "signature=0")
    assert (await download(app, tampered)).status_code == 404


async def test_guest_with_an_identity_code_gets_a_completed_export(
    backend, app, session, tracker_factory, dispatcher, domain, said
):
    customer = pick(session, 7)
    slots = {"identity_contact": customer.email}
    ask = tracker_factory(text=customer.email, active_loop=DATA, slots=slots)
    slots |= slot_values(await ActionAskVerificationCode().run(dispatcher, ask, domain))
    code = latest_code(session, normalise_email(customer.email))
    typed = tracker_factory(text=code, active_loop=DATA,
                            slots={**slots, "requested_slot": "verification_code"},
                            candidates={"verification_code": code})  # fmt: skip
    slots |= await run_form(ValidateDataRequestForm(), dispatcher, typed, domain)
    assert slots["verified_token"]
    assert slots["requested_slot"] is None

    done = tracker_factory(text="", active_loop=None, slots=slots)
    await ActionSubmitDataRequest().run(dispatcher, done, domain)
    assert said() == ["utter_identity_code_sent", "utter_identity_verified",
                      "utter_data_copy_ready"]  # fmt: skip
    response = await download(app, dispatcher.messages[-1]["download_url"])
    assert response.status_code == 200
    assert response.json()["profile"]["customer_no"] == customer.customer_no


async def test_guest_who_cannot_verify_has_the_request_logged_with_its_due_date(
    backend, session, tracker_factory, dispatcher, domain, said
):
    contact = f"someone.{uuid.uuid4().hex[:8]}@example.com"
    slots = {"identity_contact": contact, "verification_code": "locked"}
    form = tracker_factory(text="", active_loop=DATA, slots=slots)
    # The code is locked: the form ends (the reason was said when it locked).
    filled = await run_form(ValidateDataRequestForm(), dispatcher, form, domain)
    assert filled.get("requested_slot") is None
    done = tracker_factory(text="", active_loop=None, slots=slots)
    events = slot_values(await ActionSubmitDataRequest().run(dispatcher, done, domain))
    assert events["identity_contact"] is None
    assert events["outcome"] == "done"
    assert said() == ["utter_data_request_logged_unverified"]
    logged = dispatcher.messages[0]
    due = datetime.now(UTC).astimezone(HONG_KONG) + timedelta(days=40)
    assert logged["due_date"] in {
        f"{day.day} {day:%b %Y}" for day in (due - timedelta(days=1), due)
    }
    session.rollback()
    request = session.scalar(
        select(DataRequest).where(DataRequest.reference == logged["reference"])
    )
    assert request is not None
    assert (request.verified, request.status.value) == (False, "open")


async def test_guest_without_verification_gets_no_copy(
    backend, session, tracker_factory, dispatcher, domain, said
):
    before = data_requests_count(session)
    done = tracker_factory(text="", active_loop=None, slots={"identity_contact": None})
    events = slot_values(await ActionSubmitDataRequest().run(dispatcher, done, domain))
    assert events["outcome"] == "failed"
    assert said() == ["utter_data_request_not_verified"]
    assert data_requests_count(session) == before


async def test_backend_down_says_so_and_nothing_is_lost(
    backend_down, tracker_factory, dispatcher, domain, said
):
    done = tracker_factory(text="", token="t", active_loop=None)
    events = slot_values(await ActionSubmitDataRequest().run(dispatcher, done, domain))
    assert events["outcome"] == "failed"
    opt_out = tracker_factory(text="", token="t", active_loop=None,
                              slots={"marketing_choice": "opt_out"})  # fmt: skip
    await ActionSubmitMarketing().run(dispatcher, opt_out, domain)
    guest = tracker_factory(text="", active_loop=None,
                            slots={"marketing_choice": "opt_out",
                                   "marketing_contact": "9123 4567"})  # fmt: skip
    await ActionSubmitMarketing().run(dispatcher, guest, domain)
    assert said() == [
        "utter_data_request_backend_down",
        "utter_marketing_backend_down",
        "utter_marketing_backend_down",
    ]


# --- one customer's token never reaches another's data ----------------------------------


async def test_a_forged_token_changes_nothing_and_is_told_the_sign_in_failed(
    backend, session, settings, headers, tracker_factory, dispatcher, domain, said
):
    victim = pick(session, 8)
    await opt_in_directly(backend, headers, victim.customer_no, "email")
    before = await preferences(backend, victim.customer_no, headers)
    consents_before = len(consents_of(session, victim))
    requests_before = data_requests_count(session, victim)
    forged = forged_token(settings, victim.customer_no)

    opt_out = tracker_factory(text="", token=forged, active_loop=None,
                              slots={"marketing_choice": "opt_out",
                                     "marketing_channel": "email"})  # fmt: skip
    events = slot_values(await ActionSubmitMarketing().run(dispatcher, opt_out, domain))
    assert events["outcome"] == "failed"
    opt_in = tracker_factory(text="", token=forged, active_loop=MARKETING,
                             slots={"marketing_choice": "opt_in",
                                    "marketing_channel": "sms"})  # fmt: skip
    ended = slot_values(await ActionAskMarketingConsent().run(dispatcher, opt_in, domain))
    assert ended == {"marketing_choice": "ended", "requested_slot": None}
    await ActionAskMarketingChoice().run(dispatcher, opt_in, domain)
    copy = tracker_factory(text="", token=forged, active_loop=None)
    events = slot_values(await ActionSubmitDataRequest().run(dispatcher, copy, domain))
    assert events["outcome"] == "failed"

    assert said() == ["utter_sign_in_expired"] * 4
    assert await preferences(backend, victim.customer_no, headers) == before
    assert len(consents_of(session, victim)) == consents_before
    assert data_requests_count(session, victim) == requests_before


async def test_a_customer_token_reaches_only_its_own_preferences_and_export(
    backend, app, session, headers, tracker_factory, dispatcher, domain, said
):
    customer_a, customer_b = pick(session, 9), pick(session, 10)
    await opt_in_directly(backend, headers, customer_b.customer_no, "email")
    before_b = await preferences(backend, customer_b.customer_no, headers)
    token_a = headers.customer_token(customer_a.customer_no)

    # A's "stop all marketing" touches A only.
    stop = tracker_factory(text="", token=token_a, active_loop=None,
                           slots={"marketing_choice": "opt_out"})  # fmt: skip
    await ActionSubmitMarketing().run(dispatcher, stop, domain)
    assert await preferences(backend, customer_b.customer_no, headers) == before_b

    # A's copy holds A's data, nothing of B's.
    copy = tracker_factory(text="", token=token_a, active_loop=None)
    await ActionSubmitDataRequest().run(dispatcher, copy, domain)
    assert said() == ["utter_marketing_opted_out", "utter_data_copy_ready"]
    export = (await download(app, dispatcher.messages[-1]["download_url"])).json()
    assert export["profile"]["customer_no"] == customer_a.customer_no
    assert customer_b.customer_no not in str(export)
    assert customer_b.email not in str(export)

    # The bot's client only ever says "me": there is no way to name B with A's token.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://backend.test"
    ) as http:
        response = await http.get(
            f"/api/v1/customers/{customer_b.customer_no}/marketing-preferences",
            headers={"Authorization": f"Bearer {token_a}"},
        )
    assert response.status_code == 404
