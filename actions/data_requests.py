"""A copy of one's personal data (a data access request under the PDPO).

``data_request_form`` only establishes who is asking (the website sign-in, or a one-time
code to a contact on file: actions/identity.py). A verified customer gets the copy at once:
the backend makes the export (JSON plus a readable summary) and sends the link to the
contact on file too. A guest who could not verify (too many codes, or none could be sent)
but gave a contact still has the request logged, to be answered by its due date once a
colleague has checked who is asking.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.conversation import DONE, FAILED, user_token
from actions.identity import (
    CONTACT_SLOT,
    IdentityFormValidation,
    identity_slots,
)
from actions.verification import CODE_SLOT, STOPPED, sign_in_refused

logger = logging.getLogger(__name__)

HONG_KONG = ZoneInfo("Asia/Hong_Kong")


def summary_link(url: str) -> str:
    """The same export as a readable summary rather than JSON."""
    return url + ("&" if "?" in url else "?") + "format=text"


def local_date(value: str | None) -> str:
    """ "2026-12-23T04:00:00Z" -> "23 Dec 2026" (Hong Kong date)."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(HONG_KONG)
    return f"{local.day} {local:%b %Y}"


def clear_identity() -> list[EventType]:
    return [SlotSet(CONTACT_SLOT, None), SlotSet(CODE_SLOT, None)]


class ActionStartDataRequest(Action):
    def name(self) -> str:
        return "action_start_data_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return clear_identity()


class ValidateDataRequestForm(IdentityFormValidation):
    def name(self) -> str:
        return "validate_data_request_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return identity_slots(tracker)


class ActionSubmitDataRequest(Action):
    def name(self) -> str:
        return "action_submit_data_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        token = user_token(tracker)
        payload: dict[str, Any] = {
            "kind": "access",
            "channel": "chat",
            "conversation_id": tracker.sender_id,
        }
        contact = tracker.get_slot(CONTACT_SLOT)
        if token is None:
            if tracker.get_slot(CODE_SLOT) not in STOPPED or not contact:
                dispatcher.utter_message(response="utter_data_request_not_verified")
                return [*clear_identity(), FAILED]
            # Could not verify: logged with the contact, a colleague checks who asks.
            payload["contact_value"] = str(contact)
        try:
            created = await crm_client.get_client().create_data_request(payload, user_token=token)
        except crm_client.NotAuthorized:
            return [*clear_identity(), *sign_in_refused(dispatcher, tracker), FAILED]
        except crm_client.InvalidRequest:
            dispatcher.utter_message(response="utter_data_request_not_verified")
            return [*clear_identity(), FAILED]
        except crm_client.BackendError as exc:
            logger.warning("data request not created: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_data_request_backend_down")
            return [*clear_identity(), FAILED]
        reference = created.get("reference")
        due_date = local_date(created.get("due_at"))
        download_url = created.get("download_url")
        if created.get("status") == "completed" and download_url:
            link = str(download_url)
            dispatcher.utter_message(
                response="utter_data_copy_ready",
                reference=reference,
                download_url=link,
                summary_url=summary_link(link),
            )
        elif token is None:
            dispatcher.utter_message(
                response="utter_data_request_logged_unverified",
                reference=reference,
                due_date=due_date,
            )
        else:
            dispatcher.utter_message(
                response="utter_data_request_logged", reference=reference, due_date=due_date
            )
        return [*clear_identity(), DONE]
