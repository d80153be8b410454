"""The whole product through its real processes: Rasa, the action server and the backend."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from crm_backend.config import Settings
from crm_backend.models import CallbackRequest, Complaint, Customer, Order
from crm_backend.models.enums import ComplaintCategory, ComplaintStatus, ContactMethod
from crm_backend.services.tokens import Principal, issue_token

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"CMP-\d{6}")


def _customer_token(stack, customer_no: str) -> str:
    # The stack's backend signs with the key it generated under its own var/secrets.
    settings = Settings(var_dir=stack.config.var_dir, database_url=stack.database_url)
    token, _ = issue_token(settings, Principal(kind="customer", subject=customer_no))
    return token


def test_guest_files_a_complaint_and_it_is_stored_with_the_right_fields(running_stack):
    chat = running_stack.conversation()
    assert "virtual assistant" in chat.texts("hello")
    assert "what happened" in chat.texts("I'd like to make a complaint please")
    answer = chat.texts("The rice cooker I bought stopped heating after three days")
    assert "mainly about" in answer
    assert "particular order" in chat.texts('/inform{"complaint_category":"product_quality"}')
    assert "reach you" in chat.texts("/deny")
    summary = chat.texts("9123 4567")
    assert "Shall I file it?" in summary and "ending 67" in summary
    filed = chat.texts("yes")
    reference = REFERENCE.search(filed).group(0)
    assert "Hong Kong time" in filed

    with running_stack.session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert complaint.description == "The rice cooker I bought stopped heating after three days"
        assert complaint.category == ComplaintCategory.PRODUCT_QUALITY
        assert complaint.status == ComplaintStatus.NEW
        assert complaint.contact_method == ContactMethod.PHONE
        assert complaint.contact_value == "+85291234567"
        assert complaint.conversation_id == chat.sender
        assert complaint.channel == "chat"
        assert complaint.customer_id is None and complaint.order_id is None
        assert complaint.first_response_due_at < complaint.resolution_due_at

    assert "Thank you for chatting" in chat.texts("no thanks")


def test_signed_in_customer_links_own_order_and_uses_contact_on_file(running_stack):
    with running_stack.session() as session:
        customer = session.scalars(
            select(Customer).where(Customer.email.contains("@")).order_by(Customer.id)
        ).first()
        order = session.scalars(select(Order).where(Order.customer_id == customer.id)).first()
        foreign = session.scalars(select(Order).where(Order.customer_id != customer.id)).first()
    chat = running_stack.conversation(token=_customer_token(running_stack, customer.customer_no))
    chat.texts("my delivery never arrived and nobody answers the hotline")
    chat.texts('/inform{"complaint_category":"delivery"}')
    assert "can't find order" in chat.texts(foreign.order_no)
    assert f"Found it: order {order.order_no}" in chat.texts(order.order_no.lower())
    assert "on your account" in chat.texts('/inform{"contact_choice":"on_file_email"}')
    reference = REFERENCE.search(chat.texts("/affirm")).group(0)

    with running_stack.session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert complaint.customer_id == customer.id
        assert complaint.order_id == order.id
        assert complaint.contact_method == ContactMethod.EMAIL
        assert complaint.contact_value.lower() == customer.email.lower()


def test_customer_can_change_an_answer_and_stop(running_stack):
    chat = running_stack.conversation()
    chat.texts("I want to complain")
    chat.texts("The staff at the Sha Tin shop ignored me for twenty minutes")
    chat.texts('/inform{"complaint_category":"billing"}')
    assert "mainly about" in chat.texts("wait, I want to change the category")
    chat.texts('/inform{"complaint_category":"service"}')
    chat.texts("/deny")
    summary = chat.texts("someone@example.com")
    assert "service in store or online" in summary
    assert "nothing was filed" in chat.texts("stop")
    with running_stack.session() as session:
        assert (
            session.scalar(select(Complaint).where(Complaint.conversation_id == chat.sender))
            is None
        )


@pytest.mark.parametrize(
    "message",
    [
        "x" * 5000,
        "",
        "😡😡😡🙏",
        "我想投訴你哋嘅送貨服務",
        "<script>alert('x')</script>",
        "ORD-99999999",
    ],
)
def test_odd_messages_get_an_answer_and_the_conversation_goes_on(running_stack, message):
    chat = running_stack.conversation()
    replies = chat.say(message)
    assert replies and all(reply.get("text") for reply in replies)
    # Some of these start the complaint form (the Chinese one asks to complain): leave it.
    assert chat.say("stop")
    assert "virtual assistant" in chat.texts("hi")


def test_odd_answers_inside_the_form_are_asked_again(running_stack):
    chat = running_stack.conversation()
    chat.texts("I want to make a complaint")
    assert "more than 2,000 characters" in chat.texts("my order was late. " * 300)
    assert "a little more" in chat.texts("bad")
    chat.texts("<b>The parcel</b> came open and two items were missing")
    chat.texts('/inform{"complaint_category":"delivery"}')
    assert "doesn't look like an order number" in chat.texts("the blue one")
    chat.texts("ORD-00000001")
    assert "doesn't look like an email" in chat.texts("after 6pm 😀")
    summary = chat.texts("kelvin@example.com")
    assert "<b>The parcel</b>" in summary and "k***@example.com" in summary


def test_guest_asks_for_a_person(running_stack):
    chat = running_stack.conversation()
    assert "reach you" in chat.texts("can I talk to a real person please")
    booked = chat.texts("6123 4567")
    assert "A colleague will contact you (6*** **67)" in booked
    with running_stack.session() as session:
        callback = session.scalar(
            select(CallbackRequest).where(CallbackRequest.conversation_id == chat.sender)
        )
        assert callback.contact_value == "+85261234567"
        assert callback.context["signed_in"] is False


def test_rasa_http_api_needs_the_auth_token(running_stack):
    config = running_stack.config
    assert httpx.get(f"{config.rasa_url}/status").status_code == 401
    assert httpx.get(f"{config.rasa_url}/status", params={"token": "guess"}).status_code == 401
    assert (
        httpx.get(f"{config.rasa_url}/status", params={"token": config.rasa_token()}).status_code
        == 200
    )


def test_personal_data_typed_in_chat_does_not_reach_the_logs(running_stack):
    chat = running_stack.conversation()
    chat.texts("I want to complain")
    chat.texts("Zebediah Quackenbush here, the lamp sparked when switched on")
    chat.texts('/inform{"complaint_category":"product_quality"}')
    chat.texts("/deny")
    chat.texts("zebediah.q@example.org")
    chat.texts("yes")
    logs = "".join(
        p.read_text(errors="replace") for p in running_stack.config.log_dir.glob("*.log")
    )
    for secret in ("Quackenbush", "zebediah.q@example.org", "lamp sparked"):
        assert secret not in logs


def test_when_the_backend_is_down_the_bot_says_so_and_goes_on(running_stack):
    stack, config = running_stack.stack, running_stack.config
    chat = running_stack.conversation()
    chat.texts("I want to complain")
    chat.texts("The kettle lid snapped off on the second day")
    chat.texts('/inform{"complaint_category":"product_quality"}')
    chat.texts("/deny")
    chat.texts("9876 5432")
    stack.stop_process("backend")
    try:
        assert "isn't reachable" in chat.texts("yes")
        assert "virtual assistant" in chat.texts("hello")
    finally:
        stack.start_process("backend", f"{config.backend_url}/healthz")
    # The answers were kept: trying again files it once the backend is back.
    assert "Shall I file it?" in chat.texts("/file_complaint")
    assert REFERENCE.search(chat.texts("yes"))
