"""Proof of identity for guests: a one-time code sent to the contact on a complaint or an
order, and the short-lived token the backend gives for it.

A code for an order proves being the order's customer: that token is a customer token and
goes to ``verified_token``, which ``user_token()`` falls back to, so every workflow treats
the guest as signed in. A code for a complaint proves access to that complaint only: its
token is kept apart (``complaint_token``) and used only for that complaint, because the
backend refuses it for anything a customer account does (filing, orders, feedback).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.complaint_text import order_no_from_text
from actions.conversation import VERIFIED_TOKEN_SLOT, user_token

CODE_SLOT = "verification_code"
ID_SLOT = "verification_id"
TARGET_SLOT = "verification_target"  # the reference the pending code was sent for
COMPLAINT_TOKEN_SLOT = "complaint_token"  # noqa: S105  (a slot name)
COMPLAINT_TOKEN_REF_SLOT = "complaint_token_ref"  # noqa: S105  (a slot name)
# Values of the code slot that end the form without a token (the reason was said).
LOCKED = "locked"
UNAVAILABLE = "unavailable"
STOPPED = frozenset((LOCKED, UNAVAILABLE))
# The form asking for a code, and the slot holding the reference it is for: a complaint, an
# order, or (actions/identity.py) an email or phone the guest says is on their account.
FORM_TARGET_SLOTS = {
    "complaint_followup_form": "complaint_ref",
    "order_status_form": "order_ref",
    "profile_form": "identity_contact",
    "marketing_form": "identity_contact",
    "data_request_form": "identity_contact",
}

_COMPLAINT_REF = re.compile(r"\bcmp[-\s]?(\d{6,9})\b", re.IGNORECASE)
_TRIES_LEFT = re.compile(r"(\d+)\s+tr(?:y|ies)\b")
CODE_DIGITS = 6


def complaint_ref_from_text(text: str) -> str | None:
    """``CMP-000123`` from "cmp 000123", "where is CMP-000123?" ..."""
    match = _COMPLAINT_REF.search(text or "")
    return f"CMP-{match.group(1)}" if match else None


def metadata_token(tracker: Tracker) -> str | None:
    """The token of a customer signed in on the website (not one earned by a code)."""
    metadata = tracker.latest_message.get("metadata") or {}
    token = metadata.get("token") if isinstance(metadata, dict) else None
    return token if isinstance(token, str) and token else None


def token_for(tracker: Tracker, target: str | None) -> str | None:
    """A token that may act on ``target`` (a complaint reference or an order number): the
    customer's own, else a complaint token earned for exactly that complaint."""
    token = user_token(tracker)
    if token:
        return token
    scoped = tracker.get_slot(COMPLAINT_TOKEN_SLOT)
    if target and scoped and tracker.get_slot(COMPLAINT_TOKEN_REF_SLOT) == target:
        return str(scoped)
    return None


def forget_expired_token(tracker: Tracker) -> list[EventType]:
    """After a 401: drop a code-earned token (a website sign-in is the page's business)."""
    if metadata_token(tracker):
        return []
    return [
        SlotSet(VERIFIED_TOKEN_SLOT, None),
        SlotSet(COMPLAINT_TOKEN_SLOT, None),
        SlotSet(COMPLAINT_TOKEN_REF_SLOT, None),
    ]


def is_contact_target(target: str) -> bool:
    return not (complaint_ref_from_text(target) == target or order_no_from_text(target) == target)


