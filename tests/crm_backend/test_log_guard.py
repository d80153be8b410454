"""The log guard (tests/log_guard.py) finds a personal value in a log record, without
naming it."""

from __future__ import annotations

import logging

import log_guard
from sqlalchemy import select

from crm_backend.models import Customer


def test_a_logged_email_or_phone_is_found_and_reported_by_kind_only(app, session):
    customer = session.scalars(select(Customer).where(Customer.email.contains("@"))).first()
    phone_customer = session.scalars(select(Customer).where(Customer.phone.is_not(None))).first()
    logger = logging.getLogger("crm_backend.guard_probe")
    before = len(log_guard.BOOK.records)
    try:
        logger.info("sent to %s", customer.email)
        logger.warning("call %s", phone_customer.phone.replace(" ", ""))
        found = log_guard.leaks(app.state.engine)
        assert "crm_backend.guard_probe: email" in found
        assert "crm_backend.guard_probe: phone" in found
        assert not any(customer.email in entry for entry in found)
    finally:
        del log_guard.BOOK.records[before:]  # the probe is not a leak of the product
    assert not [f for f in log_guard.leaks(app.state.engine) if "guard_probe" in f]


def test_a_replaced_value_and_a_chinese_name_are_still_looked_for(app, session):
    """Values from after seeding are remembered, so a test that changes a profile cannot
    hide a leak of the old value; Chinese names are written without spaces."""
    customer = session.scalars(select(Customer).where(Customer.email.contains("@"))).first()
    remembered_email = customer.email
    logger = logging.getLogger("crm_backend.guard_probe")
    before = len(log_guard.BOOK.records)
    probe = Customer(customer_no="C99999991", family_name="陳", given_name="大文")
    session.add(probe)
    session.commit()
    try:
        logger.info("old %s", remembered_email)  # seeded value, as if since replaced
        logger.info("name %s", "陳大文")
        found = log_guard.leaks(app.state.engine)
        assert "crm_backend.guard_probe: email" in found
        assert "crm_backend.guard_probe: name" in found
    finally:
        del log_guard.BOOK.records[before:]
        session.delete(probe)
        session.commit()
