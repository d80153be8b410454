"""Compliments, suggestions and reviews: the text, an optional 1-5 rating and shop, then
recorded. Feedback that reads like a complaint is offered the complaint form instead."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.conversation import DONE, FAILED, user_token
from actions.ratings import SKIP, means_skip, parse_rating

logger = logging.getLogger(__name__)

FEEDBACK_SLOTS = ("feedback_text", "feedback_rating", "feedback_store")
OFFERED = "complaint_offered"  # featurized: the rules follow a yes or no to the offer
MIN_TEXT_CHARS = 3
MAX_TEXT_CHARS = 2000
ONLINE = "Online"
NO_STORE = "none"
# Our shops (the STORES of the demo vocabulary) and what customers call them.
_STORE_NAMES = {
    "Mong Kok": ("mong kok", "mongkok", "mk", "旺角"),
    "Causeway Bay": ("causeway bay", "causeway", "cwb", "銅鑼灣"),
    "Tsim Sha Tsui": ("tsim sha tsui", "tsimshatsui", "tst", "尖沙咀"),
    "Sha Tin": ("sha tin", "shatin", "沙田"),
    "Central": ("central", "中環"),
    ONLINE: ("online", "website", "web site", "web", "app", "online shop", "online store", "網上"),
}
_NO_STORE = re.compile(
    r"^(?:none|no|nope|nah|skip|n/?a|not about a shop|no shop|no particular shop|not a shop|"
    r"none of them|general|all of them|all shops|doesn'?t matter|no store)\W*$",
    re.IGNORECASE,
)
_COMPLAINT_WORDS = re.compile(
    r"\b(rude|broken|damaged|faulty|defective|never (?:arrived|came)|not (?:arrived|delivered|"
    r"working)|arrived late|came late|late delivery|refund|overcharg\w*|charged (?:me )?twice|"
    r"wrong (?:item|size|change|order)|terrible|horrible|worst|awful|disgusting|useless|angry|"
    r"furious|disappointed|unacceptable|complain\w*|cheat\w*|scam\w*|ignored me|shouted)\b"
    r"|投訴|好差|態度差",
    re.IGNORECASE,
)
_SUGGESTION = re.compile(
    r"\b(suggest\w*|should|could you|can you (?:add|open|have|bring)|would be (?:nice|good|"
    r"great|better)|please (?:add|open|bring|consider)|wish|how about|why not|it'?d be|idea)\b"
    r"|建議",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"\b(great|good|excellent|thanks?|thank you|thx|friendly|helpful|love\w*|amazing|nice|"
    r"lovely|fast|quick|happy|well done|professional|patient|polite|kind|awesome|best|"
    r"impressed|super)\b|讚|好好|多謝",
    re.IGNORECASE,
)
# Words of "I want to leave a review" itself, which say nothing yet.
_REQUEST_WORDS = frozenset((
    "i", "i'd", "id", "im", "i'm", "want", "wanna", "would", "like", "to", "leave", "give", "a",
    "an", "some", "my", "me", "can", "how", "do", "please", "pls", "have", "hi", "hello",
    "feedback", "review", "reviews", "comment", "comments", "compliment", "suggestion",
    "suggestions", "rate", "rating", "write", "share", "send", "make", "you", "your", "for",
    "about", "on", "here", "there", "is", "it", "this", "the", "quick", "small", "just",
))  # fmt: skip


def store_from_text(text: str) -> str | None:
    folded = " ".join((text or "").casefold().split())
    for store, names in _STORE_NAMES.items():
        if any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded) for name in names):
            return store
    return None


def sounds_like_complaint(text: str) -> bool:
    return bool(_COMPLAINT_WORDS.search(text or ""))


def says_something(text: str) -> bool:
    words = re.findall(r"[\w']+", (text or "").casefold())
    return len([word for word in words if word not in _REQUEST_WORDS]) >= 2


def feedback_kind(text: str, rating: int | None) -> str:
    if _SUGGESTION.search(text):
        return "suggestion"
    if (_PRAISE.search(text) and not sounds_like_complaint(text)) or (rating or 0) >= 4:
        return "compliment"
    return "review"


def clear_feedback() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FEEDBACK_SLOTS]


class ActionStartFeedback(Action):
    """Takes what the opening message already says (text, "5 stars", the shop); a complaint
    in disguise is offered the complaint form."""

    def name(self) -> str:
        return "action_start_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = " ".join((tracker.latest_message.get("text") or "").split())
        if text.startswith("/") and tracker.get_slot("feedback_text"):
            return [SlotSet(OFFERED, False)]  # "Try again": keep the answers given
        if text.startswith("/"):
            text = ""  # a button, not words
        rating = parse_rating_in_text(text)
        named = next(tracker.get_latest_entity_values("store"), None)
        store = store_from_text(str(named)) if named else store_from_text(text)
        events: list[EventType] = [
            SlotSet("feedback_text", text if says_something(text) else None),
            SlotSet("feedback_rating", str(rating) if rating else None),
            SlotSet("feedback_store", store),
        ]
        if sounds_like_complaint(text):
            dispatcher.utter_message(response="utter_feedback_sounds_like_complaint")
            return [*events, SlotSet("feedback_text", text), SlotSet(OFFERED, True)]
        return [*events, SlotSet(OFFERED, False)]


_RATING_IN_TEXT = re.compile(
    r"(?<![\d/])([1-5])\s*(?:/\s*5\b|out of (?:5|five)\b|stars?\b)", re.IGNORECASE
)


def parse_rating_in_text(text: str) -> int | None:
    """ "5 stars for the Mong Kok staff" -> 5; a bare number in a sentence is not a rating."""
    match = _RATING_IN_TEXT.search(text or "")
    return int(match.group(1)) if match else None


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_feedback_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"feedback_text": None}  # not given yet: the form asks
        text = " ".join(str(value).split())
        if len(text) > MAX_TEXT_CHARS:
            dispatcher.utter_message(
                response="utter_feedback_text_too_long", max_chars=f"{MAX_TEXT_CHARS:,}"
            )
            return {"feedback_text": None}
        if len(text) < MIN_TEXT_CHARS or not re.search(r"\w\w", text):
            dispatcher.utter_message(response="utter_feedback_text_too_short")
            return {"feedback_text": None}
        if tracker.get_slot("requested_slot") == "feedback_text" and sounds_like_complaint(text):
            dispatcher.utter_message(response="utter_feedback_complaint_hint")
        return {"feedback_text": text}

    def validate_feedback_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"feedback_rating": None}  # not given yet: the form asks
        text = str(value).strip()
        if text == SKIP or means_skip(text):
            return {"feedback_rating": SKIP}
        rating = parse_rating(text)
        if rating is not None:
            return {"feedback_rating": str(rating)}
        if next(tracker.get_latest_entity_values("store"), None):
            return {"feedback_rating": None}  # a correction of the shop, not a rating
        dispatcher.utter_message(response="utter_invalid_rating")
        return {"feedback_rating": None}

    def validate_feedback_store(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"feedback_store": None}  # not given yet: the form asks
        text = str(value).strip()
        if text == NO_STORE or _NO_STORE.match(text):
            return {"feedback_store": NO_STORE}
        store = store_from_text(text)
        if store is None:
            dispatcher.utter_message(response="utter_invalid_store")
        return {"feedback_store": store}


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.get_slot("feedback_text") or ""
        rating_slot = tracker.get_slot("feedback_rating")
        rating = int(rating_slot) if rating_slot and rating_slot.isdigit() else None
        store = tracker.get_slot("feedback_store")
        payload = {
            "text": text,
            "rating": rating,
            "store": store if store and store != NO_STORE else None,
            "kind": feedback_kind(text, rating),
            "conversation_id": tracker.sender_id,
        }
        client = crm_client.get_client()
        try:
            try:
                await client.give_feedback(payload, user_token=user_token(tracker))
            except crm_client.NotAuthorized:
                # An expired sign-in: the feedback still counts, as a guest's.
                await client.give_feedback(payload, user_token=None)
        except crm_client.InvalidRequest as exc:
            logger.warning("feedback refused: field %s", exc.field)
            dispatcher.utter_message(response="utter_feedback_text_too_short")
            return [FAILED, *clear_feedback()]
        except crm_client.BackendError as exc:
            logger.warning("feedback not recorded: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_feedback_backend_down")
            return [FAILED]
        low = rating is not None and rating <= 2
        dispatcher.utter_message(
            response="utter_feedback_thanks_low" if low else "utter_feedback_thanks"
        )
        return [DONE, *clear_feedback()]


class ActionComplainInsteadOfFeedback(Action):
    """Yes to "shall I make it a complaint?": what they wrote becomes its description."""

    def name(self) -> str:
        return "action_complain_instead_of_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [
            SlotSet(OFFERED, False),
            SlotSet("complaint_description", tracker.get_slot("feedback_text")),
            SlotSet("complaint_confirmed", None),
            *clear_feedback(),
        ]


class ActionKeepAsFeedback(Action):
    def name(self) -> str:
        return "action_keep_as_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet(OFFERED, False)]


class ActionStopFeedback(Action):
    def name(self) -> str:
        return "action_stop_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_feedback_stopped")
        return clear_feedback()
