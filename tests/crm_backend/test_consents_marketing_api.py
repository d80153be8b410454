"""The consent ledger and direct-marketing choices: GET /customers/{no}/consents,
GET/PUT /customers/{no}/marketing-preferences[/{channel}], POST /marketing-opt-outs."""

from __future__ import annotations

import secrets
import uuid

import pytest
from profile_helpers import unique_hk_mobile
from sqlalchemy import select

from crm_backend.models import AuditLogEntry, Consent, Customer, MarketingPreference
from crm_backend.models.enums import ActorType, MarketingChannel
from crm_backend.services.statements import current_statement
from crm_backend.services.tokens import Principal, issue_token

API = "/api/v1/customers"
OPT_OUTS = "/api/v1/marketing-opt-outs"
DM = current_statement("direct_marketing")
PROFILE = current_statement("profile")


def _unique_email() -> str:
    return f"dm.{uuid.uuid4().hex[:12]}@example.com"


def _new_customer(session, *, email: str | None = None, phone: str | None = None) -> Customer:
    """A fresh customer of the test's own, so no test changes another's data."""
    customer = Customer(
        customer_no=f"C97{secrets.randbelow(10_000_000):07d}",
        family_name="Leung",
        given_name="Chi Wai",
        email=email if email is not None else _unique_email(),
        phone=phone if phone is not None else unique_hk_mobile()[0],
    )
    session.add(customer)
    session.commit()
    return customer


def _fresh(session) -> None:
    session.rollback()  # end the read transaction: see what the requests wrote
    session.expire_all()


def _consents(session, customer: Customer) -> list[Consent]:
    _fresh(session)
    return list(
        session.scalars(
            select(Consent).where(Consent.customer_id == customer.id).order_by(Consent.id)
        )
    )


def _preferences(session, customer: Customer) -> dict[str, bool]:
    _fresh(session)
    rows = session.scalars(
        select(MarketingPreference).where(MarketingPreference.customer_id == customer.id)
    ).all()
    return {MarketingChannel(row.channel).value: row.opted_in for row in rows}


def _put(client, auth, marketing_channel: str, *, customer_no: str = "me", **body):
    body.setdefault("channel", "chat")
    return client.put(
        f"{API}/{customer_no}/marketing-preferences/{marketing_channel}", json=body, headers=auth
    )


def _opt_in(client, auth, marketing_channel: str, **extra):
    return _put(
        client,
        auth,
        marketing_channel,
        opted_in=True,
        consent=True,
        statement_version=DM.version,
        **extra,
    )


def _audit(session, customer: Customer) -> list[tuple[str, str]]:
    _fresh(session)
    return [
        (entry.action, entry.record_type)
        for entry in session.scalars(
            select(AuditLogEntry)
            .where(AuditLogEntry.record_id == customer.customer_no)
            .order_by(AuditLogEntry.id)
        )
    ]


# --- marketing preferences -----------------------------------------------------------------


def test_preferences_start_all_off_with_the_statement(client, headers, session):
    customer = _new_customer(session)
    response = client.get(
        f"{API}/me/marketing-preferences", headers=headers.customer(customer.customer_no)
    )
    assert response.status_code == 200
    assert response.json() == {
        "channels": {
            "email": {"opted_in": False, "updated_at": None},
            "sms": {"opted_in": False, "updated_at": None},
            "phone": {"opted_in": False, "updated_at": None},
        },
        "statement": {
            "purpose": "direct_marketing",
            "version": DM.version,
            "title": DM.title,
            "text": DM.text,
        },
    }
    assert _audit(session, customer) == [("read", "marketing_preference")]


@pytest.mark.parametrize(
    "body",
    [
        {"opted_in": True},
        {"opted_in": True, "consent": None, "statement_version": DM.version},
        {"opted_in": True, "consent": False, "statement_version": DM.version},
    ],
)
def test_opting_in_needs_explicit_consent(client, headers, session, body):
    customer = _new_customer(session)
    response = _put(client, headers.customer(customer.customer_no), "email", **body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "consent"]
    assert _consents(session, customer) == []
    assert _preferences(session, customer) == {}


@pytest.mark.parametrize(
    "body",
    [
        {"consent": True, "statement_version": DM.version},  # no opted_in
        {"opted_in": "yes", "consent": True, "statement_version": DM.version},
        {"opted_in": True, "consent": "yes", "statement_version": DM.version},
        {"opted_in": True, "consent": True, "statement_version": DM.version, "channel": "fax"},
        {"opted_in": True, "consent": True, "statement_version": DM.version, "extra": 1},
    ],
)
def test_malformed_preference_bodies_are_422(client, headers, session, body):
    customer = _new_customer(session)
    auth = headers.customer(customer.customer_no)
    response = client.put(f"{API}/me/marketing-preferences/email", json=body, headers=auth)
    assert response.status_code == 422
    assert _consents(session, customer) == []


