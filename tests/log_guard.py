"""No personal value may reach a log line: every record of the test run is kept, and before
a test database is dropped, the personal values stored in it (contacts, names, addresses,
complaint texts) are looked for in those records.

Failures name the logger and the kind of value, never the value itself.
"""

from __future__ import annotations

import logging
import re
import traceback

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crm_backend.models import CallbackRequest, Complaint, Customer, DataRequest, OutboxMessage

MIN_LENGTH = 6  # shorter values ("Chan", "en") would match ordinary words
# Our own code logs at every level; libraries from INFO (SQLAlchemy's SQL echo is off in
# the product, so it is left at WARNING here too).
OWN_LOGGERS = ("crm_backend", "actions", "bot")
QUIET_LIBRARIES = ("sqlalchemy", "httpx", "httpcore", "asyncio", "urllib3", "multipart")


class LogBook(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string is still a line someone could read
            text = f"{record.msg} {record.args}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(record.exc_info[1]))
        self.records.append((record.name, text))


BOOK = LogBook()


def install() -> None:
    root = logging.getLogger()
    root.addHandler(BOOK)
    root.setLevel(logging.INFO)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def _phone_forms(phone: str) -> set[str]:
    digits = re.sub(r"\D", "", phone)
    forms = {phone}
    if len(digits) >= 8:
        forms |= {digits, digits[-8:], f"{digits[-8:-4]} {digits[-4:]}"}
    return forms


def personal_values(engine: Engine) -> dict[str, set[str]]:
    """Kind -> the personal values the database holds."""
    values: dict[str, set[str]] = {"email": set(), "phone": set(), "name": set(), "text": set()}
    with Session(engine) as session:
        for customer in session.scalars(select(Customer)):
            if customer.email:
                values["email"].add(customer.email)
            if customer.phone:
                values["phone"] |= _phone_forms(customer.phone)
            if customer.address_line:
                values["text"].add(customer.address_line)
            if " " in customer.display_name:
                values["name"].add(customer.display_name)
        contacts = [
            *session.scalars(select(Complaint.contact_value)),
            *session.scalars(select(CallbackRequest.contact_value)),
            *session.scalars(select(DataRequest.contact_value)),
            *session.scalars(select(OutboxMessage.recipient)),
        ]
        for contact in filter(None, contacts):
            values["email" if "@" in contact else "phone"] |= (
                {contact} if "@" in contact else _phone_forms(contact)
            )
        values["text"] |= set(session.scalars(select(Complaint.description)))
    return {
        kind: {v for v in found if v and len(v.strip()) >= MIN_LENGTH}
        for kind, found in values.items()
    }


def leaks(engine: Engine) -> list[str]:
    """``logger: kind`` for every record holding a personal value of this database."""
    found = []
    values = personal_values(engine)
    for name, text in BOOK.records:
        for kind, candidates in values.items():
            if any(value in text for value in candidates):
                found.append(f"{name}: {kind}")
    return sorted(set(found))
