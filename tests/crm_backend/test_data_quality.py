"""Profile gaps (services/data_quality.py) and POST /customers/{no}/profile-gaps/prompt."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm_backend.models import Customer
from crm_backend.services.data_quality import (
    MESSAGES,
    PROBLEMS,
    profile_gaps,
    prompt_gaps,
    quality_summary,
)

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _number() -> str:
    return f"C9{secrets.randbelow(10**8):08d}"


def _complete(**overrides) -> Customer:
    """A customer with nothing missing, changed by the overrides."""
    fields = {
        "customer_no": _number(),
        "family_name": "Wong",
        "given_name": "Mei Ling",
        "email": f"ml.{uuid.uuid4().hex[:10]}@example.com",
        "phone": "+85291234567",
        "address_line": "Flat 12B, 33 King's Road, North Point",
        "district": "Eastern",
        "updated_at": NOW - timedelta(days=10),
    }
    fields.update(overrides)
    return Customer(**fields)


def _problems(customer: Customer) -> list[str]:
    return [gap.problem for gap in profile_gaps(customer, NOW)]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, []),
        ({"email": None}, ["missing_email"]),
        ({"email": "  "}, ["missing_email"]),
        ({"email": "wong at example dot com"}, ["invalid_email"]),
        ({"phone": None}, ["missing_phone"]),
        ({"phone": "12"}, ["invalid_phone"]),
        ({"phone": "call me"}, ["invalid_phone"]),
        ({"phone": "9123 4567"}, []),  # a local number as typed is usable
        ({"address_line": None, "district": None}, ["missing_address"]),
        ({"address_line": "Flat 2, 7 Somewhere Lane", "district": None}, ["no_district"]),
        ({"address_line": "Flat 2, 7 Nathan Road, Mong Kok", "district": None}, []),
        ({"address_line": "Flat 2, 7 Somewhere Lane", "district": "Sha Tin"}, []),
        ({"updated_at": NOW - timedelta(days=731)}, ["stale"]),
        ({"updated_at": NOW - timedelta(days=729)}, []),
        (
            {"email": None, "phone": "x", "address_line": None, "district": None},
            ["missing_email", "invalid_phone", "missing_address"],
        ),
    ],
)
def test_profile_gaps_finds_each_problem(overrides, expected):
    assert _problems(_complete(**overrides)) == expected


def test_gap_messages_name_the_field_never_the_value():
    customer = _complete(email="wong.at.example", phone="555", updated_at=NOW - timedelta(days=800))
    gaps = profile_gaps(customer, NOW)
    assert {(g.field, g.problem) for g in gaps} == {
        ("email", "invalid_email"),
        ("phone", "invalid_phone"),
        ("profile", "stale"),
    }
    for gap in gaps:
        assert gap.message == MESSAGES[gap.problem]
        assert "wong" not in gap.message.lower() and "555" not in gap.message


def test_quality_summary_counts_every_problem(session):
    before = quality_summary(session, NOW)
    assert set(before) == set(PROBLEMS)
    session.add_all(
        [
            _complete(email=None),
            _complete(email="nope", phone=None),
            _complete(phone="123"),
            _complete(address_line=None, district=None),
            _complete(address_line="Unit 5, 1 Nowhere Path", district=None),
            _complete(updated_at=NOW - timedelta(days=1000)),
            _complete(),
        ]
    )
    session.flush()
    after = quality_summary(session, NOW)
    session.rollback()
    assert {problem: after[problem] - before[problem] for problem in PROBLEMS} == {
        "missing_email": 1,
        "invalid_email": 1,
        "missing_phone": 1,
        "invalid_phone": 1,
        "missing_address": 1,
        "no_district": 1,
        "stale": 1,
    }


def test_prompt_rule_in_the_service(session):
    customer = _complete(email=None)
    session.add(customer)
    session.commit()
    gaps, prompt = prompt_gaps(session, customer, NOW)
    assert prompt and [g.problem for g in gaps] == ["missing_email"]
    session.commit()
    assert prompt_gaps(session, customer, NOW + timedelta(days=89))[1] is False
    assert prompt_gaps(session, customer, NOW + timedelta(days=90))[1] is True
    session.commit()
    session.expire_all()
    assert customer.quality_prompted_at == NOW + timedelta(days=90)


def _stored(session, customer_no: str) -> Customer:
    session.rollback()
    return session.scalar(select(Customer).where(Customer.customer_no == customer_no))


def test_prompt_api_asks_at_most_every_90_days(client, headers, session):
    stale_since = datetime.now(UTC) - timedelta(days=900)
    customer = _complete(phone="not a phone", updated_at=stale_since)
    session.add(customer)
    session.commit()
    url = "/api/v1/customers/me/profile-gaps/prompt"
    own = headers.customer(customer.customer_no)

    first = client.post(url, headers=own)
    assert first.status_code == 200, first.text
    assert first.json()["prompt"] is True
    assert [(g["field"], g["problem"]) for g in first.json()["gaps"]] == [
        ("phone", "invalid_phone"),
        ("profile", "stale"),
    ]
    assert all(g["message"] for g in first.json()["gaps"])
    stored = _stored(session, customer.customer_no)
    assert stored.quality_prompted_at is not None
    assert stored.updated_at == stale_since  # asking is not a change of the details

    second = client.post(
        f"/api/v1/customers/{customer.customer_no}/profile-gaps/prompt", headers=own
    )
    assert second.status_code == 200
    assert second.json()["prompt"] is False and len(second.json()["gaps"]) == 2

    stored = _stored(session, customer.customer_no)
    stored.quality_prompted_at = datetime.now(UTC) - timedelta(days=91)
    session.commit()
    assert client.post(url, headers=own).json()["prompt"] is True


def test_prompt_api_without_gaps_and_for_other_callers(client, headers, session):
    customer = _complete(updated_at=datetime.now(UTC))
    other = _complete()
    session.add_all([customer, other])
    session.commit()
    own = headers.customer(customer.customer_no)
    answer = client.post("/api/v1/customers/me/profile-gaps/prompt", headers=own)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"gaps": [], "prompt": False}
    assert _stored(session, customer.customer_no).quality_prompted_at is None

    foreign = client.post(f"/api/v1/customers/{other.customer_no}/profile-gaps/prompt", headers=own)
    assert foreign.status_code == 404
    staff = headers.staff("cs.demo")
    assert client.post("/api/v1/customers/me/profile-gaps/prompt", headers=staff).status_code == 404
    by_number = client.post(
        f"/api/v1/customers/{customer.customer_no}/profile-gaps/prompt", headers=staff
    )
    assert by_number.status_code == 403
    assert client.post("/api/v1/customers/me/profile-gaps/prompt").status_code == 401
    assert (
        client.post("/api/v1/customers/nobody/profile-gaps/prompt", headers=own).status_code == 422
    )
