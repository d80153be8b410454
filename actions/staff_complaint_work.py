"""Staff console: working on one complaint. Assign it, add a note, change its status,
resolve it (a resolution text is required: asked for when missing), reopen it.

Changes carry the version the staff member last saw in this conversation, so a change
made meanwhile by someone else is not overwritten: the bot says so and shows the current
state instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.conversation import latest_intent
from actions.staff_complaint_queue import STATUS_LABELS, remember, show_complaint
from actions.staff_complaints import (
    NOTE_SLOT,
    PENDING_SLOT,
    REF_SLOT,
    VERSION_SLOT,
    StaffAction,
    assignee_in,
    clear_pending,
    free_text,
    safe,
    say_failure,
    shorten,
    status_action_in,
    target_reference,
    text_after_colon,
)

logger = logging.getLogger(__name__)

Change = Callable[[int | None], Awaitable[dict[str, Any]]]
RESOLUTION_PREVIEW = 200


def seen_version(tracker: Tracker, reference: str) -> int | None:
    """The version of ``reference`` the staff member last saw here, if they saw it."""
    version = tracker.get_slot(VERSION_SLOT)
    if tracker.get_slot(REF_SLOT) != reference or not isinstance(version, int | float):
        return None
    return int(version)


async def apply_change(
    dispatcher: CollectingDispatcher,
    domain: DomainDict,
    *,
    token: str,
    reference: str,
    change: Change,
    expected_version: int | None,
    action: str,
    assignee: str = "",
) -> tuple[dict[str, Any] | None, list[EventType]]:
    """Make the change; on failure say why (re-reading when someone else got there first).
    Returns the changed complaint (None on failure) and the events to keep what was seen."""
    client = crm_client.get_client()
    try:
        return await change(expected_version), []
    except crm_client.Conflict as conflict:
        try:
            current = await client.get_complaint(reference, user_token=token)
        except crm_client.BackendError:
            current = None
        seen_is_old = current is not None and expected_version not in (None, current["version"])
        if current is not None and (seen_is_old or "someone else" in str(conflict)):
            dispatcher.utter_message(response="utter_staff_stale", reference=reference)
            show_complaint(dispatcher, domain, current)
            return None, remember(current)
        say_failure(dispatcher, conflict, reference, action=action)
        return None, remember(current) if current else []
    except crm_client.BackendError as exc:
        say_failure(dispatcher, exc, reference, action=action, assignee=assignee)
        return None, []


async def _ask_for_text(
    dispatcher: CollectingDispatcher, token: str, reference: str, pending: str
) -> list[EventType]:
    """Check the complaint can be found before asking for the note or resolution."""
    try:
        complaint = await crm_client.get_client().get_complaint(reference, user_token=token)
    except crm_client.NotFound:
        dispatcher.utter_message(response="utter_staff_complaint_not_found", reference=reference)
        return clear_pending()
    # The form asks (utter_ask_staff_note, worded by the pending slot).
    return [*remember(complaint), SlotSet(PENDING_SLOT, pending), SlotSet(NOTE_SLOT, None)]


async def add_note(
    dispatcher: CollectingDispatcher, domain: DomainDict, token: str, reference: str, note: str
) -> list[EventType]:
    client = crm_client.get_client()

    async def change(_version: int | None) -> dict[str, Any]:
        # A note changes nothing anyone else could have changed: no version check.
        return await client.add_complaint_note(reference, note, user_token=token)

    complaint, events = await apply_change(
        dispatcher, domain, token=token, reference=reference, change=change,
        expected_version=None, action="add note",
    )  # fmt: skip
    if complaint is None:
        return [*clear_pending(), *events]
    dispatcher.utter_message(response="utter_staff_note_added", reference=reference)
    return [*clear_pending(), *remember(complaint)]


async def transition(
    dispatcher: CollectingDispatcher,
    domain: DomainDict,
    tracker: Tracker,
    token: str,
    reference: str,
    action: str,
    *,
    note: str | None = None,
    resolution: str | None = None,
) -> list[EventType]:
    client = crm_client.get_client()

    async def change(version: int | None) -> dict[str, Any]:
        return await client.transition_complaint(
            reference, action, user_token=token, note=note, resolution=resolution,
            expected_version=version,
        )  # fmt: skip

    complaint, events = await apply_change(
        dispatcher, domain, token=token, reference=reference, change=change,
        expected_version=seen_version(tracker, reference), action=action,
    )  # fmt: skip
    if complaint is None:
        return [*clear_pending(), *events]
    status = STATUS_LABELS.get(complaint["status"], complaint["status"])
    if action == "resolve":
        dispatcher.utter_message(
            response="utter_staff_resolved",
            reference=reference,
            resolution=safe(shorten(complaint.get("resolution") or "", RESOLUTION_PREVIEW)),
        )
    elif action == "reopen":
        dispatcher.utter_message(
            response="utter_staff_reopened", reference=reference, status=status
        )
    else:
        dispatcher.utter_message(
            response="utter_staff_status_changed", reference=reference, status=status
        )
    return [*clear_pending(), *remember(complaint)]


class ActionStaffAssignComplaint(StaffAction):
    def name(self) -> str:
        return "action_staff_assign_complaint"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        reference = target_reference(dispatcher, tracker)
        if reference is None:
            return clear_pending()
        text = tracker.latest_message.get("text") or ""
        assignee = assignee_in(text, next(tracker.get_latest_entity_values("assignee"), None))
        client = crm_client.get_client()

        async def change(version: int | None) -> dict[str, Any]:
            return await client.assign_complaint(
                reference, assignee, user_token=token, expected_version=version
            )

        complaint, events = await apply_change(
            dispatcher, domain, token=token, reference=reference, change=change,
            expected_version=seen_version(tracker, reference), action="assign",
            assignee=assignee or "",
        )  # fmt: skip
        if complaint is None:
            return [*clear_pending(), *events]
        dispatcher.utter_message(
            response="utter_staff_assigned",
            reference=reference,
            assignee=complaint.get("assigned_to") or assignee or "",
        )
        return [*clear_pending(), *remember(complaint)]


class ActionStaffChangeStatus(StaffAction):
    """ "mark CMP-000123 in progress", "waiting for customer", "acknowledge ...", "close ...",
    "reopen ..."; text after a colon goes with it as a note."""

    def name(self) -> str:
        return "action_staff_change_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        reference = target_reference(dispatcher, tracker)
        if reference is None:
            return clear_pending()
        text = tracker.latest_message.get("text") or ""
        note = text_after_colon(text)
        if latest_intent(tracker) == "staff_reopen_complaint":
            action: str | None = "reopen"
        else:
            status_value = next(tracker.get_latest_entity_values("complaint_status_value"), None)
            action = status_action_in(text, status_value)
        if action is None:
            dispatcher.utter_message(response="utter_staff_which_status", reference=reference)
            return clear_pending()
        if action == "resolve":
            if note is None:
                dispatcher.utter_message(response="utter_staff_resolve_how", reference=reference)
                return clear_pending()
            return await transition(
                dispatcher, domain, tracker, token, reference, "resolve", resolution=note
            )
        return await transition(dispatcher, domain, tracker, token, reference, action, note=note)


class ActionStaffAddNote(StaffAction):
    def name(self) -> str:
        return "action_staff_add_note"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        reference = target_reference(dispatcher, tracker)
        if reference is None:
            return clear_pending()
        note = free_text(tracker.latest_message.get("text") or "")
        if note is None:
            return await _ask_for_text(dispatcher, token, reference, "note")
        return await add_note(dispatcher, domain, token, reference, note)


class ActionStaffResolveComplaint(StaffAction):
    def name(self) -> str:
        return "action_staff_resolve_complaint"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        reference = target_reference(dispatcher, tracker)
        if reference is None:
            return clear_pending()
        resolution = free_text(tracker.latest_message.get("text") or "")
        if resolution is None:
            return await _ask_for_text(dispatcher, token, reference, "resolve")
        return await transition(
            dispatcher, domain, tracker, token, reference, "resolve", resolution=resolution
        )


class ActionStaffSubmitUpdate(StaffAction):
    """The note or resolution the bot asked for (staff_note_form) is in: apply it."""

    def name(self) -> str:
        return "action_staff_submit_update"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        pending = tracker.get_slot(PENDING_SLOT)
        reference = tracker.get_slot(REF_SLOT)
        text = str(tracker.get_slot(NOTE_SLOT) or "").strip()
        if not reference or not text or pending not in ("note", "resolve"):
            return clear_pending()
        if pending == "note":
            return await add_note(dispatcher, domain, token, reference, text)
        return await transition(
            dispatcher, domain, tracker, token, reference, "resolve", resolution=text
        )


class ActionStaffCancelUpdate(Action):
    def name(self) -> str:
        return "action_staff_cancel_update"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_staff_update_cancelled", reference=tracker.get_slot(REF_SLOT) or ""
        )
        return clear_pending()
