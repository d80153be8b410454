"""Direct marketing by email, SMS or phone call: starting it, stopping it, seeing it.

One form (``marketing_form``) gathers what the request needs, then
``action_submit_marketing`` does it:

- Opting in needs a verified customer (the website sign-in, or a one-time code to a
  contact on file: actions/identity.py) and an explicit yes to the direct-marketing
  statement, shown word for word; its version goes with the consent.
- Opting out takes effect at once and needs no proof: a known customer's channels are
  switched off; a guest names the email or mobile that should stop, and the answer is the
  same whether or not it is on file (the contact is never repeated back).
- "Manage my marketing preferences" shows a known customer's current choices as buttons.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.consent_answer import consent_answer
from actions.conversation import DONE, FAILED, user_token
from actions.identity import (
    CONTACT_SLOT,
    IdentityFormValidation,
    contact_from_text,
    identity_slots,
)
from actions.verification import CODE_SLOT, STOPPED, sign_in_refused

logger = logging.getLogger(__name__)

CHOICE_SLOT = "marketing_choice"
CHANNEL_SLOT = "marketing_channel"
MARKETING_CONTACT_SLOT = "marketing_contact"
CONSENT_SLOT = "marketing_consent"
STATEMENT_SLOT = "marketing_statement_version"
MARKETING_SLOTS = (CHOICE_SLOT, CHANNEL_SLOT, MARKETING_CONTACT_SLOT, CONSENT_SLOT, STATEMENT_SLOT)

OPT_IN = "opt_in"
OPT_OUT = "opt_out"
KEEP = "keep"  # "leave my choices as they are"
ENDED = "ended"  # the form stopped early and the action said why
CHANNELS = ("email", "sms", "phone")
ALL = "all"
CHANNEL_LABELS = {"email": "email", "sms": "SMS", "phone": "phone calls"}


def _english(words: str) -> str:
    """English words that may sit right next to Chinese ("唔好再send廣告SMS俾我")."""
    return rf"(?<![a-z])(?:{words})(?![a-z])"


_CHANNEL_PATTERNS = {
    "email": re.compile(
        _english(r"e-?mails?|newsletters?|e-?news|e-?dm|mailing list") + r"|電郵|電子郵件",
        re.IGNORECASE,
    ),
    "sms": re.compile(
        _english(r"sms|texts?|text messages?|texting") + r"|短訊|短信|訊息", re.IGNORECASE
    ),
    "phone": re.compile(
        _english(r"(?:phone |tele)?calls?|calling|telemarketing|telephone|ring(?:ing)? me")
        + r"|打電話|電話",
        re.IGNORECASE,
    ),
}
_BARE_PHONE = re.compile(_english(r"phone|phones|mobile"), re.IGNORECASE)
_ALL_CHANNELS = re.compile(
    _english(r"all|all of them|all three|every ?(?:thing|one|channel)|all channels")
    + r"|全部|所有",
    re.IGNORECASE,
)
_OPT_OUT = re.compile(
    _english(
        r"stop\w*|unsubscribe|unsub|opt[- ]?out|no more|remove|take me off|cancel|withdraw|"
        r"(?:don'?t|do not|dont|never|no need to) (?:send|call|text|email|e-mail|contact|want)|"
        r"turn (?:it |them )?off|switch (?:it |them )?off|block|not interested|no longer|"
        r"leave me alone"
    )
    + r"|唔好|唔要|唔想|取消|停止|退訂|不要|別再|冇興趣|關閉|熄",
    re.IGNORECASE,
)
_OPT_IN = re.compile(
    _english(
        r"sign (?:me )?up|subscribe|opt[- ]?in|start|turn (?:it |them )?on|switch (?:it |them )?on|"
        r"join|register|get (?:your )?(?:offers|promotions|deals|news)|receive|send me|"
        r"i want|i'?d like"
    )
    + r"|訂閱|想收|登記|開啟",
    re.IGNORECASE,
)


def channels_of(value: Any) -> list[str]:
    """The channels a slot value names ("email", "sms,phone", "all"), in a fixed order."""
    if not value:
        return []
    named = {part.strip().casefold() for part in str(value).split(",")}
    if ALL in named:
        return list(CHANNELS)
    return [channel for channel in CHANNELS if channel in named]


def channel_value(channels: list[str]) -> str | None:
    return ",".join(channel for channel in CHANNELS if channel in channels) or None


def channels_from_text(text: str) -> list[str]:
    """The channels a message names: "stop the sms and calls" -> sms, phone."""
    text = text or ""
    found = [channel for channel, pattern in _CHANNEL_PATTERNS.items() if pattern.search(text)]
    if found:
        return found  # "stop all the promo sms" is about SMS only
    if _ALL_CHANNELS.search(text):
        return list(CHANNELS)
    return ["phone"] if _BARE_PHONE.search(text) else []


def choice_from_text(text: str) -> str | None:
    if _OPT_OUT.search(text or ""):
        return OPT_OUT
    if _OPT_IN.search(text or ""):
        return OPT_IN
    return None


def message_channels(tracker: Tracker) -> list[str]:
    named: list[str] = []
    for value in tracker.get_latest_entity_values("marketing_channel"):
        named += channels_of(value)
    if named:
        return channels_of(",".join(named))
    text = tracker.latest_message.get("text") or ""
    return [] if text.startswith("/") else channels_from_text(text)


def message_choice(tracker: Tracker) -> str | None:
    for value in tracker.get_latest_entity_values("marketing_choice"):
        if str(value) in (OPT_IN, OPT_OUT):
            return str(value)
    text = tracker.latest_message.get("text") or ""
    return None if text.startswith("/") else choice_from_text(text)


def channels_label(channels: list[str]) -> str:
    labels = [CHANNEL_LABELS[channel] for channel in channels]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def choice_button(channel: str, opted_in: bool) -> dict[str, str]:
    """The button that switches ``channel`` to the other state."""
    label = CHANNEL_LABELS[channel]
    entities = {"marketing_channel": channel, "marketing_choice": OPT_OUT if opted_in else OPT_IN}
    return {
        "title": f"Stop {label}" if opted_in else f"Get offers by {label}",
        "payload": "/inform" + json.dumps(entities, separators=(",", ":")),
    }


def clear_marketing() -> list[EventType]:
    return [*(SlotSet(slot, None) for slot in MARKETING_SLOTS), SlotSet(CODE_SLOT, None)]


def end_form(dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception) -> list[Any]:
    """An ask action could not go on: says why and ends the form (the submit says no more)."""
    if isinstance(error, crm_client.NotAuthorized):
        forget = sign_in_refused(dispatcher, tracker)
    else:
        logger.warning("marketing preferences not read: %s", type(error).__name__)
        dispatcher.utter_message(response="utter_marketing_backend_down")
        forget = []
    return [SlotSet(CHOICE_SLOT, ENDED), SlotSet("requested_slot", None), *forget]


def marketing_slots(tracker: Tracker) -> list[str]:
    """What the form still needs, given what the customer asked for."""
    choice = tracker.get_slot(CHOICE_SLOT)
    if choice in (None, KEEP, ENDED):
        return [CHOICE_SLOT]
    if choice == OPT_OUT:
        # Known customers switch their own channels off; a guest names the contact.
        return [CHOICE_SLOT] if user_token(tracker) else [CHOICE_SLOT, MARKETING_CONTACT_SLOT]
    identity = identity_slots(tracker)
    if tracker.get_slot(CODE_SLOT) in STOPPED:
        return [CHOICE_SLOT, *identity]  # all filled: the form ends, the reason was said
    return [CHOICE_SLOT, *identity, CHANNEL_SLOT, CONSENT_SLOT]


class ActionStartMarketing(Action):
    """Notes what the opening message asks for: in or out, which channels."""

    def name(self) -> str:
        return "action_start_marketing"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [
            *clear_marketing(),
            SlotSet(CHOICE_SLOT, message_choice(tracker)),
            SlotSet(CHANNEL_SLOT, channel_value(message_channels(tracker))),
            SlotSet(CONTACT_SLOT, None),
        ]


class ActionAskMarketingChoice(Action):
    """A known customer sees their current choices, one button per change; a guest is
    asked whether to stop or start."""

    def name(self) -> str:
        return "action_ask_marketing_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        token = user_token(tracker)
        if token is None:
            dispatcher.utter_message(response="utter_ask_marketing_choice")
            return []
        try:
            current = await crm_client.get_client().get_marketing_preferences(user_token=token)
        except crm_client.BackendError as exc:
            return end_form(dispatcher, tracker, exc)
        channels = current.get("channels") or {}
        opted = {ch: bool((channels.get(ch) or {}).get("opted_in")) for ch in CHANNELS}
        buttons = [choice_button(channel, on) for channel, on in opted.items()]
        buttons.append({"title": "Leave them as they are", "payload": "/deny"})
        dispatcher.utter_message(
            response="utter_marketing_current",
            buttons=buttons,
            **{ch: "on" if on else "off" for ch, on in opted.items()},
        )
        return []


class ActionAskMarketingConsent(Action):
    """Shows the direct-marketing statement (its current version) and asks for a yes."""

    def name(self) -> str:
        return "action_ask_marketing_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        label = channels_label(channels_of(tracker.get_slot(CHANNEL_SLOT)))
        if tracker.get_slot(STATEMENT_SLOT):
            dispatcher.utter_message(response="utter_ask_marketing_consent_again", channels=label)
            return []
        token = user_token(tracker)
        if token is None:
            return [SlotSet("requested_slot", None)]  # cannot happen: identity comes first
        try:
            current = await crm_client.get_client().get_marketing_preferences(user_token=token)
        except crm_client.BackendError as exc:
            return end_form(dispatcher, tracker, exc)
        statement = current.get("statement") or {}
        dispatcher.utter_message(
            response="utter_ask_marketing_consent",
            title=statement.get("title"),
            version=statement.get("version"),
            statement=statement.get("text"),
            channels=label,
        )
        return [SlotSet(STATEMENT_SLOT, statement.get("version"))]


class ValidateMarketingForm(IdentityFormValidation):
    def name(self) -> str:
        return "validate_marketing_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return marketing_slots(tracker)

    def validate_marketing_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or value in (OPT_IN, OPT_OUT, KEEP, ENDED):
            return {CHOICE_SLOT: value}
        # Typed rather than tapped: "stop the sms", "email me offers".
        text = str(value)
        choice = choice_from_text(text)
        if choice is None:
            dispatcher.utter_message(response="utter_marketing_choice_invalid")
            return {CHOICE_SLOT: None}
        slots: dict[str, Any] = {CHOICE_SLOT: choice}
        if channels := channels_from_text(text):
            slots[CHANNEL_SLOT] = channel_value(channels)
        return slots

    def validate_marketing_channel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {CHANNEL_SLOT: None}
        # An entity value may have been renamed by another entity's synonym ("email" is
        # also a complaint field's word): the words typed decide then.
        text = tracker.latest_message.get("text") or ""
        channels = (
            channels_of(value)
            or channels_from_text(str(value))
            or ([] if text.startswith("/") else channels_from_text(text))
        )
        if not channels:
            dispatcher.utter_message(response="utter_marketing_channel_invalid")
            return {CHANNEL_SLOT: None}
        return {CHANNEL_SLOT: channel_value(channels)}

    def validate_marketing_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {MARKETING_CONTACT_SLOT: None}
        contact = contact_from_text(str(value))
        if contact is None:
            dispatcher.utter_message(response="utter_marketing_contact_invalid")
        return {MARKETING_CONTACT_SLOT: contact}

    def validate_marketing_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or isinstance(value, bool):
            return {CONSENT_SLOT: value}
        answer = consent_answer(str(value))
        if answer is not None:
            return {CONSENT_SLOT: answer}
        # Anything but a clear yes or no is not consent: ask again.
        dispatcher.utter_message(response="utter_marketing_consent_yes_or_no")
        return {CONSENT_SLOT: None}


class ActionSubmitMarketing(Action):
    def name(self) -> str:
        return "action_submit_marketing"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = tracker.get_slot(CHOICE_SLOT)
        if choice == KEEP:
            dispatcher.utter_message(response="utter_marketing_kept")
            return [*clear_marketing(), DONE]
        if choice == OPT_OUT:
            return [*clear_marketing(), *await self._opt_out(dispatcher, tracker)]
        if choice == OPT_IN:
            return [*clear_marketing(), *await self._opt_in(dispatcher, tracker)]
        return [*clear_marketing(), FAILED]  # ended early: the reason was said

    async def _opt_out(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[Any]:
        token = user_token(tracker)
        if token is None:
            return await self._opt_out_contact(dispatcher, tracker)
        # No channel named: "stop sending me marketing" means all of it.
        channels = channels_of(tracker.get_slot(CHANNEL_SLOT)) or list(CHANNELS)
        payload = {"opted_in": False, "channel": "chat", "conversation_id": tracker.sender_id}
        failed = await self._set(dispatcher, tracker, token, channels, payload)
        if failed is not None:
            return failed
        dispatcher.utter_message(
            response="utter_marketing_opted_out", channels=channels_label(channels)
        )
        return [DONE]

    @staticmethod
    async def _opt_out_contact(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[Any]:
        contact = tracker.get_slot(MARKETING_CONTACT_SLOT)
        if not contact:
            dispatcher.utter_message(response="utter_marketing_contact_invalid")
            return [FAILED]
        try:
            await crm_client.get_client().opt_out_contact(
                {"contact_value": str(contact), "conversation_id": tracker.sender_id}
            )
        except crm_client.InvalidRequest:
            dispatcher.utter_message(response="utter_marketing_contact_invalid")
            return [FAILED]
        except crm_client.BackendError as exc:
            logger.warning("marketing opt-out not recorded: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_marketing_backend_down")
            return [FAILED]
        # The same words whether or not the contact is on file.
        dispatcher.utter_message(response="utter_marketing_contact_opted_out")
        return [DONE]

    async def _opt_in(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[Any]:
        token = user_token(tracker)
        if token is None:
            if tracker.get_slot(CODE_SLOT) not in STOPPED:
                dispatcher.utter_message(response="utter_marketing_not_verified")
            return [FAILED]
        channels = channels_of(tracker.get_slot(CHANNEL_SLOT))
        consent = tracker.get_slot(CONSENT_SLOT)
        version = tracker.get_slot(STATEMENT_SLOT)
        if not channels or consent is not True or not version:
            dispatcher.utter_message(
                response="utter_marketing_consent_declined", channels=channels_label(channels)
            )
            return [DONE]
        payload = {
            "opted_in": True,
            "consent": True,
            "statement_version": version,
            "channel": "chat",
            "conversation_id": tracker.sender_id,
        }
        failed = await self._set(dispatcher, tracker, token, channels, payload)
        if failed is not None:
            return failed
        dispatcher.utter_message(
            response="utter_marketing_opted_in", channels=channels_label(channels)
        )
        return [DONE]

    @staticmethod
    async def _set(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        token: str,
        channels: list[str],
        payload: dict[str, Any],
    ) -> list[Any] | None:
        """Sets each channel; on a failure says why and returns the events to end with."""
        client = crm_client.get_client()
        try:
            for channel in channels:
                await client.set_marketing_preference(channel, payload, user_token=token)
        except crm_client.NotAuthorized:
            return [*sign_in_refused(dispatcher, tracker), FAILED]
        except crm_client.Conflict:
            dispatcher.utter_message(response="utter_marketing_statement_changed")
            return [FAILED]
        except crm_client.BackendError as exc:
            logger.warning("marketing preference not set: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_marketing_backend_down")
            return [FAILED]
        return None


class ActionStopPrivacyRequest(Action):
    """ "Stop" during the marketing or data-request form: nothing was changed, and the
    contacts typed are forgotten."""

    def name(self) -> str:
        return "action_stop_privacy_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_privacy_request_stopped")
        return [*clear_marketing(), SlotSet(CONTACT_SLOT, None)]
