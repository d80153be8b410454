"""The personal fields beside a report's customer numbers: in full or masked, as the
caller's department may see them (``reports`` in ``data/permissions.json``)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.models import Customer
from crm_backend.reports.base import Column, ReportFrame
from crm_backend.services.access import ReportLevel
from crm_backend.services.masking import mask_email, mask_name, mask_phone

PERSONAL_COLUMNS = (Column("name", "Name"), Column("email", "Email"), Column("phone", "Phone"))
_BATCH = 1000


def _contacts(session: Session, numbers: list[str]) -> dict[str, tuple[str, str, str]]:
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(numbers), _BATCH):
        query = select(Customer).where(Customer.customer_no.in_(numbers[start : start + _BATCH]))
        for customer in session.scalars(query):
            found[customer.customer_no] = (
                customer.display_name,
                customer.email or "",
                customer.phone or "",
            )
    return found


def add_customer_fields(session: Session, frame: ReportFrame, *, level: ReportLevel) -> ReportFrame:
    key = frame.customer_key
    assert key is not None
    numbers = [str(n) for n in frame.data[key]]
    contacts = _contacts(session, list(dict.fromkeys(numbers)))
    blank = ("", "", "")
    names, emails, phones = ([contacts.get(n, blank)[i] for n in numbers] for i in range(3))
    if level == "masked":
        names = [mask_name(v) or "" for v in names]
        emails = [mask_email(v) or "" for v in emails]
        phones = [mask_phone(v) or "" for v in phones]
    data = frame.data.copy()
    at = list(data.columns).index(key) + 1
    for offset, (column, values) in enumerate(
        zip(PERSONAL_COLUMNS, (names, emails, phones), strict=True)
    ):
        data.insert(at + offset, column.key, values)
    keys = [c.key for c in frame.columns]
    columns = list(frame.columns)
    position = keys.index(key) + 1
    columns[position:position] = PERSONAL_COLUMNS
    return replace(frame, data=data, columns=columns)
