"""Asking for and checking how we may contact the customer (shared by the complaint and
callback forms). The backend validates again; this lets the bot re-ask at once."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import user_token

ON_FILE_ANY = "on_file"  # whichever usable contact the account has
ON_FILE_EMAIL = "on_file_email"
ON_FILE_PHONE = "on_file_phone"
# The backend's own email check (services/contacts.py), so both accept the same.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def normalise_contact(text: str) -> str | None:
    """An email address or an E.164 phone number (Hong Kong by default), else None."""
    text = text.strip()
    if "@" in text:
        return text if len(text) <= 254 and _EMAIL.match(text) else None
    try:
        number = phonenumbers.parse(text, "HK")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_contact_slot(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    if value is None:
        return {"contact": None}  # nothing given yet (e.g. reset before a form starts)
    if value in (ON_FILE_ANY, ON_FILE_EMAIL, ON_FILE_PHONE):
        if user_token(tracker):
            return {"contact": value}
        dispatcher.utter_message(response="utter_ask_contact_anonymous")
        return {"contact": None}
    normalised = normalise_contact(str(value))
    if normalised is None:
        dispatcher.utter_message(response="utter_invalid_contact")
        return {"contact": None}
    return {"contact": normalised}


def contact_payload(contact: str) -> dict[str, str]:
    """The backend fields for a contact slot value."""
    if contact == ON_FILE_ANY:
        return {}
    if contact == ON_FILE_EMAIL:
        return {"contact_method": "email"}
    if contact == ON_FILE_PHONE:
        return {"contact_method": "phone"}
    return {"contact_method": "email" if "@" in contact else "phone", "contact_value": contact}


def mask_contact(contact: str) -> str:
    if contact == ON_FILE_ANY:
        return "the contact details on your account"
    if contact == ON_FILE_EMAIL:
        return "the email on your account"
    if contact == ON_FILE_PHONE:
        return "the phone number on your account"
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"phone ending {contact[-2:]}"


class ActionAskContact(Action):
    """Signed-in customers may pick the contact on their account; guests type one."""

    def name(self) -> str:
        return "action_ask_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        signed_in = user_token(tracker) is not None
        dispatcher.utter_message(
            response="utter_ask_contact_signed_in" if signed_in else "utter_ask_contact_anonymous"
        )
        return []
