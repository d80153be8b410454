"""Telling a customer where their complaint stands: the status and next step in words from
the domain, and their recent complaints as buttons. Used by the follow-up workflow and by
the complaint form when a status question comes in the middle of it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import crm_client
from actions.conversation import user_token
from actions.verification import complaint_ref_from_text, token_for

logger = logging.getLogger(__name__)

STATUSES = frozenset(
    ("new", "acknowledged", "in_progress", "awaiting_customer", "resolved", "closed")
)
NEXT_STEPS = frozenset(
    ("acknowledge", "investigate", "waiting_for_you", "resolved_awaiting_feedback", "closed")
)
RECENT_LIMIT = 5


def message_complaint_ref(tracker: Tracker) -> str | None:
    """The complaint reference named in the latest message, normalised, if any."""
    for value in tracker.get_latest_entity_values("complaint_ref"):
        if ref := complaint_ref_from_text(str(value)):
            return ref
    return complaint_ref_from_text(tracker.latest_message.get("text") or "")


def _short_date(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return f"{moment.day} {moment:%b %Y}"


def complaint_buttons(items: list[dict[str, Any]], intent: str) -> list[dict[str, str]]:
    buttons = []
    for item in items:
        ref = str(item["reference"])
        filed = _short_date(item.get("created_at"))
        buttons.append(
            {
                "title": f"{ref} · {filed}" if filed else ref,
                "payload": f'/{intent}{{"complaint_ref":"{ref}"}}',
            }
        )
    return buttons


async def offer_recent_complaints(
    dispatcher: CollectingDispatcher, token: str, intent: str
) -> list[EventType]:
    """Asks which complaint, with the customer's recent ones as buttons."""
    try:
        listing = await crm_client.get_client().list_complaints(
            user_token=token, params={"limit": RECENT_LIMIT}
        )
    except crm_client.NotAuthorized:
        dispatcher.utter_message(response="utter_sign_in_expired")
        dispatcher.utter_message(response="utter_ask_complaint_ref")
        return []
    except crm_client.BackendError as exc:
        logger.warning("complaints not listed: %s", type(exc).__name__)
        dispatcher.utter_message(response="utter_ask_complaint_ref")
        return []
    items = listing.get("items") or []
    if not items:
        dispatcher.utter_message(response="utter_no_complaints_on_account")
        return []
    dispatcher.utter_message(
        response="utter_ask_complaint_ref_pick", buttons=complaint_buttons(items, intent)
    )
    return []


def say_status(dispatcher: CollectingDispatcher, complaint: dict[str, Any]) -> None:
    reference = complaint.get("reference")
    status = complaint.get("status")
    dispatcher.utter_message(
        response=f"utter_complaint_status_{status if status in STATUSES else 'in_progress'}",
        reference=reference,
        last_update=complaint.get("last_update_local") or "-",
    )
    if status in ("resolved", "closed") and complaint.get("resolution"):
        dispatcher.utter_message(
            response="utter_complaint_resolution", resolution=complaint["resolution"]
        )
    step = complaint.get("next_step")
    if step in NEXT_STEPS:
        dispatcher.utter_message(
            response=f"utter_complaint_next_{step}",
            reference=reference,
            first_response_due=complaint.get("first_response_due_local") or "-",
            resolution_due=complaint.get("resolution_due_local") or "-",
        )


async def answer_status_inline(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A status question asked while filing another complaint: answered if we may without
    questions (signed in, or verified for that complaint), else we say when we can."""
    ref = message_complaint_ref(tracker)
    token = token_for(tracker, ref) if ref else user_token(tracker)
    if token is None:
        dispatcher.utter_message(response="utter_status_after_complaint")
        return
    if ref is None:
        await offer_recent_complaints(dispatcher, token, "complaint_status")
        return
    try:
        complaint = await crm_client.get_client().get_complaint(ref, user_token=token)
    except (crm_client.NotFound, crm_client.Forbidden):
        dispatcher.utter_message(response="utter_complaint_ref_not_found")
    except crm_client.NotAuthorized:
        dispatcher.utter_message(response="utter_sign_in_expired")
    except crm_client.BackendError:
        dispatcher.utter_message(response="utter_status_unavailable_in_form")
    else:
        say_status(dispatcher, complaint)