def test_unknown_marketing_channel_is_422(client, headers, session):
    customer = _new_customer(session)
    response = _opt_in(client, headers.customer(customer.customer_no), "pigeon")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "channel"]


def test_opting_in_against_an_old_statement_is_409(client, headers, session):
    customer = _new_customer(session)
    auth = headers.customer(customer.customer_no)
    for version in ("DM-2019-01", None):
        response = _put(client, auth, "sms", opted_in=True, consent=True, statement_version=version)
        assert response.status_code == 409
        assert "statement has changed" in response.json()["detail"]
    assert _consents(session, customer) == []


def test_opt_in_writes_a_consent_and_opt_out_takes_effect_at_once(client, headers, session):
    customer = _new_customer(session)
    auth = headers.customer(customer.customer_no)
    conversation = f"conv-{uuid.uuid4().hex}"

    opted_in = _opt_in(client, auth, "email", conversation_id=conversation)
    assert opted_in.status_code == 200, opted_in.json()
    channels = opted_in.json()["channels"]
    assert channels["email"]["opted_in"] is True
    assert channels["email"]["updated_at"] is not None
    assert channels["sms"] == {"opted_in": False, "updated_at": None}
    assert opted_in.json()["statement"]["version"] == DM.version
    consents = _consents(session, customer)
    recorded = [(c.purpose, c.granted, c.statement_version, c.channel) for c in consents]
    assert recorded == [("direct_marketing_email", True, DM.version, "chat")]
    assert consents[0].conversation_id == conversation
    _fresh(session)
    row = session.scalar(
        select(MarketingPreference).where(MarketingPreference.customer_id == customer.id)
    )
    assert row.consent_id == consents[0].id

    # The same choice again: answered, nothing written.
    again = _opt_in(client, auth, "email")
    assert again.status_code == 200
    assert again.json()["channels"]["email"]["opted_in"] is True
    assert len(_consents(session, customer)) == 1

    # Opting out needs no consent and no statement version, and counts at once.
    opted_out = _put(client, auth, "email", opted_in=False, channel="web")
    assert opted_out.status_code == 200
    assert opted_out.json()["channels"]["email"]["opted_in"] is False
    assert _preferences(session, customer) == {"email": False}
    consents = _consents(session, customer)
    assert [(c.purpose, c.granted, c.channel) for c in consents] == [
        ("direct_marketing_email", True, "chat"),
        ("direct_marketing_email", False, "web"),
    ]
    read = client.get(f"{API}/me/marketing-preferences", headers=auth).json()
    assert read["channels"]["email"]["opted_in"] is False
    # Opting out when already out: nothing more written.
    assert _put(client, auth, "email", opted_in=False).status_code == 200
    assert len(_consents(session, customer)) == 2
    assert ("update", "marketing_preference") in _audit(session, customer)


def test_each_channel_is_its_own_choice(client, headers, session):
    customer = _new_customer(session)
    auth = headers.customer(customer.customer_no)
    assert _opt_in(client, auth, "sms").status_code == 200
    assert _opt_in(client, auth, "phone").status_code == 200
    assert _put(client, auth, "sms", opted_in=False).status_code == 200
    assert _preferences(session, customer) == {"sms": False, "phone": True}
    purposes = [(c.purpose, c.granted) for c in _consents(session, customer)]
    assert purposes == [
        ("direct_marketing_sms", True),
        ("direct_marketing_phone", True),
        ("direct_marketing_sms", False),
    ]


def test_only_the_customer_sets_marketing_choices(client, headers, session):
    customer = _new_customer(session)
    for username in ("cs.demo", "marketing.demo", "compliance.demo"):
        response = _opt_in(
            client, headers.staff(username), "email", customer_no=customer.customer_no
        )
        assert response.status_code == 403
        assert _opt_in(client, headers.staff(username), "email").status_code == 404
    complaint = headers.principal(Principal(kind="complaint", subject="CMP-000001"))
    assert _opt_in(client, complaint, "email").status_code == 403
    assert _consents(session, customer) == []


