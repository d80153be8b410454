"""The demo data generator: shape, quality quirks, determinism and both databases."""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import phonenumbers
import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text

from crm_backend.db import make_engine
from crm_backend.demo_data import SeedSummary, seed_database
from crm_backend.demo_data.people import hk_mobile
from crm_backend.demo_data.vocabulary import STORES
from crm_backend.migrate import upgrade
from crm_backend.models import Complaint, ComplaintEvent, Customer, Order, OrderLine, Product, Staff
from crm_backend.services.contacts import normalise_email
from crm_backend.services.passwords import verify_password

NOW = datetime(2026, 11, 20, tzinfo=UTC)
VALID_LOOKING_PHONE = re.compile(r"^(\+852 ?)?[5-9]\d{3}[ -]?\d{4}$")


def _seed_small(engine: Engine, seed: int = 7) -> SeedSummary:
    return seed_database(engine, customers=200, orders=2000, complaints=40, seed=seed, now=NOW)


def _fresh_engine(tmp_path: Path, name: str) -> Engine:
    url = f"sqlite:///{tmp_path}/{name}.db"
    upgrade(url)
    return make_engine(url)


def _seeded(tmp_path: Path, name: str, seed: int = 7) -> tuple[Engine, SeedSummary]:
    engine = _fresh_engine(tmp_path, name)
    return engine, _seed_small(engine, seed)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, SeedSummary]]:
    engine, summary = _seeded(tmp_path_factory.mktemp("seed"), "main")
    yield engine, summary
    engine.dispose()


