"""What the actions read from the conversation: the user's token and their last intent."""

from __future__ import annotations

from rasa_sdk import Tracker


def user_token(tracker: Tracker) -> str | None:
    """The signed-in user's bearer token, sent by the chat page in the message metadata."""
    metadata = tracker.latest_message.get("metadata") or {}
    token = metadata.get("token") if isinstance(metadata, dict) else None
    return token if isinstance(token, str) and token else None


def latest_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None
