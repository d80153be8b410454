"""Proof of identity before anything reveals or changes personal data (profile, marketing
opt-in, a copy of one's data): the website sign-in, else a one-time code sent to an email
or phone already on file, which earns a customer token (``verified_token``).

A form that needs it lists ``identity_slots(tracker)`` first among its required slots. The
contact the guest types is only the address for the code: the backend sends it only if
the contact is on exactly one account, and the bot says the same words either way, so a
chat never reveals whether an email or phone is on file.
"""

from __future__ import annotations

import abc
import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import user_token
from actions.verification import CODE_SLOT, STOPPED, validate_code

CONTACT_SLOT = "identity_contact"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARS = re.compile(r"^[+()\d\s.-]+$")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 8, 15


def identity_slots(tracker: Tracker) -> list[str]:
    """The slots a form must fill first to know who the customer is (none when signed in)."""
    if tracker.get_slot(CODE_SLOT) in STOPPED:
        return [CONTACT_SLOT, CODE_SLOT]  # both filled: the form ends, the reason was said
    if user_token(tracker):
        return []
    return [CONTACT_SLOT, CODE_SLOT]


def is_verified(tracker: Tracker) -> bool:
    return user_token(tracker) is not None


def contact_from_text(text: str) -> str | None:
    """An email address or a phone number as typed, roughly checked (the backend decides)."""
    text = (text or "").strip()
    if _EMAIL.match(text):
        return text
    digits = re.sub(r"\D", "", text)
    if _PHONE_CHARS.match(text) and MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        return text
    return None


def validate_identity_contact(value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    if value is None:
        return {CONTACT_SLOT: None}
    contact = contact_from_text(str(value))
    if contact is None:
        dispatcher.utter_message(response="utter_identity_contact_invalid")
        return {CONTACT_SLOT: None}
    return {CONTACT_SLOT: contact}


async def validate_identity_code(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Checks the code sent to the contact; on success the conversation holds a customer
    token and the contact typed is forgotten."""
    slots = await validate_code(value, dispatcher, tracker, tracker.get_slot(CONTACT_SLOT))
    if slots.get("verified_token"):
        dispatcher.utter_message(response="utter_identity_verified")
    return slots


class IdentityFormValidation(FormValidationAction, abc.ABC):
    """Validation for a form that lists ``identity_slots`` first: the contact a guest
    types and the code sent to it are checked the same way in every such form."""

    @abc.abstractmethod
    def name(self) -> str: ...

    def validate_identity_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_identity_contact(value, dispatcher)

    async def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await validate_identity_code(value, dispatcher, tracker)
