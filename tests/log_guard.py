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
MIN_CJK_NAME = 3  # a Chinese full name of three characters is distinctive
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
_REMEMBERED: dict[str, dict[str, set[str]]] = {}


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


def _name_forms(customer: Customer) -> set[str]:
    """A full name as written in English ("Tai Man Chan") or Chinese ("陳大文", no space)."""
    forms = set()
    if " " in customer.display_name:
        forms.add(customer.display_name)
    chinese = f"{customer.family_name or ''}{customer.given_name or ''}"
    if len(chinese) >= MIN_CJK_NAME and not chinese.isascii():
        forms.add(chinese)
    return forms


def remember(engine: Engine) -> None:
    """Keep the values a database holds now (after seeding): tests change and delete
    profiles, and a value they replaced must not reach a log either."""
    for kind, found in personal_values(engine).items():
        _REMEMBERED.setdefault(str(engine.url), {}).setdefault(kind, set()).update(found)


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
            values["name"] |= _name_forms(customer)
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
    for kind, found in _REMEMBERED.get(str(engine.url), {}).items():
        values[kind] |= found
    return {
        kind: {v for v in found if v and len(v.strip()) >= _min_length(v)}
        for kind, found in values.items()
    }


def _min_length(value: str) -> int:
    return MIN_LENGTH if value.isascii() else MIN_CJK_NAME


def leaks(engine: Engine) -> list[str]:
    """``logger: kind`` for every record holding a personal value of this database."""
    found = []
    values = personal_values(engine)
    for name, text in BOOK.records:
        for kind, candidates in values.items():
            if any(value in text for value in candidates):
                found.append(f"{name}: {kind}")
    return sorted(set(found))
