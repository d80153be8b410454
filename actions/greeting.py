"""The greeting, and for a signed-in customer with gaps in their profile (no email, a phone
number that does not work, ...) one polite offer to fix the first of them. The backend
decides whether to ask (at most once every 90 days); the greeting works whatever happens."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.profile import FIELD_SLOT, FIELDS, GAP_OFFERED
from actions.verification import metadata_token

logger = logging.getLogger(__name__)

# The gap problems the backend names, each with its own wording in the domain.
GAP_RESPONSES = frozenset((
    "missing_email",
    "invalid_email",
    "missing_phone",
    "invalid_phone",
    "missing_address",
    "no_district",
    "stale",
))  # fmt: skip


async def first_gap(token: str) -> dict[str, str] | None:
    """The gap to offer now, or None (nothing missing, asked recently, or no answer)."""
    try:
        answer = await crm_client.get_client().prompt_profile_gaps(user_token=token)
    except crm_client.BackendError as exc:
        logger.info("profile gaps not checked: %s", type(exc).__name__)
        return None
    gaps = answer.get("gaps") or []
    if not answer.get("prompt") or not gaps or not isinstance(gaps[0], dict):
        return None
    return gaps[0]


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_greet")
        token = metadata_token(tracker)
        gap = await first_gap(token) if token else None
        if gap is None:
            return [SlotSet(GAP_OFFERED, False)]  # always set: the rules tell the cases apart
        problem = str(gap.get("problem") or "")
        field = str(gap.get("field") or "")
        if problem in GAP_RESPONSES:
            dispatcher.utter_message(response=f"utter_profile_gap_{problem}")
        else:
            dispatcher.utter_message(
                response="utter_profile_gap_other", message=str(gap.get("message") or "")
            )
        # A typed "yes" starts the update on that detail (the buttons name it themselves).
        return [SlotSet(GAP_OFFERED, True), SlotSet(FIELD_SLOT, field if field in FIELDS else None)]


class ActionDeclineProfileGap(Action):
    def name(self) -> str:
        return "action_decline_profile_gap"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_profile_gap_declined")
        return [SlotSet(GAP_OFFERED, False), SlotSet(FIELD_SLOT, None)]
