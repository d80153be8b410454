"""What the actions read from the conversation: the user's token and their last intent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

# Set by the submit actions; the rules follow up ("anything else?") only after success.
DONE = SlotSet("outcome", "done")
FAILED = SlotSet("outcome", "failed")


# Holds a token the bot obtained for a guest by a one-time code (working memory only).
VERIFIED_TOKEN_SLOT = "verified_token"  # noqa: S105  (a slot name)


def user_token(tracker: Tracker) -> str | None:
    """The signed-in user's bearer token, sent by the chat page in the message metadata,
    else one this conversation earned with a one-time code."""
    metadata = tracker.latest_message.get("metadata") or {}
    token = metadata.get("token") if isinstance(metadata, dict) else None
    if isinstance(token, str) and token:
        return token
    verified = tracker.get_slot(VERIFIED_TOKEN_SLOT)
    return verified if isinstance(verified, str) and verified else None


def latest_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None


def value_before_latest_message(tracker: Tracker, slot: str) -> Any:
    """A slot's value before the latest user message filled it with a new candidate."""
    events = tracker.events
    latest_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    value = None
    for event in events[:latest_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value
