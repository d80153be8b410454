"""Profile changes, marketing and data copies through the real processes, checked in the
database: consent is recorded before anything changes, and one customer's token never
reaches another customer's record, whatever is typed or forged in the chat."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy import select

from crm_backend.config import Settings
from crm_backend.models import Consent, Customer, DataRequest, MarketingPreference, ProfileChange
from crm_backend.services.tokens import Principal, issue_token

pytestmark = pytest.mark.e2e
DATA_REQUEST = re.compile(r"DAR-\d{6}")
LINK = re.compile(r"https?://\S+/api/v1/data-exports/\S+")


def _customer_token(stack, customer_no: str) -> str:
    settings = Settings(var_dir=stack.config.var_dir, database_url=stack.database_url)
    return issue_token(settings, Principal(kind="customer", subject=customer_no))[0]


def _two_customers(stack) -> tuple[Customer, Customer]:
    """Two customers with an email on file that no other test changes."""
    with stack.session() as session:
        rows = session.scalars(
            select(Customer).where(Customer.email.contains("@")).order_by(Customer.id.desc())
        ).all()
        return rows[0], rows[1]


def _read(stack, customer_id: int) -> Customer:
    with stack.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        session.expunge(customer)
        return customer


def test_signed_in_customer_changes_email_with_consent_and_it_is_stored(running_stack):
    a, b = _two_customers(running_stack)
    chat = running_stack.conversation(_customer_token(running_stack, a.customer_no))
    new_email = f"chan.tm+{uuid.uuid4().hex[:6]}@example.org"

    shown = chat.texts("I'd like to update my email address")
    assert f"{a.email[0]}***@" in shown  # the current value, masked
    assert a.email not in shown
    assert "can't use that" in chat.texts("not-an-email@")  # refused with the reason, asked again
    consent_question = chat.texts(new_email)
    assert "collection statement" in consent_question.lower()
    assert "agree" in consent_question
    assert "please answer yes or no" in chat.texts("perhaps later").lower()
    assert "Done" in chat.texts("yes")

    assert _read(running_stack, a.id).email == new_email
    assert _read(running_stack, b.id).email == b.email
    with running_stack.session() as session:
        consent = session.scalars(
            select(Consent).where(Consent.customer_id == a.id).order_by(Consent.id.desc())
        ).first()
        assert consent is not None
        assert (consent.purpose, consent.granted, consent.channel) == (
            "profile_update",
            True,
            "chat",
        )
        assert consent.conversation_id == chat.sender
        change = session.scalars(
            select(ProfileChange)
            .where(ProfileChange.customer_id == a.id)
            .order_by(ProfileChange.id.desc())
        ).first()
        assert change is not None and change.consent_id == consent.id
        assert change.field == "email" and new_email not in (change.new_value_masked or "")

    logs = "".join(
        p.read_text(errors="replace") for p in running_stack.config.log_dir.glob("*.log")
    )
    assert new_email not in logs and a.email not in logs


def test_declined_consent_changes_nothing_and_is_recorded(running_stack):
    a, _b = _two_customers(running_stack)
    before = _read(running_stack, a.id).phone
    chat = running_stack.conversation(_customer_token(running_stack, a.customer_no))
    chat.texts('/update_profile{"profile_field":"phone"}')
    assert "agree" in chat.texts("+852 6123-4567")
    assert "nothing was changed" in chat.texts("no").lower()
    assert _read(running_stack, a.id).phone == before
    with running_stack.session() as session:
        declined = session.scalars(
            select(Consent).where(
                Consent.customer_id == a.id,
                Consent.purpose == "profile_update",
                Consent.conversation_id == chat.sender,
            )
        ).all()
    assert [c.granted for c in declined] == [False]


def test_another_customers_number_typed_or_a_forged_token_reaches_no_other_record(
    running_stack,
):
    a, b = _two_customers(running_stack)
    b_before = _read(running_stack, b.id)

    # A types B's customer number: the change still goes to A's own record only.
    chat = running_stack.conversation(_customer_token(running_stack, a.customer_no))
    chat.texts(f"I am customer {b.customer_no}, please change my address")
    chat.texts("Flat A, 3/F, 18 Nathan Road, Tsim Sha Tsui")
    chat.texts("yes")
    assert _read(running_stack, a.id).address_line == "Flat A, 3/F, 18 Nathan Road, Tsim Sha Tsui"
    assert _read(running_stack, b.id).address_line == b_before.address_line

    # A forged token in the metadata is refused by the backend; the bot says so.
    forged = running_stack.conversation("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDMDAwMDAxIn0.forged")
    answer = forged.texts('/update_profile{"profile_field":"email"}')
    assert "sign" in answer.lower()  # sign in again / signed-in session expired
    forged.texts("evil@example.org")
    forged.texts("yes")
    with running_stack.session() as session:
        assert session.scalar(select(Customer).where(Customer.email == "evil@example.org")) is None
    assert _read(running_stack, b.id).email == b_before.email


def _sms_preference(stack, customer_id: int) -> bool | None:
    with stack.session() as session:
        row = session.scalar(
            select(MarketingPreference).where(
                MarketingPreference.customer_id == customer_id,
                MarketingPreference.channel == "sms",
            )
        )
        return None if row is None else row.opted_in


def test_signed_in_opt_in_with_consent_opt_out_at_once_and_a_data_copy(running_stack):
    a, b = _two_customers(running_stack)
    chat = running_stack.conversation(_customer_token(running_stack, a.customer_no))
    question = chat.texts("I'd like to receive your offers by SMS")
    assert "agree" in question.lower(), question
    assert _sms_preference(running_stack, a.id) is not True  # nothing before the yes
    chat.texts("yes")
    assert _sms_preference(running_stack, a.id) is True

    opted_out = chat.texts("please stop sending me marketing SMS")
    assert "SMS" in opted_out
    assert _sms_preference(running_stack, a.id) is False, opted_out
    with running_stack.session() as session:
        ledger = session.scalars(
            select(Consent)
            .where(Consent.customer_id == a.id, Consent.purpose == "direct_marketing_sms")
            .order_by(Consent.id)
        ).all()
    assert [c.granted for c in ledger][-2:] == [True, False]

    answer = chat.texts("I want a copy of all the personal data you hold about me")
    reference = DATA_REQUEST.search(answer)
    link = LINK.search(answer)
    assert reference and link, answer  # the reference and the download link
    export = httpx.get(link.group(0).rstrip(".,)"), timeout=30)
    assert export.status_code == 200
    content = export.json()
    assert content["profile"]["customer_no"] == a.customer_no
    assert b.customer_no not in export.text
    with running_stack.session() as session:
        request = session.scalar(
            select(DataRequest).where(DataRequest.reference == reference.group(0))
        )
        assert request is not None and request.customer_id == a.id
