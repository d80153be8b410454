"""Pure business rules: SLA policy, masking, contact normalisation, secrets."""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest

from crm_backend.models.enums import ComplaintCategory, ContactMethod, Priority
from crm_backend.secret_files import load_or_create_secret
from crm_backend.services.clock import format_local
from crm_backend.services.contacts import normalise_email, normalise_phone, resolve_contact
from crm_backend.services.masking import mask_email, mask_name, mask_phone
from crm_backend.services.sla import load_sla_policy


@pytest.mark.parametrize(
    ("category", "description", "expected"),
    [
        (ComplaintCategory.OTHER, "The music in the shop is too loud.", Priority.LOW),
        (ComplaintCategory.DELIVERY, "The parcel came two days late.", Priority.MEDIUM),
        (ComplaintCategory.BILLING, "I think the price was wrong.", Priority.HIGH),
        (
            ComplaintCategory.DELIVERY,
            "Courier says delivered but my parcel NEVER ARRIVED",
            Priority.HIGH,
        ),
        (ComplaintCategory.PRODUCT_QUALITY, "The charger caught fire on my desk", Priority.URGENT),
        (ComplaintCategory.REFUND, "Refund late, also the box was a fire hazard", Priority.URGENT),
    ],
)
def test_priority_is_the_highest_of_category_and_keyword_rules(category, description, expected):
    assert load_sla_policy().priority_for(category, description) == expected


def test_due_times_follow_the_policy_targets():
    policy = load_sla_policy()
    created = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    first, resolution = policy.due_times(Priority.URGENT, created)
    assert first == created + timedelta(hours=2)
    assert resolution == created + timedelta(hours=24)
    for priority in Priority:
        first, resolution = policy.due_times(priority, created)
        assert created < first < resolution


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jane.chan@example.com", "j***@example.com"),
        ("a@b.hk", "a***@b.hk"),
        ("broken-email", "***"),
        (None, None),
    ],
)
def test_mask_email(value, expected):
    assert mask_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("9123 4567", "9*** **67"), ("+852 6123-4567", "6*** **67"), ("12", "***"), (None, None)],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


def test_mask_name_keeps_only_initials():
    assert mask_name("Tai Man Chan") == "T** M** C***"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9123 4567", "+85291234567"),
        ("+852 6123-4567", "+85261234567"),
        ("(852) 5123 4567", "+85251234567"),
        ("2123 4567", "+85221234567"),
        ("1234 5678", None),
        ("9123 456", None),
        ("phone me", None),
        ("", None),
    ],
)
def test_normalise_phone_hong_kong_by_default(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kelvin.Wong@Example.COM", "Kelvin.Wong@example.com"),
        ("no-at-sign.example.com", None),
        ("two@@example.com", None),
        ("spaces in@example.com", None),
        ("x@localhost", None),
        ("a" * 250 + "@example.com", None),
    ],
)
def test_normalise_email(raw, expected):
    assert normalise_email(raw) == expected


def test_resolve_contact_needs_a_contact_from_anonymous_callers():
    from crm_backend.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        resolve_contact(method=None, value=None, customer=None)
    assert error.value.field == "contact_value"
    assert resolve_contact(method=ContactMethod.PHONE, value="91234567", customer=None) == (
        ContactMethod.PHONE,
        "+85291234567",
    )


def test_format_local_uses_hong_kong_time():
    assert format_local(datetime(2026, 11, 24, 9, 0, tzinfo=UTC)) == "Tue 24 Nov 2026, 5:00 pm"
    assert format_local(datetime(2026, 11, 24, 16, 5, tzinfo=UTC)) == "Wed 25 Nov 2026, 12:05 am"


def test_secrets_are_created_once_private_and_stable(tmp_path):
    directory = tmp_path / "secrets"
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(load_or_create_secret(directory, "key")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results[0]) >= 40
    assert stat.S_IMODE(os.stat(directory / "key").st_mode) == 0o600
    assert load_or_create_secret(directory, "key") == results[0]
    assert [p.name for p in directory.iterdir()] == ["key"]
