"""Validation and normalisation of contact details (email syntax, HK phone numbers)."""

from __future__ import annotations

import re

import phonenumbers

from crm_backend.errors import InvalidInput
from crm_backend.models import Customer
from crm_backend.models.enums import ContactMethod

# Pragmatic syntax check: one @, a dotted domain, no spaces. Deliverability is not checked.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def normalise_email(value: str) -> str | None:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        return None
    local, _, domain = value.partition("@")
    return f"{local}@{domain.lower()}"


# What people write in a phone number. Letters are refused: phonenumbers would read them as
# keypad digits ("9123 abcd" -> +85291232223), which is never what a customer meant.
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()\-.]+$")


def normalise_phone(value: str, region: str = "HK") -> str | None:
    """E.164 form of a valid phone number (Hong Kong by default), else None."""
    if not PHONE_CHARACTERS.match(value.strip()):
        return None
    try:
        parsed = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_contact(method: ContactMethod, value: str) -> str:
    normalised = normalise_email(value) if method == ContactMethod.EMAIL else normalise_phone(value)
    if normalised is None:
        what = "an email address" if method == ContactMethod.EMAIL else "a valid phone number"
        raise InvalidInput("contact_value", f"contact_value is not {what}")
    return normalised


def resolve_contact(
    *, method: ContactMethod | None, value: str | None, customer: Customer | None
) -> tuple[ContactMethod | None, str | None]:
    """The contact to use: the one given, else (signed in) the one on the customer's profile.

    Anonymous callers must give one. A signed-in customer without a usable contact on file
    gets ``(None, None)``: they are reachable through their account only.
    """
    if method and value:
        return method, normalise_contact(method, value)
    if customer is None:
        raise InvalidInput(
            "contact_value", "contact_method and contact_value are required when not signed in"
        )
    on_file = {
        ContactMethod.EMAIL: normalise_email(customer.email or ""),
        ContactMethod.PHONE: normalise_phone(customer.phone or ""),
    }
    if method is not None:
        if on_file[method] is None:
            raise InvalidInput(
                "contact_method", f"there is no valid {method.value} on your profile"
            )
        return method, on_file[method]
    for candidate, on_file_value in on_file.items():
        if on_file_value is not None:
            return candidate, on_file_value
    return None, None