@pytest.mark.parametrize("username", ["cs.demo", "marketing.demo", "management.demo"])
def test_staff_with_the_consents_right_read_choices_and_ledger(client, headers, session, username):
    customer = _new_customer(session)
    _opt_in(client, headers.customer(customer.customer_no), "sms")
    staff = headers.staff(username)
    preferences = client.get(f"{API}/{customer.customer_no}/marketing-preferences", headers=staff)
    assert preferences.status_code == 200
    assert preferences.json()["channels"]["sms"]["opted_in"] is True
    ledger = client.get(f"{API}/{customer.customer_no}/consents", headers=staff)
    assert ledger.status_code == 200
    assert [item["purpose"] for item in ledger.json()["items"]] == ["direct_marketing_sms"]
    assert client.get(f"{API}/me/consents", headers=staff).status_code == 404
    assert client.get(f"{API}/C999999999/consents", headers=staff).status_code == 404
    _fresh(session)
    reads = session.scalars(
        select(AuditLogEntry).where(
            AuditLogEntry.record_id == customer.customer_no, AuditLogEntry.actor_id == username
        )
    ).all()
    assert {(e.action, e.record_type, e.actor_type) for e in reads} == {
        ("read", "marketing_preference", ActorType.STAFF),
        ("read", "consent", ActorType.STAFF),
    }


def test_sales_may_not_read_consents(client, headers, session):
    customer = _new_customer(session)
    sales = headers.staff("sales.demo")
    assert client.get(f"{API}/{customer.customer_no}/consents", headers=sales).status_code == 403
    response = client.get(f"{API}/{customer.customer_no}/marketing-preferences", headers=sales)
    assert response.status_code == 403
    # Refused before the lookup: an unknown number is refused the same way.
    assert client.get(f"{API}/C999999999/consents", headers=sales).status_code == 403


# --- the ledger ----------------------------------------------------------------------------


def test_the_ledger_lists_every_grant_and_withdrawal_newest_first(client, headers, session):
    customer = _new_customer(session)
    auth = headers.customer(customer.customer_no)
    conversation = f"conv-{uuid.uuid4().hex}"
    change = client.post(
        f"{API}/me/profile-changes",
        json={"field": "name", "value": "Leung Chi Wai Jr.", "conversation_id": conversation},
        headers=auth,
    ).json()
    client.post(
        f"{API}/me/profile-changes/{change['change_id']}/decision",
        json={"consent": False, "statement_version": PROFILE.version},
        headers=auth,
    )
    _opt_in(client, auth, "email")
    _put(client, auth, "email", opted_in=False)

    response = client.get(f"{API}/me/consents", headers=auth)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["purpose"], i["granted"]) for i in items] == [
        ("direct_marketing_email", False),
        ("direct_marketing_email", True),
        ("profile_update", False),
    ]
    assert set(items[0]) == {
        "id",
        "purpose",
        "statement_version",
        "granted",
        "channel",
        "conversation_id",
        "created_at",
    }
    assert items[2]["statement_version"] == PROFILE.version
    assert items[2]["conversation_id"] == conversation
    assert items[0]["statement_version"] == DM.version
    assert ("read", "consent") in _audit(session, customer)


def test_another_customers_consents_and_choices_are_like_unknown_ones(client, headers, session):
    alice = _new_customer(session)
    bob = _new_customer(session)
    as_alice = headers.customer(alice.customer_no)
    _opt_in(client, headers.customer(bob.customer_no), "email")
    body = {"opted_in": False, "channel": "chat"}
    for method, suffix, kwargs in (
        ("GET", "/consents", {}),
        ("GET", "/marketing-preferences", {}),
        ("PUT", "/marketing-preferences/email", {"json": body}),
    ):
        other = client.request(
            method, f"{API}/{bob.customer_no}{suffix}", headers=as_alice, **kwargs
        )
        unknown = client.request(method, f"{API}/C999999999{suffix}", headers=as_alice, **kwargs)
        assert other.status_code == unknown.status_code == 404
        assert other.json() == unknown.json()
    assert _preferences(session, bob) == {"email": True}
    assert len(_consents(session, bob)) == 1


def test_bad_tokens_are_401(client, headers, settings, session):
    customer = _new_customer(session)
    expired, _ = issue_token(
        settings, Principal(kind="customer", subject=customer.customer_no), minutes=-1
    )
    token = headers.customer_token(customer.customer_no)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (expired, tampered):
        auth = {"Authorization": f"Bearer {bad}"}
        assert client.get(f"{API}/me/consents", headers=auth).status_code == 401
        assert client.get(f"{API}/me/marketing-preferences", headers=auth).status_code == 401
        assert _opt_in(client, auth, "email").status_code == 401
    assert _consents(session, customer) == []


def test_complaint_tokens_may_not_read_consents(client, headers, session):
    customer = _new_customer(session)
    complaint = headers.principal(Principal(kind="complaint", subject="CMP-000001"))
    for customer_no in ("me", customer.customer_no):
        assert client.get(f"{API}/{customer_no}/consents", headers=complaint).status_code == 403
        response = client.get(f"{API}/{customer_no}/marketing-preferences", headers=complaint)
        assert response.status_code == 403


# --- guests opting out by contact ----------------------------------------------------------


