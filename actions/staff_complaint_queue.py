"""Staff console: the complaint queue ("my open complaints", "overdue?", "urgent ones about
delivery") and one complaint in full ("show CMP-000123")."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.staff_complaints import (
    REF_SLOT,
    VERSION_SLOT,
    StaffAction,
    clear_pending,
    response_text,
    safe,
    say_lines,
    shorten,
    target_reference,
)

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
MAX_LINES = 10
BUTTONS = 3  # "show CMP-..." buttons for the first few lines
TIMELINE_EVENTS = 10
DESCRIPTION_CHARS = 2000
NOTE_CHARS = 300
MINE_OVERDUE_LIMIT = 100  # "my overdue": the own queue, filtered here to what is breached

STATUS_LABELS = {
    "new": "new",
    "acknowledged": "acknowledged",
    "in_progress": "in progress",
    "awaiting_customer": "waiting for customer",
    "resolved": "resolved",
    "closed": "closed",
}
SLA_LABELS = {"on_track": "on track", "due_soon": "due soon", "breached": "breached", "met": "met"}
QUEUE_LABELS = {
    "mine": "Your open complaints",
    "mine_overdue": "Your overdue complaints",
    "overdue": "Overdue complaints",
    "open": "Open complaints",
    "all": "All complaints",
}
EVENT_LABELS = {
    "created": "filed",
    "acknowledged": "acknowledged",
    "status_changed": "status changed",
    "assigned": "assigned",
    "note": "note",
    "customer_info": "customer added information",
    "resolved": "resolved",
    "reopened": "reopened",
    "closed": "closed",
    "withdrawn": "withdrawn by the customer",
    "escalated": "escalated",
    "followup_sent": "satisfaction follow-up sent",
    "csat_recorded": "satisfaction rating",
    "recovery_offered": "recovery offered",
}
CATEGORIES = ("product_quality", "delivery", "service", "billing", "refund", "other")
PRIORITIES = ("urgent", "high", "medium", "low")

_QUEUE_WORDS = {
    "overdue": re.compile(r"\b(overdue|over due|breach\w*|late|past due|sla)\b", re.I),
    "escalated": re.compile(r"\bescalat", re.I),
    "mine": re.compile(r"\b(my|mine|myself)\b|assigned to me|\bmy ?q\b", re.I),
    "all": re.compile(r"\ball\b", re.I),
}
_PRIORITY_WORDS = {
    "urgent": re.compile(r"\burgent", re.I),
    "high": re.compile(r"\b(high|hi)\b", re.I),
    "medium": re.compile(r"\b(medium|med|normal)\b", re.I),
    "low": re.compile(r"\blow\b", re.I),
}
_CATEGORY_WORDS = {
    "delivery": re.compile(r"\b(deliver\w*|shipping|courier|parcel)", re.I),
    "billing": re.compile(r"\b(bill\w*|payment|charg\w*|overcharg\w*)", re.I),
    "refund": re.compile(r"\brefund", re.I),
    "service": re.compile(r"\b(service|staff|rude)\b", re.I),
    "product_quality": re.compile(r"\b(quality|faulty|defect\w*|product)\b", re.I),
}
_STATUS_FILTER_WORDS = {
    "new": re.compile(r"\b(new|unacknowledged)\b", re.I),
    "in_progress": re.compile(r"\bin[ -]?progress\b|\bwip\b", re.I),
    "awaiting_customer": re.compile(r"\b(a?waiting|pending)\b", re.I),
    "resolved": re.compile(r"\bresolved\b", re.I),
    "closed": re.compile(r"\bclosed\b", re.I),
}


def _word(patterns: dict[str, re.Pattern[str]], text: str) -> str | None:
    return next((value for value, words in patterns.items() if words.search(text)), None)


def queue_request(text: str, entities: dict[str, list[str]]) -> tuple[dict[str, Any], str, bool]:
    """Query parameters, a label, and whether to keep only breached items (my overdue)."""
    queues = set(entities.get("queue", [])) | {
        queue for queue, words in _QUEUE_WORDS.items() if words.search(text)
    }
    priority = next((p for p in entities.get("priority", []) if p in PRIORITIES), None)
    category = next((c for c in entities.get("complaint_category", []) if c in CATEGORIES), None)
    status = next(
        (s for s in entities.get("complaint_status_value", []) if s in STATUS_LABELS), None
    )
    priority = priority or _word(_PRIORITY_WORDS, text)
    category = category or _word(_CATEGORY_WORDS, text)
    status = status or _word(_STATUS_FILTER_WORDS, text)

    mine_overdue = {"mine", "overdue"} <= queues
    queue = next((q for q in ("mine", "overdue", "all") if q in queues), "open")
    if status in ("resolved", "closed") and queue == "open":
        queue = "all"  # the open queue has no finished complaints
    params: dict[str, Any] = {
        "queue": queue,
        "limit": MINE_OVERDUE_LIMIT if mine_overdue else MAX_LINES,
    }
    label = [QUEUE_LABELS["mine_overdue" if mine_overdue else queue]]
    if "escalated" in queues:
        params["escalated"] = "true"
        label.append("escalated")
    for key, value, words in (
        ("priority", priority, f"{priority} priority"),
        ("category", category, (category or "").replace("_", " ")),
        ("status", status, STATUS_LABELS.get(status or "")),
    ):
        if value:
            params[key] = value
            label.append(str(words))
    return params, ", ".join(label), mine_overdue


def age_label(hours: int) -> str:
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def local_time(value: str) -> str:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(HONG_KONG)
    return f"{local.day} {local:%b %H:%M}"


def show_button(domain: DomainDict, reference: str) -> dict[str, str]:
    title = response_text(domain, "utter_staff_show_button")
    payload = json.dumps({"complaint_ref": reference}, separators=(",", ":"))
    return {
        "title": title.format(reference=reference) if title else reference,
        "payload": f"/staff_show_complaint{payload}",
    }


def remember(complaint: dict[str, Any]) -> list[EventType]:
    """The complaint now worked on, and the version the staff member has seen."""
    return [SlotSet(REF_SLOT, complaint["reference"]), SlotSet(VERSION_SLOT, complaint["version"])]


class ActionStaffListComplaints(StaffAction):
    def name(self) -> str:
        return "action_staff_list_complaints"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        entities: dict[str, list[str]] = {}
        for entity in tracker.latest_message.get("entities") or []:
            entities.setdefault(str(entity.get("entity")), []).append(str(entity.get("value")))
        text = tracker.latest_message.get("text") or ""
        params, label, mine_overdue = queue_request(text, entities)
        answer = await crm_client.get_client().list_complaints(user_token=token, params=params)
        items: list[dict[str, Any]] = answer.get("items") or []
        total = int(answer.get("total", len(items)))
        if mine_overdue:
            items = [item for item in items if item.get("sla_state") == "breached"]
            total = len(items)
        items = items[:MAX_LINES]
        if not items:
            dispatcher.utter_message(response="utter_staff_complaint_list_empty", queue_label=label)
            return clear_pending()
        rows = [
            {
                "reference": item["reference"],
                "age": age_label(int(item.get("age_hours") or 0)),
                "priority": item.get("priority", ""),
                "status": STATUS_LABELS.get(item.get("status", ""), item.get("status", "")),
                "sla": SLA_LABELS.get(item.get("sla_state", ""), item.get("sla_state", "")),
                "assignee": item.get("assigned_to") or "unassigned",
                "escalation_level": item.get("escalation_level", 0),
            }
            for item in items
        ]
        say_lines(
            dispatcher,
            domain,
            response="utter_staff_complaint_list",
            line_response="utter_staff_complaint_line",
            rows=rows,
            buttons=[show_button(domain, row["reference"]) for row in rows[:BUTTONS]],
            queue_label=label,
            shown=len(rows),
            total=total,
        )
        return clear_pending()


class ActionStaffShowComplaint(StaffAction):
    def name(self) -> str:
        return "action_staff_show_complaint"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        reference = target_reference(dispatcher, tracker)
        if reference is None:
            return clear_pending()
        try:
            complaint = await crm_client.get_client().get_complaint(reference, user_token=token)
        except crm_client.NotFound:
            dispatcher.utter_message(
                response="utter_staff_complaint_not_found", reference=reference
            )
            return clear_pending()
        show_complaint(dispatcher, domain, complaint)
        return [*clear_pending(), *remember(complaint)]


def show_complaint(
    dispatcher: CollectingDispatcher, domain: DomainDict, complaint: dict[str, Any]
) -> None:
    """Status, priority, assignment, SLA, text and timeline of one complaint."""
    reference = complaint["reference"]
    dispatcher.utter_message(
        response="utter_staff_complaint_detail",
        reference=reference,
        status=STATUS_LABELS.get(complaint["status"], complaint["status"]),
        priority=complaint.get("priority", ""),
        category=str(complaint.get("category", "")).replace("_", " "),
        assignee=complaint.get("assigned_to") or "nobody",
        escalation_level=complaint.get("escalation_level", 0),
        sla=SLA_LABELS.get(complaint.get("sla_state", ""), complaint.get("sla_state", "")),
        first_response_due=complaint.get("first_response_due_local", ""),
        resolution_due=complaint.get("resolution_due_local", ""),
        order_no=complaint.get("order_no") or "none",
        customer_no=complaint.get("customer_no") or "guest",
    )
    if complaint.get("description") is not None:
        dispatcher.utter_message(
            response="utter_staff_complaint_description",
            description=safe(shorten(complaint["description"], DESCRIPTION_CHARS)),
        )
    elif complaint.get("description_redacted") is not None:
        dispatcher.utter_message(
            response="utter_staff_complaint_description_redacted",
            description=safe(shorten(complaint["description_redacted"], DESCRIPTION_CHARS)),
        )
    else:
        dispatcher.utter_message(response="utter_staff_complaint_description_withheld")
    if complaint.get("resolution"):
        dispatcher.utter_message(
            response="utter_staff_complaint_resolution",
            resolution=safe(shorten(complaint["resolution"], DESCRIPTION_CHARS)),
        )
    if complaint.get("csat_score") is not None:
        dispatcher.utter_message(
            response="utter_staff_complaint_csat", csat_score=complaint["csat_score"]
        )
    events: list[dict[str, Any]] = complaint.get("events") or []
    if events:
        shown = events[-TIMELINE_EVENTS:]
        say_lines(
            dispatcher,
            domain,
            response="utter_staff_complaint_timeline",
            line_response="utter_staff_complaint_event",
            rows=[timeline_row(event) for event in shown],
            shown=len(shown),
            count=len(events),
        )


def timeline_row(event: dict[str, Any]) -> dict[str, str]:
    event_type = str(event.get("event_type", ""))
    what = EVENT_LABELS.get(event_type, event_type.replace("_", " "))
    to_status = event.get("to_status")
    if event_type in ("status_changed", "reopened") and to_status:
        what = f"{what} \u2192 {STATUS_LABELS.get(to_status, to_status)}"
    note = event.get("note")
    if note and event_type == "assigned":
        what = note  # "assigned to cs.demo"
    elif note:
        what = f"{what}: {shorten(note, NOTE_CHARS)}"
    return {
        "time": local_time(str(event["created_at"])),
        "who": event.get("actor") or event.get("actor_type") or "",
        "what": safe(what),
    }
