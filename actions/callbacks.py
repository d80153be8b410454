"""Requests for a person: a callback request with what the bot knew, and when to expect it."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.contact import ON_FILE_ANY, contact_payload, validate_contact_slot
from actions.conversation import DONE, FAILED, user_token
from actions.verification import complaint_ref_from_text, token_for

logger = logging.getLogger(__name__)


class ActionPrepareCallback(Action):
    """Signed-in customers are called back on the contact on their account, so the form
    has nothing to ask; guests are asked how to reach them, unless they already said so
    in a complaint they were filing."""

    def name(self) -> str:
        return "action_prepare_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if caller_token(tracker):
            return [SlotSet("contact", ON_FILE_ANY)]
        return []


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == ON_FILE_ANY and caller_token(tracker):
            return {"contact": value}  # a guest verified for a complaint: its contact
        return validate_contact_slot(value, dispatcher, tracker)


def caller_token(tracker: Tracker) -> str | None:
    """The customer's token, else one a guest earned for the complaint being discussed
    (the backend then uses that complaint's contact and attaches it)."""
    return token_for(tracker, complaint_ref_from_text(tracker.get_slot("complaint_ref") or ""))


def callback_context(tracker: Tracker) -> dict[str, Any]:
    """What a colleague needs to pick up the thread; identifiers only, no free text."""
    context: dict[str, Any] = {"signed_in": user_token(tracker) is not None}
    if category := tracker.get_slot("complaint_category"):
        context["complaint_category"] = category
    if (order_no := tracker.get_slot("order_no")) and order_no != "none":
        context["order_no"] = order_no
    if tracker.get_slot("complaint_description"):
        context["unfinished_complaint"] = True
    return context


class ActionSubmitCallback(Action):
    def name(self) -> str:
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        contact = tracker.get_slot("contact") or ""
        payload = {
            "conversation_id": tracker.sender_id,
            "reason": "customer_request",
            "context": callback_context(tracker),
            **contact_payload(contact),
        }
        # The complaint discussed in the conversation; attached only if the caller may.
        if complaint_ref := complaint_ref_from_text(tracker.get_slot("complaint_ref") or ""):
            payload["complaint_ref"] = complaint_ref
        try:
            callback = await crm_client.get_client().request_callback(
                payload, user_token=caller_token(tracker)
            )
        except crm_client.InvalidRequest as exc:
            if exc.field in ("contact_method", "contact_value"):
                # No usable contact on the account, or one the backend refused: ask again.
                if user_token(tracker):
                    dispatcher.utter_message(response="utter_no_contact_on_file", method="contact")
                else:
                    dispatcher.utter_message(response="utter_invalid_contact")
                return [FAILED, SlotSet("contact", None), FollowupAction("callback_form")]
            dispatcher.utter_message(response="utter_callback_backend_down")
            return [FAILED, SlotSet("contact", None)]
        except crm_client.NotAuthorized:
            dispatcher.utter_message(response="utter_sign_in_expired")
            return [FAILED, SlotSet("contact", None)]
        except crm_client.BackendError as exc:
            logger.warning("callback not booked: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_callback_backend_down")
            return [FAILED, SlotSet("contact", None)]
        dispatcher.utter_message(
            response="utter_callback_booked",
            contact_masked=callback["contact_masked"],
            expected_by=callback["expected_by_local"],
        )
        return [DONE, SlotSet("contact", None)]