def _opt_out(client, auth, contact_value: str, **extra):
    body = {"contact_value": contact_value, "conversation_id": f"conv-{uuid.uuid4().hex}"}
    return client.post(OPT_OUTS, json={**body, **extra}, headers=auth)


def test_a_guest_opts_an_email_out_whether_or_not_it_is_known(client, headers, session):
    email = _unique_email()
    customer = _new_customer(session, email=email)
    _opt_in(client, headers.customer(customer.customer_no), "email")
    _opt_in(client, headers.customer(customer.customer_no), "sms")

    known = _opt_out(client, headers.service(), email.upper())
    unknown = _opt_out(client, headers.service(), _unique_email())
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"channels": ["email"]}
    assert _preferences(session, customer) == {"email": False, "sms": True}
    withdrawal = _consents(session, customer)[-1]
    assert (withdrawal.purpose, withdrawal.granted, withdrawal.statement_version) == (
        "direct_marketing_email",
        False,
        DM.version,
    )
    _fresh(session)
    bot_entries = session.scalars(
        select(AuditLogEntry).where(
            AuditLogEntry.record_id == customer.customer_no,
            AuditLogEntry.actor_type == ActorType.BOT,
        )
    ).all()
    assert [(e.action, e.record_type) for e in bot_entries] == [("update", "marketing_preference")]


def test_a_phone_opts_out_of_sms_and_calls_for_everyone_with_it(client, headers, session):
    digits, _ = unique_hk_mobile()
    first = _new_customer(session, phone=f"{digits[:4]} {digits[4:]}")
    second = _new_customer(session, phone=f"+852{digits}")
    _opt_in(client, headers.customer(first.customer_no), "sms")
    conversation = f"conv-{uuid.uuid4().hex}"

    response = _opt_out(
        client, headers.service(), f"+852-{digits[:4]}-{digits[4:]}", conversation_id=conversation
    )
    assert response.status_code == 202
    assert response.json() == {"channels": ["sms", "phone"]}
    for customer in (first, second):
        assert _preferences(session, customer) == {"sms": False, "phone": False}
        withdrawals = [c for c in _consents(session, customer) if not c.granted]
        assert sorted(c.purpose for c in withdrawals) == [
            "direct_marketing_phone",
            "direct_marketing_sms",
        ]
        assert {c.conversation_id for c in withdrawals} == {conversation}
        assert {c.channel for c in withdrawals} == {"chat"}

    # Asked again: already out, nothing more written.
    count = len(_consents(session, first))
    assert _opt_out(client, headers.service(), digits).status_code == 202
    assert len(_consents(session, first)) == count


def test_a_guest_opt_out_for_an_unknown_contact_writes_nothing(client, headers, session):
    _fresh(session)
    before = session.scalar(select(Consent.id).order_by(Consent.id.desc()).limit(1))
    for contact in (_unique_email(), unique_hk_mobile()[0]):
        assert _opt_out(client, headers.service(), contact).status_code == 202
    _fresh(session)
    after = session.scalar(select(Consent.id).order_by(Consent.id.desc()).limit(1))
    assert after == before


@pytest.mark.parametrize("contact_value", ["not a contact", "12", "john@", "9123 abcd", ""])
def test_opt_out_needs_an_email_or_a_phone(client, headers, contact_value):
    response = _opt_out(client, headers.service(), contact_value)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "contact_value"


def test_opt_out_callers(client, headers, session):
    email = _unique_email()
    customer = _new_customer(session, email=email)
    assert _opt_out(client, {}, email).status_code == 401
    assert _opt_out(client, {"X-Service-Token": "guessed"}, email).status_code == 401
    assert _opt_out(client, headers.staff("cs.demo"), email).status_code == 403
    complaint = headers.principal(Principal(kind="complaint", subject="CMP-000001"))
    assert _opt_out(client, complaint, email).status_code == 403
    assert _consents(session, customer) == []
    # A signed-in customer may use it too.
    signed_in = _opt_out(client, headers.customer(customer.customer_no), email)
    assert signed_in.status_code == 202
    assert _preferences(session, customer) == {"email": False}


def test_an_opt_out_with_no_choice_on_record_is_recorded_once(client, headers, session):
    customer = _new_customer(session)
    auth = headers.customer(customer.customer_no)
    for _ in range(2):
        answer = _put(client, auth, "sms", opted_in=False, channel="chat")
        assert answer.status_code == 200, answer.text
        assert answer.json()["channels"]["sms"]["opted_in"] is False
    withdrawals = [c for c in _consents(session, customer) if c.purpose == "direct_marketing_sms"]
    assert [c.granted for c in withdrawals] == [False]  # the objection stands, once
    assert _preferences(session, customer) == {"sms": False}
