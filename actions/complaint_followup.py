"""Following up a filed complaint: its status, adding information, withdrawing it.

One form (``complaint_followup_form``) gathers what the request needs: which complaint,
proof of identity for a guest (a one-time code), the text to add or a yes to withdraw.
Then ``action_complaint_followup`` does it. A reference that is unknown or someone else's
gets the same answer, and a guest is sent a code with the same words either way.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.complaint_status import (
    message_complaint_ref,
    offer_recent_complaints,
    say_status,
)
from actions.conversation import (
    DONE,
    FAILED,
    latest_intent,
    user_token,
    value_before_latest_message,
)
from actions.verification import (
    CODE_SLOT,
    STOPPED,
    complaint_ref_from_text,
    sign_in_refused,
    token_for,
    validate_code,
)

logger = logging.getLogger(__name__)

# Intent -> what the customer wants done; the intent is also the retry buttons' payload.
REQUESTS = {"complaint_status": "status", "add_complaint_info": "add_info",
            "withdraw_complaint": "withdraw"}  # fmt: skip
REQUEST_INTENTS = {request: intent for intent, request in REQUESTS.items()}
PENDING_SLOTS = ("complaint_info", "withdraw_confirmed")
MIN_INFO_CHARS = 5
MAX_INFO_CHARS = 2000


def clear_pending() -> list[EventType]:
    return [SlotSet(slot, None) for slot in PENDING_SLOTS]


class ActionStartComplaintFollowup(Action):
    """Notes what the customer asks for and which complaint, before the form runs."""

    def name(self) -> str:
        return "action_start_complaint_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        request = REQUESTS.get(latest_intent(tracker) or "", "status")
        named = message_complaint_ref(tracker)
        known = complaint_ref_from_text(
            str(value_before_latest_message(tracker, "complaint_ref") or "")
        )
        pending = any(tracker.get_slot(slot) is not None for slot in PENDING_SLOTS)
        events: list[EventType] = [SlotSet("followup_request", request), SlotSet(CODE_SLOT, None)]
        if pending and request == tracker.get_slot("followup_request") and named in (None, known):
            # "Try again" after the backend was down: keep what the customer already said.
            return [*events, SlotSet("complaint_ref", known)]
        events += clear_pending()
        if named:
            ref = named
        elif user_token(tracker):
            ref = None  # signed in: they pick from their complaints
        else:
            ref = known  # a guest: the complaint this conversation is about, if any
        return [*events, SlotSet("complaint_ref", ref)]


class ActionAskComplaintRef(Action):
    def name(self) -> str:
        return "action_ask_complaint_ref"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        token = user_token(tracker)
        if token is None:
            dispatcher.utter_message(response="utter_ask_complaint_ref_guest")
            return []
        intent = REQUEST_INTENTS.get(tracker.get_slot("followup_request") or "", "complaint_status")
        return await offer_recent_complaints(dispatcher, token, intent)


class ValidateComplaintFollowupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_followup_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # "Actually, just tell me the status" while asked for something else: switch.
        request = REQUESTS.get(latest_intent(tracker) or "")
        switch: list[EventType] = []
        if (
            request
            and tracker.get_slot("requested_slot")
            and request != tracker.get_slot("followup_request")
        ):
            switch = [SlotSet("followup_request", request), *clear_pending()]
            tracker.add_slots(switch)
        return switch + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = ["complaint_ref"]
        if tracker.get_slot(CODE_SLOT) in STOPPED:
            return [*slots, CODE_SLOT]  # both filled: the form ends, the reason was said
        ref = complaint_ref_from_text(tracker.get_slot("complaint_ref") or "")
        if ref is None or token_for(tracker, ref) is None:
            slots.append(CODE_SLOT)
        request = tracker.get_slot("followup_request")
        if request == "add_info":
            slots.append("complaint_info")
        elif request == "withdraw":
            slots.append("withdraw_confirmed")
        return slots

    async def validate_complaint_ref(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"complaint_ref": None}  # reset before the form starts: nothing to check
        ref = complaint_ref_from_text(str(value))
        if ref is None:
            dispatcher.utter_message(response="utter_invalid_complaint_ref")
            return {"complaint_ref": None}
        token = token_for(tracker, ref)
        if token is None:
            return {"complaint_ref": ref}  # a guest: the code to its contact proves it
        try:
            await crm_client.get_client().get_complaint(ref, user_token=token)
        except (crm_client.NotFound, crm_client.Forbidden):
            dispatcher.utter_message(response="utter_complaint_ref_not_found")
            return {"complaint_ref": None}
        except crm_client.BackendError:
            pass  # checked again when answering
        return {"complaint_ref": ref}

    async def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        target = complaint_ref_from_text(tracker.get_slot("complaint_ref") or "")
        return await validate_code(value, dispatcher, tracker, target)

    def validate_complaint_info(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or tracker.get_slot("followup_request") != "add_info":
            return {"complaint_info": None}
        text = " ".join(str(value or "").split())
        if len(text) > MAX_INFO_CHARS:
            dispatcher.utter_message(
                response="utter_complaint_info_too_long", max_chars=f"{MAX_INFO_CHARS:,}"
            )
            return {"complaint_info": None}
        if len(text) < MIN_INFO_CHARS or not re.search(r"\w\w", text):
            dispatcher.utter_message(response="utter_complaint_info_too_short")
            return {"complaint_info": None}
        return {"complaint_info": text}

    def validate_withdraw_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("followup_request") != "withdraw" or not isinstance(value, bool):
            return {"withdraw_confirmed": None}
        return {"withdraw_confirmed": value}


class ActionComplaintFollowup(Action):
    """Answers the status, adds the information or withdraws, once the form is done."""

    def name(self) -> str:
        return "action_complaint_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        request = tracker.get_slot("followup_request") or "status"
        ref = complaint_ref_from_text(tracker.get_slot("complaint_ref") or "")
        token = token_for(tracker, ref)
        if ref is None or token is None:
            if tracker.get_slot(CODE_SLOT) not in STOPPED:
                dispatcher.utter_message(response="utter_followup_not_verified")
            return [FAILED, SlotSet(CODE_SLOT, None), *clear_pending()]
        client = crm_client.get_client()
        try:
            if request == "add_info":
                text = tracker.get_slot("complaint_info") or ""
                await client.add_complaint_information(ref, text, user_token=token)
                dispatcher.utter_message(response="utter_complaint_info_added", reference=ref)
            elif request == "withdraw":
                if tracker.get_slot("withdraw_confirmed") is not True:
                    dispatcher.utter_message(response="utter_complaint_kept", reference=ref)
                    return [DONE, *clear_pending()]
                await client.withdraw_complaint(ref, user_token=token)
                dispatcher.utter_message(response="utter_complaint_withdrawn", reference=ref)
            else:
                say_status(dispatcher, await client.get_complaint(ref, user_token=token))
        except (crm_client.NotFound, crm_client.Forbidden):
            dispatcher.utter_message(response="utter_complaint_ref_not_found")
            return [FAILED, SlotSet("complaint_ref", None), *clear_pending()]
        except crm_client.Conflict:
            response = (
                "utter_complaint_info_not_possible"
                if request == "add_info"
                else "utter_withdraw_not_possible"
            )
            dispatcher.utter_message(response=response, reference=ref)
            return [FAILED, *clear_pending()]
        except crm_client.InvalidRequest:
            dispatcher.utter_message(response="utter_complaint_info_too_short")
            return [FAILED, *clear_pending()]
        except crm_client.NotAuthorized:
            return [FAILED, *sign_in_refused(dispatcher, tracker)]
        except crm_client.BackendError as exc:
            # Keep every answer: the "Try again" button repeats the request.
            logger.warning("complaint follow-up not done: %s", type(exc).__name__)
            dispatcher.utter_message(
                response="utter_followup_backend_down",
                reference=ref,
                retry_intent=REQUEST_INTENTS.get(request, "complaint_status"),
            )
            return [FAILED]
        return [DONE, *clear_pending()]


class ActionStopComplaintFollowup(Action):
    def name(self) -> str:
        return "action_stop_complaint_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_followup_stopped")
        return [SlotSet(CODE_SLOT, None), *clear_pending()]