def sign_in_refused(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """After a 401: say the website sign-in or the code's confirmation has expired, and
    forget a code-earned token."""
    expired = metadata_token(tracker) is not None
    dispatcher.utter_message(
        response="utter_sign_in_expired" if expired else "utter_verification_token_expired"
    )
    return forget_expired_token(tracker)


def target_payload(target: str, conversation_id: str) -> dict[str, Any]:
    if is_contact_target(target):
        key = "contact_value"
    else:
        key = "complaint_ref" if target.startswith("CMP-") else "order_no"
    return {key: target, "conversation_id": conversation_id}


def code_from_text(text: str) -> str | None:
    """The six digits of "123456", "123 456", "my code is 123-456"."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) != CODE_DIGITS or re.search(r"[A-Za-z]\d|\d[A-Za-z]", text):
        return None
    return digits


class ActionAskVerificationCode(Action):
    """Sends a code for the form's reference, once; later asks only for the code itself."""

    def name(self) -> str:
        return "action_ask_verification_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slot = FORM_TARGET_SLOTS.get(tracker.active_loop_name or "")
        target = tracker.get_slot(slot) if slot else None
        if not target:
            return []
        # A contact is never repeated back: the code went to it only if it is on file.
        contact = is_contact_target(target)
        if tracker.get_slot(ID_SLOT) and tracker.get_slot(TARGET_SLOT) == target:
            if contact:
                dispatcher.utter_message(response="utter_ask_identity_code")
            else:
                dispatcher.utter_message(response="utter_ask_verification_code", target=target)
            return []
        try:
            started = await crm_client.get_client().start_verification(
                target_payload(target, tracker.sender_id)
            )
        except crm_client.Locked:
            dispatcher.utter_message(response="utter_verification_locked")
            return [SlotSet(CODE_SLOT, LOCKED), SlotSet("requested_slot", None)]
        except crm_client.InvalidRequest:
            # Not an email or phone number after all: ask for the contact again.
            dispatcher.utter_message(response="utter_identity_contact_invalid")
            return [SlotSet(slot, None), SlotSet("requested_slot", slot)]
        except crm_client.BackendError:
            dispatcher.utter_message(response="utter_verification_unavailable")
            return [SlotSet(CODE_SLOT, UNAVAILABLE), SlotSet("requested_slot", None)]
        # The same words whether or not the reference exists: the backend never says.
        if contact:
            dispatcher.utter_message(response="utter_identity_code_sent")
        else:
            dispatcher.utter_message(response="utter_verification_code_sent", target=target)
        return [SlotSet(ID_SLOT, started["verification_id"]), SlotSet(TARGET_SLOT, target)]


async def validate_code(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, target: str | None
) -> dict[str, Any]:
    """Checks a typed code with the backend; on success remembers the token it gives."""
    if value is None or value in STOPPED:
        return {CODE_SLOT: value}  # nothing typed yet (reset before the form), or ended
    text = str(value)
    if complaint_ref_from_text(text) or order_no_from_text(text):
        return {CODE_SLOT: None}  # another reference, not a code: the form asks again
    code = code_from_text(text)
    if code is None:
        dispatcher.utter_message(response="utter_verification_code_invalid")
        return {CODE_SLOT: None}
    verification_id = tracker.get_slot(ID_SLOT)
    if not verification_id or not target or tracker.get_slot(TARGET_SLOT) != target:
        return {CODE_SLOT: None}  # no code was sent for this reference yet: the ask sends one
    try:
        verified = await crm_client.get_client().confirm_verification(verification_id, code)
    except crm_client.InvalidRequest as exc:
        if "expired" in exc.reason:
            dispatcher.utter_message(response="utter_verification_code_expired")
            return {CODE_SLOT: None, ID_SLOT: None}
        tries = _TRIES_LEFT.search(exc.reason)
        if tries:
            dispatcher.utter_message(
                response="utter_verification_code_wrong", tries_left=int(tries.group(1))
            )
        else:
            dispatcher.utter_message(response="utter_verification_code_invalid")
        return {CODE_SLOT: None}
    except crm_client.Locked:
        dispatcher.utter_message(response="utter_verification_locked")
        return {CODE_SLOT: LOCKED, ID_SLOT: None}
    except (crm_client.NotFound, crm_client.Conflict):
        # Gone or already used: a new code is needed.
        dispatcher.utter_message(response="utter_verification_code_expired")
        return {CODE_SLOT: None, ID_SLOT: None}
    except crm_client.BackendError:
        dispatcher.utter_message(response="utter_verification_check_unavailable")
        return {CODE_SLOT: None}
    slots: dict[str, Any] = {CODE_SLOT: None, ID_SLOT: None, TARGET_SLOT: None}
    if is_contact_target(target):
        slots["identity_contact"] = None  # done with: the token now says who this is
    if verified.get("token_kind") == "customer":
        slots[VERIFIED_TOKEN_SLOT] = verified["token"]
    else:
        slots[COMPLAINT_TOKEN_SLOT] = verified["token"]
        slots[COMPLAINT_TOKEN_REF_SLOT] = target
    return slots
