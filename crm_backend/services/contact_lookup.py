"""Finding customers by an email address or phone number they have on file.

Contact fields are free text (imported and legacy records are written in many ways), so a
phone number is looked up in the forms people usually write it in, and an email address
case-insensitively. Nothing here logs or raises with a contact value in it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_backend.config import Settings
from crm_backend.errors import InvalidInput
from crm_backend.models import Customer
from crm_backend.services.contacts import normalise_email, normalise_phone

ContactKind = Literal["email", "phone"]
# Digits with the usual separators; phonenumbers alone would read letters as a keypad
# ("9123 abcd" -> 9123 2223), which is not a number anyone has.


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact as typed, checked and normalised: an email address (lower case) or a
    phone number in E.164 form."""

    kind: ContactKind
    value: str


def parse_contact(value: str) -> Contact | None:
    """The email address or phone number in ``value``, or None when it is neither."""
    if email := normalise_email(value):
        return Contact("email", email.lower())
    if phone := normalise_phone(value):
        return Contact("phone", phone)
    return None


def require_contact(value: str, field: str = "contact_value") -> Contact:
    contact = parse_contact(value)
    if contact is None:
        raise InvalidInput(field, f"{field} is not an email address or a valid phone number")
    return contact


def contact_ref(settings: Settings, contact: Contact) -> str:
    """A keyed fingerprint of a contact ("c:" + 32 hex), for counting codes and wrong
    guesses per contact without storing the contact."""
    digest = hmac.new(
        settings.signing_key.encode(),
        f"contact:{contact.kind}:{contact.value}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"c:{digest[:32]}"


def phone_written_forms(e164: str) -> list[str]:
    """The usual ways of writing a phone number ("9123 4567", "+852 9123 4567", ...)."""
    forms = {e164}
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return sorted(forms)
    national = str(parsed.national_number)
    country = str(parsed.country_code)
    forms.add(national)
    forms.add(f"+{country} {national}")
    forms.add(f"{country}{national}")
    forms.add(f"({country}) {national}")
    for fmt in (
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    ):
        forms.add(phonenumbers.format_number(parsed, fmt))
    if len(national) == 8:  # Hong Kong and Macau: two groups of four
        head, tail = national[:4], national[4:]
        for local in (f"{head} {tail}", f"{head}-{tail}"):
            forms.add(local)
            forms.add(f"+{country} {local}")
            forms.add(f"+{country}-{local}")
            forms.add(f"({country}) {local}")
            forms.add(f"(+{country}) {local}")
            forms.add(f"{country} {local}")
    return sorted(forms)


def customers_with_contact(session: Session, contact: Contact) -> list[Customer]:
    """Every customer with this contact on file, in customer order."""
    if contact.kind == "email":
        condition = func.lower(Customer.email) == contact.value
    else:
        condition = Customer.phone.in_(phone_written_forms(contact.value))
    candidates = session.scalars(select(Customer).where(condition).order_by(Customer.id)).all()
    # The SQL match is a prefilter; confirm with the same normalisation the contact had.
    return [customer for customer in candidates if _on_file(customer, contact)]


def _on_file(customer: Customer, contact: Contact) -> bool:
    if contact.kind == "email":
        email = normalise_email(customer.email or "")
        return email is not None and email.lower() == contact.value
    return normalise_phone(customer.phone or "") == contact.value
