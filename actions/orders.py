"""Where is my order: which order (recent ones as buttons when signed in), proof of identity
for a guest (a code to the contact on the order), then its status, dates and items. A late
order, or one the customer says arrived damaged, is offered a complaint linked to it."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.complaint_text import order_no_from_text
from actions.conversation import user_token
from actions.verification import (
    CODE_SLOT,
    STOPPED,
    sign_in_refused,
    validate_code,
)

logger = logging.getLogger(__name__)

RECENT_LIMIT = 5
OFFERED = "complaint_offered"  # featurized: the rules follow a yes or no to the offer
NOT_OFFERED = SlotSet(OFFERED, False)
_DAMAGE = re.compile(
    r"\b(damaged?|broken|broke|smashed|crushed|cracked|dented|torn|ripped|wet|leak\w*|"
    r"scratched|shattered)\b|爛|壞",
    re.IGNORECASE,
)


def message_order_no(tracker: Tracker) -> str | None:
    for value in tracker.get_latest_entity_values("order_no"):
        if order_no := order_no_from_text(str(value)):
            return order_no
    return order_no_from_text(tracker.latest_message.get("text") or "")


def order_buttons(items: list[dict[str, Any]], intent: str) -> list[dict[str, str]]:
    buttons = []
    for item in items:
        order_no = str(item["order_no"])
        when = item.get("ordered_on_local")
        buttons.append(
            {
                "title": f"{order_no} · {when}" if when else order_no,
                "payload": f'/{intent}{{"order_no":"{order_no}"}}',
            }
        )
    return buttons


async def recent_orders(token: str) -> list[dict[str, Any]] | None:
    """The customer's recent orders, or None when they cannot be listed now."""
    try:
        listing = await crm_client.get_client().list_orders(user_token=token, limit=RECENT_LIMIT)
    except crm_client.BackendError as exc:
        logger.warning("orders not listed: %s", type(exc).__name__)
        return None
    items: list[dict[str, Any]] = listing.get("items") or []
    return items


class ActionStartOrderStatus(Action):
    def name(self) -> str:
        return "action_start_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        return [
            SlotSet("order_ref", message_order_no(tracker)),
            SlotSet("order_damaged", bool(_DAMAGE.search(text))),
            SlotSet(CODE_SLOT, None),
        ]


class ActionAskOrderRef(Action):
    def name(self) -> str:
        return "action_ask_order_ref"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        token = user_token(tracker)
        if token is None:
            dispatcher.utter_message(response="utter_ask_order_ref_guest")
            return []
        items = await recent_orders(token)
        if items is None:
            dispatcher.utter_message(response="utter_ask_order_ref")
        elif not items:
            dispatcher.utter_message(response="utter_no_orders_on_account")
        else:
            dispatcher.utter_message(
                response="utter_ask_order_ref_pick", buttons=order_buttons(items, "order_status")
            )
        return []


class ValidateOrderStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_status_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(CODE_SLOT) in STOPPED:
            return ["order_ref", CODE_SLOT]  # both filled: the form ends, the reason was said
        if user_token(tracker) is None:
            return ["order_ref", CODE_SLOT]
        return ["order_ref"]

    async def validate_order_ref(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"order_ref": None}  # reset before the form starts: nothing to check
        order_no = order_no_from_text(str(value))
        if order_no is None:
            dispatcher.utter_message(response="utter_invalid_order_no")
            return {"order_ref": None}
        token = user_token(tracker)
        if token is None:
            return {"order_ref": order_no}  # a guest: the code to its contact proves it
        try:
            await crm_client.get_client().get_order(order_no, user_token=token)
        except (crm_client.NotFound, crm_client.Forbidden):
            dispatcher.utter_message(response="utter_order_not_on_account", order_no=order_no)
            return {"order_ref": None}
        except crm_client.BackendError:
            pass  # checked again when answering
        return {"order_ref": order_no}

    async def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        target = order_no_from_text(tracker.get_slot("order_ref") or "")
        return await validate_code(value, dispatcher, tracker, target)


def items_text(order: dict[str, Any]) -> str:
    lines = order.get("lines") or []
    return ", ".join(f"{line['quantity']} x {line['product_name']}" for line in lines)


class ActionOrderStatus(Action):
    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_no = order_no_from_text(tracker.get_slot("order_ref") or "")
        token = user_token(tracker)
        if order_no is None or token is None:
            if tracker.get_slot(CODE_SLOT) not in STOPPED:
                dispatcher.utter_message(response="utter_order_not_verified")
            return [NOT_OFFERED, SlotSet(CODE_SLOT, None)]
        try:
            order = await crm_client.get_client().get_order(order_no, user_token=token)
        except (crm_client.NotFound, crm_client.Forbidden):
            dispatcher.utter_message(response="utter_order_not_on_account", order_no=order_no)
            return [NOT_OFFERED, SlotSet("order_ref", None)]
        except crm_client.NotAuthorized:
            return [NOT_OFFERED, *sign_in_refused(dispatcher, tracker)]
        except crm_client.BackendError as exc:
            logger.warning("order not read: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_order_backend_down", order_no=order_no)
            return [NOT_OFFERED]
        self._say(dispatcher, order)
        events: list[EventType] = [SlotSet("order_no", order_no)]  # a complaint links to it
        if order.get("is_late"):
            dispatcher.utter_message(response="utter_offer_complaint_late_order")
            return [*events, SlotSet(OFFERED, True)]
        if tracker.get_slot("order_damaged"):
            dispatcher.utter_message(response="utter_offer_complaint_damaged_order")
            return [*events, SlotSet(OFFERED, True)]
        return [*events, NOT_OFFERED]

    @staticmethod
    def _say(dispatcher: CollectingDispatcher, order: dict[str, Any]) -> None:
        common = {
            "order_no": order["order_no"],
            "ordered_on": order.get("ordered_on_local") or "-",
            "status_label": order.get("status_label") or order.get("status"),
        }
        if order.get("channel") == "online":
            dispatcher.utter_message(response="utter_order_status_online", **common)
            if expected := order.get("expected_delivery_local"):
                dispatcher.utter_message(response="utter_order_expected_by", expected_by=expected)
        else:
            dispatcher.utter_message(
                response="utter_order_status_store", store_name=order.get("store_name"), **common
            )
        if items := items_text(order):
            dispatcher.utter_message(
                response="utter_order_items",
                items=items,
                currency=order.get("currency") or "HKD",
                total=order.get("total_amount"),
            )


class ActionComplainAboutOrder(Action):
    """Yes to the offer: the complaint form starts with the order (and category) known."""

    def name(self) -> str:
        return "action_complain_about_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_no = order_no_from_text(
            tracker.get_slot("order_ref") or tracker.get_slot("order_no") or ""
        )
        return [
            SlotSet(OFFERED, False),
            SlotSet("complaint_description", None),
            SlotSet("complaint_category", "delivery"),
            SlotSet("order_no", order_no),
            SlotSet("complaint_confirmed", None),
        ]


class ActionDeclineOrderComplaint(Action):
    def name(self) -> str:
        return "action_decline_order_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet(OFFERED, False)]


class ActionAskOrderNo(Action):
    """The complaint form's order question: a signed-in customer also gets their recent
    orders as buttons; a guest types the number."""

    def name(self) -> str:
        return "action_ask_order_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        token = user_token(tracker)
        items = await recent_orders(token) if token else None
        if not items:
            dispatcher.utter_message(response="utter_ask_order_no")
            return []
        dispatcher.utter_message(
            response="utter_ask_order_no_signed_in", buttons=order_buttons(items, "inform")
        )
        return []