def _fingerprint(engine: Engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for query in (
            select(Customer.customer_no, Customer.family_name, Customer.given_name,
                   Customer.email, Customer.phone, Customer.address_line, Customer.district,
                   Customer.created_at).order_by(Customer.id),
            select(Order.order_no, Order.customer_id, Order.channel, Order.store_name,
                   Order.status, Order.ordered_at, Order.total_amount).order_by(Order.id),
            select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity,
                   OrderLine.unit_price).order_by(OrderLine.id),
            select(Complaint.reference, Complaint.description, Complaint.status,
                   Complaint.created_at, Complaint.resolved_at).order_by(Complaint.id),
        ):  # fmt: skip
            for row in conn.execute(query):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_counts(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, summary = seeded
    assert (summary.customers, summary.orders, summary.complaints) == (200, 2000, 40)
    assert summary.staff == 6 and summary.products >= 250
    with engine.connect() as conn:
        for model, expected in (
            (Customer, 200), (Order, 2000), (Complaint, 40), (Staff, 6),
            (Product, summary.products), (OrderLine, summary.order_lines),
            (ComplaintEvent, summary.complaint_events),
        ):  # fmt: skip
            assert conn.scalar(select(func.count()).select_from(model)) == expected
        assert summary.order_lines >= 2000


def test_same_seed_and_now_give_identical_data(
    seeded: tuple[Engine, SeedSummary], tmp_path: Path
) -> None:
    engine, _ = seeded
    again, _ = _seeded(tmp_path, "again")
    other, _ = _seeded(tmp_path, "other", seed=8)
    try:
        assert _fingerprint(again) == _fingerprint(engine)
        assert _fingerprint(other) != _fingerprint(engine)
    finally:
        again.dispose()
        other.dispose()


def test_demo_staff_have_random_working_passwords(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, summary = seeded
    usernames = {username for username, _dept, _pw in summary.demo_staff}
    assert {"cs.demo", "cs.supervisor", "sales.demo", "management.demo"} <= usernames
    with engine.connect() as conn:
        hashes = dict(conn.execute(select(Staff.username, Staff.password_hash)).all())
    for username, _department, password in summary.demo_staff:
        assert len(password) >= 12
        assert verify_password(hashes[username], password)


def test_orders_use_five_stores_and_online_has_no_store(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    with engine.connect() as conn:
        pairs = set(conn.execute(select(Order.channel, Order.store_name).distinct()).all())
        currencies = set(conn.scalars(select(Order.currency).distinct()))
    assert {store for channel, store in pairs if channel == "store"} == set(STORES)
    assert len(STORES) == 5
    assert {store for channel, store in pairs if channel == "online"} == {None}
    assert currencies == {"HKD"}


def test_order_totals_equal_the_sum_of_their_lines(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    with engine.connect() as conn:
        totals = dict(conn.execute(select(Order.id, Order.total_amount)).all())
        sums: dict[int, Decimal] = {}
        for order_id, quantity, price in conn.execute(
            select(OrderLine.order_id, OrderLine.quantity, OrderLine.unit_price)
        ):
            sums[order_id] = sums.get(order_id, Decimal(0)) + quantity * price
        latest = conn.scalar(select(func.max(Order.ordered_at)))
    assert latest is not None and latest < NOW
    assert totals == sums
    assert all(isinstance(total, Decimal) and total > 0 for total in totals.values())


def test_customer_data_is_hong_kong_and_imperfect(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    with engine.connect() as conn:
        customers = conn.execute(select(Customer)).all()
    assert [c.customer_no for c in customers] == [f"C{i:06d}" for i in range(1, 201)]
    emails = [c.email for c in customers]
    assert any(email is None for email in emails)
    assert any(email and normalise_email(email) is None for email in emails)
    domains = {e.rsplit("@", 1)[-1].lower() for e in emails if e and normalise_email(e)}
    assert domains <= {"example.com", "example.hk", "example.net"}
    phones = [c.phone for c in customers if c.phone]
    rejected = 0
    for phone in phones:
        if VALID_LOOKING_PHONE.match(phone):
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "HK")), phone
        else:
            rejected += not _phone_is_valid(phone)
    assert rejected > 0
    assert {c.preferred_language for c in customers} == {"en", "zh-HK"}
    assert any(c.address_line and c.district is None for c in customers)
    assert all(c.created_at.tzinfo is not None and c.created_at < NOW for c in customers)


def test_generated_mobiles_are_hong_kong_mobiles() -> None:
    import random

    rng = random.Random(1)
    for _ in range(500):
        number = phonenumbers.parse(hk_mobile(rng), "HK")
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def _phone_is_valid(phone: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, "HK"))
    except phonenumbers.NumberParseException:
        return False


def test_complaints_are_varied_and_consistent(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    with engine.connect() as conn:
        complaints = conn.execute(select(Complaint).order_by(Complaint.id)).all()
        events = conn.execute(select(ComplaintEvent).order_by(ComplaintEvent.id)).all()
    assert all(re.fullmatch(r"CMP-\d{6}", c.reference) for c in complaints)
    assert len({c.status for c in complaints}) >= 5
    assert any(c.csat_score for c in complaints)
    assert sum(c.customer_id is not None for c in complaints) >= len(complaints) // 2
    for c in complaints:
        assert c.created_at < c.first_response_due_at <= c.resolution_due_at
        assert (c.first_responded_at is None) == (c.status == "new")
        assert (c.resolved_at is not None) == (c.status in ("resolved", "closed"))
        assert (c.closed_at is not None) == (c.status == "closed")
        if c.customer_id is None:
            assert c.contact_method in ("email", "phone") and c.contact_value
        timeline = [e for e in events if e.complaint_id == c.id]
        assert timeline[0].event_type == "created"
        changes = [e for e in timeline if e.to_status is not None]
        assert changes[-1].to_status == c.status
        # Finished complaints say how; follow-up and CSAT fields agree with the status.
        assert bool(c.resolution) == (c.status in ("resolved", "closed"))
        if c.status == "resolved":
            assert (c.followup_due_at is None) != (c.followup_sent_at is None)
        else:
            assert c.followup_due_at is None
        assert c.csat_score is None or (c.status == "closed" and 1 <= c.csat_score <= 5)
        assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(timeline))
        assert timeline[-1].created_at <= NOW


def test_seeding_a_database_with_customers_is_refused(
    seeded: tuple[Engine, SeedSummary],
) -> None:
    engine, _ = seeded
    with pytest.raises(ValueError, match="customer table"):
        _seed_small(engine)


def test_progress_is_reported(tmp_path: Path) -> None:
    engine = _fresh_engine(tmp_path, "progress")
    calls: list[tuple[str, int, int]] = []
    try:
        seed_database(engine, customers=30, orders=100, complaints=6, now=NOW,
                      progress=lambda *call: calls.append(call))  # fmt: skip
    finally:
        engine.dispose()
    assert ("customers", 30, 30) in calls and ("orders", 100, 100) in calls
    assert {stage for stage, _done, _total in calls} >= {"staff", "products", "complaints"}


@pytest.mark.postgres
def test_seed_postgresql() -> None:
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT"
    )
    name = f"seed_{uuid.uuid4().hex}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        upgrade(url)
        engine = make_engine(url)
        try:
            summary = _seed_small(engine)
            with engine.connect() as conn:  # closed without commit: rolled back
                assert conn.scalar(select(func.count()).select_from(Order)) == 2000
                assert conn.scalar(select(func.count()).select_from(Customer)) == 200
                assert conn.scalar(select(func.count()).select_from(Complaint)) == 40
                lines = conn.scalar(select(func.count()).select_from(OrderLine))
                assert lines == summary.order_lines
                # Explicit ids were inserted: the sequences must have moved past them.
                new_id = conn.execute(
                    insert(Staff)
                    .values(username="new.agent", display_name="New", department="sales",
                            role="agent", password_hash="x", is_active=True, created_at=NOW)
                    .returning(Staff.id)
                ).scalar_one()  # fmt: skip
                assert new_id == summary.staff + 1
        finally:
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
