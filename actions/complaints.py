"""The complaint form: validation, confirmation summary, filing and cancelling."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.complaint_status import answer_status_inline
from actions.complaint_text import (
    MAX_DESCRIPTION_CHARS,
    category_from_text,
    means_no_order,
    order_no_from_text,
    says_what_happened,
)
from actions.contact import contact_payload, mask_contact, validate_contact_slot
from actions.conversation import (
    DONE,
    FAILED,
    latest_intent,
    user_token,
    value_before_latest_message,
)

logger = logging.getLogger(__name__)

FORM_SLOTS = ("complaint_description", "complaint_category", "order_no", "contact")
FIELD_SLOTS = {
    "description": "complaint_description",
    "category": "complaint_category",
    "order_no": "order_no",
    "contact": "contact",
}
# Backend request fields (as named in a 422 answer) to the slot that holds them.
BACKEND_FIELD_SLOTS = {
    "description": "complaint_description",
    "category": "complaint_category",
    "order_no": "order_no",
    "contact_method": "contact",
    "contact_value": "contact",
}
NO_ORDER = "none"
MIN_DESCRIPTION_CHARS = 10
PREVIEW_CHARS = 160

CATEGORY_LABELS = {
    "product_quality": "product quality",
    "delivery": "delivery",
    "service": "service in store or online",
    "billing": "billing or payment",
    "refund": "a refund",
    "other": "something else",
}


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answered = any(tracker.get_slot(slot) is not None for slot in FORM_SLOTS)
        if latest_intent(tracker) == "change_answer" and answered:
            return self._change_answer(dispatcher, tracker)
        if latest_intent(tracker) == "complaint_status" and self._asks_about_a_complaint(tracker):
            return await self._status_question(dispatcher, tracker)
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _asks_about_a_complaint(tracker: Tracker) -> bool:
        """Asked "what happened?", a customer is telling their story, whatever the NLU
        thinks; elsewhere only a message naming a reference is a status question."""
        if tracker.get_slot("requested_slot") != "complaint_description":
            return True
        return next(tracker.get_latest_entity_values("complaint_ref"), None) is not None

    @staticmethod
    async def _status_question(
        dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """A status question ("any news on CMP-000123?") mid-form: answer it, take it as
        no answer, and let the form ask its question again."""
        await answer_status_inline(dispatcher, tracker)
        slots = {slot for slot in tracker.slots_to_validate() if slot in FORM_SLOTS}
        requested = tracker.get_slot("requested_slot")
        if requested:
            slots.add(requested)  # an explicit "not answered", so the form does not reject
        return [SlotSet(slot, value_before_latest_message(tracker, slot)) for slot in sorted(slots)]

    @staticmethod
    def _change_answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        field = next(tracker.get_latest_entity_values("complaint_field"), None)
        # "change the category" is not an answer: undo whatever the message filled.
        events: list[EventType] = [
            SlotSet(slot, value_before_latest_message(tracker, slot))
            for slot in tracker.slots_to_validate()
            if slot in FORM_SLOTS
        ]
        events += [SlotSet("complaint_confirmed", None), SlotSet("complaint_field", None)]
        slot = FIELD_SLOTS.get(field or "")
        if slot is None:
            dispatcher.utter_message(response="utter_ask_which_field")
            return events
        # Clearing the slot makes the form ask for it again, then carry on where it was.
        return [*events, SlotSet(slot, None)]

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if tracker.get_slot("requested_slot") != "complaint_description":
            # Taken from the message that (re)started the form: use it if it tells a story,
            # else keep what the customer said before (a "try again"), else ask.
            if says_what_happened(text):
                return {"complaint_description": text}
            return {
                "complaint_description": value_before_latest_message(
                    tracker, "complaint_description"
                )
            }
        if len(text) > MAX_DESCRIPTION_CHARS:
            dispatcher.utter_message(
                response="utter_invalid_description_long", max_chars=f"{MAX_DESCRIPTION_CHARS:,}"
            )
            return {"complaint_description": None}
        if len(text) < MIN_DESCRIPTION_CHARS or len(text.split()) < 2:
            dispatcher.utter_message(response="utter_invalid_description_short")
            return {"complaint_description": None}
        slots: dict[str, Any] = {"complaint_description": text}
        # "my order ORD-00012345 arrived broken" answers the order question too.
        if tracker.get_slot("order_no") is None and (order_no := order_no_from_text(text)):
            slots["order_no"] = order_no
        return slots

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        category = category_from_text(str(value or ""))
        if category is not None:
            return {"complaint_category": category}
        if tracker.get_slot("requested_slot") != "complaint_category":
            # A word the NLU took for a category inside another answer ("late", "6pm"):
            # not an answer to a question we asked, so the earlier answer stands, silently.
            earlier = value_before_latest_message(tracker, "complaint_category")
            return {"complaint_category": earlier}
        dispatcher.utter_message(response="utter_invalid_category")
        return {"complaint_category": None}

    async def validate_order_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text == NO_ORDER or latest_intent(tracker) == "deny" or means_no_order(text):
            return {"order_no": NO_ORDER}
        order_no = order_no_from_text(text)
        if order_no is None:
            dispatcher.utter_message(response="utter_invalid_order_no")
            return {"order_no": None}
        token = user_token(tracker)
        if token is None:
            return {"order_no": order_no}  # a guest's order is checked by a colleague
        try:
            order = await crm_client.get_client().get_order(order_no, user_token=token)
        except crm_client.NotFound:
            dispatcher.utter_message(response="utter_order_not_on_account", order_no=order_no)
            return {"order_no": None}
        except crm_client.NotAuthorized:
            dispatcher.utter_message(response="utter_sign_in_expired")
            return {"order_no": order_no}
        except crm_client.BackendError:
            dispatcher.utter_message(response="utter_order_not_checked", order_no=order_no)
            return {"order_no": order_no}
        dispatcher.utter_message(
            response="utter_order_found",
            order_no=order_no,
            ordered_on=str(order.get("ordered_at", ""))[:10],
            channel_label="online" if order.get("channel") == "online" else order.get("store_name"),
        )
        return {"order_no": order_no}

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_contact_slot(value, dispatcher, tracker)

    def validate_complaint_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {"complaint_confirmed": True}
        dispatcher.utter_message(response="utter_ask_which_field")
        return {"complaint_confirmed": None}


class ActionAskComplaintConfirmed(Action):
    """Shows what will be filed and asks for a yes."""

    def name(self) -> str:
        return "action_ask_complaint_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if latest_intent(tracker) in ("change_answer", "deny"):
            return []  # the "which part?" buttons were just shown
        description = tracker.get_slot("complaint_description") or ""
        if len(description) > PREVIEW_CHARS:
            description = description[: PREVIEW_CHARS - 1].rstrip() + "…"
        order_no = tracker.get_slot("order_no")
        dispatcher.utter_message(
            response="utter_complaint_summary",
            description_preview=description,
            category_label=CATEGORY_LABELS.get(tracker.get_slot("complaint_category") or "", "-"),
            order_label=order_no if order_no and order_no != NO_ORDER else "none",
            contact_label=mask_contact(tracker.get_slot("contact") or ""),
        )
        return []


def idempotency_key(tracker: Tracker) -> str:
    """Same conversation and same content gives the same key, so a retried or double
    submission files exactly one complaint."""
    parts = [tracker.sender_id or "", *(str(tracker.get_slot(s) or "") for s in FORM_SLOTS)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:48]


def reset_complaint_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "complaint_confirmed", "complaint_field")]


class ActionSubmitComplaint(Action):
    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_no = tracker.get_slot("order_no")
        payload: dict[str, Any] = {
            "description": tracker.get_slot("complaint_description"),
            "category": tracker.get_slot("complaint_category"),
            "order_no": order_no if order_no and order_no != NO_ORDER else None,
            "conversation_id": tracker.sender_id,
            "channel": "chat",
            **contact_payload(tracker.get_slot("contact") or ""),
        }
        try:
            complaint = await crm_client.get_client().file_complaint(
                payload, user_token=user_token(tracker), idempotency_key=idempotency_key(tracker)
            )
        except crm_client.InvalidRequest as exc:
            # Ask again for the one answer the backend refused, keep the rest.
            dispatcher.utter_message(response="utter_complaint_rejected", reason=exc.reason)
            slot = BACKEND_FIELD_SLOTS.get(exc.field or "")
            events: list[EventType] = [FAILED, SlotSet("complaint_confirmed", None)]
            if slot:
                events.append(SlotSet(slot, None))
            return [*events, FollowupAction("complaint_form")]
        except crm_client.NotAuthorized:
            dispatcher.utter_message(response="utter_complaint_sign_in_expired")
            return [FAILED, SlotSet("complaint_confirmed", None)]
        except crm_client.BackendError as exc:
            logger.warning("complaint not filed: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_complaint_backend_down")
            return [FAILED, SlotSet("complaint_confirmed", None)]
        dispatcher.utter_message(
            response="utter_complaint_filed",
            reference=complaint["reference"],
            first_response_due=complaint["first_response_due_local"],
            resolution_due=complaint["resolution_due_local"],
        )
        # Known in the conversation from now on ("talk to a person" attaches it).
        return [DONE, *reset_complaint_slots(), SlotSet("complaint_ref", complaint["reference"])]


class ActionCancelComplaint(Action):
    def name(self) -> str:
        return "action_cancel_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_complaint_cancelled")
        return reset_complaint_slots()
