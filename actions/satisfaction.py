"""The satisfaction follow-up the backend pushes into a live chat after a complaint is
resolved (external intent ``EXTERNAL_satisfaction_followup`` with ``complaint_ref`` and
``followup_token``): a 1-5 rating, recorded with the follow-up's own token. An unhappy
rating reopens the complaint, escalates it and comes with a recovery offer."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.conversation import user_token
from actions.ratings import parse_rating
from actions.verification import complaint_ref_from_text

logger = logging.getLogger(__name__)

_VOUCHER = re.compile(r"^voucher_hkd_(\d+)$")


class ActionStartSatisfaction(Action):
    """A new follow-up (it carries its token) starts from a clean rating; the "Try again"
    button (no token) keeps the rating given before."""

    def name(self) -> str:
        return "action_start_satisfaction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if next(tracker.get_latest_entity_values("followup_token"), None):
            return [SlotSet("csat_rating", None)]
        return []


class ValidateSatisfactionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_satisfaction_form"

    def validate_csat_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"csat_rating": None}  # not given yet: the form asks
        rating = parse_rating(str(value))
        if rating is None:
            dispatcher.utter_message(response="utter_invalid_csat_rating")
            return {"csat_rating": None}
        return {"csat_rating": str(rating)}


def say_recovery(dispatcher: CollectingDispatcher, result: dict[str, Any]) -> None:
    offer = result.get("recovery_offer") or ""
    voucher = _VOUCHER.match(offer)
    if offer == "priority_callback":
        dispatcher.utter_message(response="utter_recovery_offer_priority_callback")
    elif voucher:
        dispatcher.utter_message(response="utter_recovery_offer_voucher", amount=voucher.group(1))
    elif offer:
        dispatcher.utter_message(response="utter_recovery_offer_other")
    if expected := result.get("callback_expected_by_local"):
        dispatcher.utter_message(response="utter_csat_next_steps_callback", expected_by=expected)
    else:
        dispatcher.utter_message(response="utter_csat_next_steps")


class ActionSubmitSatisfaction(Action):
    def name(self) -> str:
        return "action_submit_satisfaction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ref = complaint_ref_from_text(tracker.get_slot("csat_ref") or "")
        rating = parse_rating(tracker.get_slot("csat_rating") or "")
        token = tracker.get_slot("followup_token") or user_token(tracker)
        done: list[EventType] = [SlotSet("csat_rating", None), SlotSet("followup_token", None)]
        if ref is None or rating is None or not token:
            dispatcher.utter_message(response="utter_csat_cannot_record")
            return done
        try:
            result = await crm_client.get_client().rate_complaint(ref, rating, user_token=token)
        except crm_client.Conflict:
            dispatcher.utter_message(response="utter_csat_already_rated", reference=ref)
            return done
        except (
            crm_client.NotAuthorized,
            crm_client.NotFound,
            crm_client.Forbidden,
            crm_client.InvalidRequest,
        ):
            dispatcher.utter_message(response="utter_csat_cannot_record")
            return done
        except crm_client.BackendError as exc:
            # Keep the rating and the token: "Try again" submits them.
            logger.warning("rating not recorded: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_csat_backend_down")
            return []
        if result.get("outcome") == "reopened":
            dispatcher.utter_message(response="utter_csat_reopened", reference=ref)
            say_recovery(dispatcher, result)
        else:
            dispatcher.utter_message(response="utter_csat_thanks", reference=ref)
        return done
