"""Staff console: open data-subject requests and their due dates ("open data requests",
"which access requests are due?"), for the departments allowed to see them (compliance).
The backend decides who may; a department without the right is told so."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.staff_complaints import StaffAction, clear_pending, say_lines

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
MAX_LINES = 15
KIND_LABELS = {"access": "copy of data", "correction": "correction"}


def due_label(item: dict[str, Any]) -> str:
    days = item.get("days_left")
    if days is None:
        return ""
    if days < 0:
        return f"overdue by {-days} day{'s' if days != -1 else ''}"
    return f"{days} day{'s' if days != 1 else ''} left"


def request_row(item: dict[str, Any]) -> dict[str, Any]:
    due = datetime.fromisoformat(str(item["due_at"])).astimezone(HONG_KONG)
    return {
        "reference": item["reference"],
        "kind": KIND_LABELS.get(str(item.get("kind")), str(item.get("kind"))),
        "due": f"{due:%d %b %Y}",
        "left": due_label(item),
        "identity": "verified" if item.get("verified") else "identity to check",
    }


class ActionStaffListDataRequests(StaffAction):
    def name(self) -> str:
        return "action_staff_list_data_requests"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        listing = await crm_client.get_client().list_data_requests(user_token=token)
        items = listing.get("items") or []  # the backend lists the soonest due first
        if not items:
            dispatcher.utter_message(response="utter_staff_no_data_requests")
            return clear_pending()
        overdue = sum(1 for item in items if item.get("overdue"))
        say_lines(
            dispatcher,
            domain,
            response="utter_staff_data_requests",
            line_response="utter_staff_data_request_line",
            rows=[request_row(item) for item in items[:MAX_LINES]],
            count=len(items),
            overdue=overdue,
            more=f" (the {MAX_LINES} due soonest shown)" if len(items) > MAX_LINES else "",
        )
        return clear_pending()
