"""Updating one's own details (name, email, mobile, address, language) with consent.

Only for a verified customer: the website sign-in, else a one-time code to an email or
phone on file (actions/identity.py). The bot shows the value on file masked, sends the new
one to the backend (which checks it and keeps it pending), shows the collection statement
the backend names for it and asks for an explicit yes. Only a yes applies the change; a no
is recorded as declined and changes nothing. The typed value is never kept in a slot: the
slot holds the backend's masked version, the pending change its id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.consent_answer import consent_answer
from actions.conversation import (
    DONE,
    FAILED,
    latest_intent,
    user_token,
    value_before_latest_message,
)
from actions.identity import (
    CONTACT_SLOT,
    IdentityFormValidation,
    identity_slots,
)
from actions.verification import CODE_SLOT, STOPPED, sign_in_refused

logger = logging.getLogger(__name__)

FORM = "profile_form"
FIELD_SLOT = "profile_field"
VALUE_SLOT = "profile_value"
CONSENT_SLOT = "profile_consent"
CHANGE_SLOT = "profile_change"  # the pending change: id, field, masked values, statement
GAP_OFFERED = "profile_gap_offered"  # featurized: a rule answers a no to the greeting's offer
PROFILE_SLOTS = (FIELD_SLOT, VALUE_SLOT, CONSENT_SLOT)
YES, NO = "yes", "no"
# The form ended without a change and the customer was told why (sign-in, backend down).
ENDED = "ended"

FIELDS = ("name", "email", "phone", "address", "preferred_language")
FIELD_LABELS = {
    "name": "name",
    "email": "email address",
    "phone": "mobile number",
    "address": "address",
    "preferred_language": "preferred language",
}
LANGUAGE_LABELS = {"en": "English", "zh-HK": "中文 (Traditional Chinese)"}
# What customers call each detail (the NLU synonyms say the same for the entity).
_FIELD_WORDS = {
    "preferred_language": (
        r"(?:preferred\s+)?lang(?:uage)?s?|correspondence language|語言|中文|english|chinese"
    ),
    "email": r"e-?mails?(?:\s+address(?:es)?)?|mail address|電郵(?:地址)?|電子郵件|email地址",
    "phone": (
        r"(?:mobile|cell|tel|telephone|phone|whatsapp)(?:\s+(?:phone|no\.?|number))?"
        r"|contact\s+(?:no\.?|number)|numbers?|手機(?:號碼)?|電話(?:號碼)?"
    ),
    "address": r"(?:home |delivery |mailing |postal )?address(?:es)?|地址|住址",
    "name": r"(?:full |family |first |given |sur|last )?names?|姓名|名字|英文名|中文名",
}
_FIELD_PATTERNS = {
    field: re.compile(rf"(?<![\w@.-])(?:{words})(?![\w@-])", re.IGNORECASE)
    for field, words in _FIELD_WORDS.items()
}
# A request to change something, not a value: "actually I want to update my details".
_REQUEST = re.compile(
    r"\b(change|update|correct|correction|edit|amend|modify|wrong|instead|actually|want to|"
    r"would like|wanna)\b|更改|修改|更正|改",
    re.IGNORECASE,
)


def field_from_text(text: str | None) -> str | None:
    """``email`` from "email", "my e-mail address", "電郵"; ``None`` if none is named."""
    text = (text or "").strip()
    if text in FIELDS:
        return text
    for field in ("preferred_language", "email", "phone", "address", "name"):
        if _FIELD_PATTERNS[field].search(text):
            return field
    return None


def latest_field(tracker: Tracker) -> str | None:
    """The detail named by a ``profile_field`` entity of the latest message. The words
    typed come first: NLU synonyms are global, and "email" or "phone number" also stand
    for the complaint form's "contact"."""
    text = tracker.latest_message.get("text") or ""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != FIELD_SLOT:
            continue
        start, end = entity.get("start"), entity.get("end")
        typed = text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
        if field := field_from_text(typed) or field_from_text(str(entity.get("value") or "")):
            return field
    return None


def clear_profile() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*PROFILE_SLOTS, CHANGE_SLOT)]


def shown_value(field: str | None, masked: Any) -> str | None:
    if masked is None or masked == "":
        return None
    if field == "preferred_language":
        return LANGUAGE_LABELS.get(str(masked), str(masked))
    return str(masked)


def stop_form_events() -> dict[str, Any]:
    """Slots that end the form: every question answered, the reason already said."""
    return {VALUE_SLOT: ENDED, CONSENT_SLOT: ENDED}


class ActionStartProfileUpdate(Action):
    """A fresh start: the detail named in the message (or offered by the greeting), if any."""

    def name(self) -> str:
        return "action_start_profile_update"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        # The entity, else the words ("我想改電郵": CJK text is one token to the NLU).
        field = latest_field(tracker) or (None if text.startswith("/") else field_from_text(text))
        offered = bool(tracker.get_slot(GAP_OFFERED))
        if field is None and offered and latest_intent(tracker) == "affirm":
            field = field_from_text(tracker.get_slot(FIELD_SLOT))  # yes to the greeting's offer
        return [
            *clear_profile(),
            SlotSet(FIELD_SLOT, field),
            SlotSet(CONTACT_SLOT, None),
            SlotSet(CODE_SLOT, None),
            SlotSet(GAP_OFFERED, False),  # always set: the rules expect it after this action
        ]


class ValidateProfileForm(IdentityFormValidation):
    def name(self) -> str:
        return "validate_profile_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        identity = identity_slots(tracker)
        if tracker.get_slot(CODE_SLOT) in STOPPED:
            return identity  # both filled: the form ends, the reason was said
        if tracker.get_slot(CONSENT_SLOT) == ENDED:
            return [CONSENT_SLOT]  # filled: the form ends, the reason was said
        return [*identity, *PROFILE_SLOTS]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("requested_slot") and latest_intent(tracker) == "update_profile":
            events = self._change_of_mind(tracker)
            if events is not None:
                tracker.add_slots(events)
                next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
                return [*events, next_slot] if next_slot else events
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _change_of_mind(tracker: Tracker) -> list[EventType] | None:
        """ "Actually I want to change my phone number" mid-form: start again on that detail
        (keeping the proof of identity). ``None``: the message is an answer after all."""
        requested = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        asks = bool(_REQUEST.search(text))
        field = latest_field(tracker) or (field_from_text(text) if asks else None)
        if field is None and not (asks and requested in (VALUE_SLOT, CONSENT_SLOT)):
            return None  # e.g. a new address the NLU took for a request: validate it
        # Whatever the message filled as an answer (a contact, a code) is not one.
        events: list[EventType] = [
            SlotSet(slot, value_before_latest_message(tracker, slot))
            for slot in tracker.slots_to_validate()
            if slot in (CONTACT_SLOT, CODE_SLOT)
        ]
        return [*events, *clear_profile(), SlotSet(FIELD_SLOT, field)]

    async def validate_profile_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {FIELD_SLOT: None}
        requested = tracker.get_slot("requested_slot")
        if requested and requested != FIELD_SLOT:
            # A word like "phone" inside another answer does not switch the detail.
            return {FIELD_SLOT: value_before_latest_message(tracker, FIELD_SLOT)}
        field = latest_field(tracker) or field_from_text(str(value))
        if field is None and requested == FIELD_SLOT:
            dispatcher.utter_message(response="utter_profile_field_unknown")
        token = user_token(tracker)
        if field is not None and token is not None and not await _sign_in_holds(token):
            # A forged or expired sign-in ends the form before any value is asked for.
            return {**_sign_in_failed(dispatcher, tracker), FIELD_SLOT: field}
        return {FIELD_SLOT: field}

    async def validate_profile_value(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or value == ENDED:
            return {VALUE_SLOT: value}
        field = tracker.get_slot(FIELD_SLOT)
        token = user_token(tracker)
        text = str(value).strip()
        if field not in FIELDS or token is None:
            return {VALUE_SLOT: None}  # asked again once the detail and identity are known
        if latest_intent(tracker) in ("affirm", "deny") and consent_answer(text) is not None:
            return {VALUE_SLOT: None}  # "yes" / "no" is not a new value: ask again
        payload = {
            "field": field,
            "value": text,
            "channel": "chat",
            "conversation_id": tracker.sender_id,
        }
        try:
            proposed = await crm_client.get_client().propose_profile_change(
                payload, user_token=token
            )
        except crm_client.InvalidRequest as exc:
            # The backend's reason names the problem, never the value: safe to show.
            dispatcher.utter_message(response="utter_profile_value_invalid", reason=exc.reason)
            return {VALUE_SLOT: None}
        except crm_client.NotAuthorized:
            return _sign_in_failed(dispatcher, tracker)
        except crm_client.BackendError as exc:
            logger.warning("profile change not proposed: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_profile_backend_down")
            return stop_form_events()
        change = {
            "change_id": proposed["change_id"],
            "field": proposed.get("field") or field,
            "current_masked": proposed.get("current_masked"),
            "new_masked": proposed.get("new_masked"),
            "statement": proposed.get("statement") or {},
        }
        new_masked = shown_value(field, change["new_masked"]) or "-"
        return {VALUE_SLOT: new_masked, CHANGE_SLOT: change, CONSENT_SLOT: None}

    def validate_profile_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or value in (YES, NO, ENDED):
            return {CONSENT_SLOT: value}
        answer = consent_answer(str(value))
        if answer is not None:
            return {CONSENT_SLOT: YES if answer else NO}
        dispatcher.utter_message(response="utter_profile_consent_yes_or_no")
        return {CONSENT_SLOT: None}


async def _sign_in_holds(token: str) -> bool:
    """False when the backend refuses the token (forged, expired); True otherwise (a backend
    that is down is found out, and said, when the value is sent)."""
    try:
        await crm_client.get_client().get_own_profile(user_token=token, masked=True)
    except crm_client.NotAuthorized:
        return False
    except crm_client.BackendError:
        return True
    return True


def _sign_in_failed(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    slots = {e["name"]: e["value"] for e in sign_in_refused(dispatcher, tracker)}
    return {**slots, **stop_form_events()}


class ActionAskProfileValue(Action):
    """Shows the value on file, masked, then asks for the new one."""

    def name(self) -> str:
        return "action_ask_profile_value"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        field = tracker.get_slot(FIELD_SLOT)
        if field not in FIELDS:
            return []
        token = user_token(tracker)
        current = await current_masked(field, token) if token else None
        label = FIELD_LABELS[field]
        if current is not None:
            dispatcher.utter_message(
                response="utter_profile_current_value", field_label=label, current=current
            )
        dispatcher.utter_message(response=f"utter_ask_profile_value_{field}")
        return []


async def current_masked(field: str, token: str) -> str | None:
    """The value on file for ``field``, masked by the backend; None if none or unknown."""
    try:
        profile = await crm_client.get_client().get_own_profile(user_token=token, masked=True)
    except crm_client.BackendError as exc:
        logger.warning("profile not read: %s", type(exc).__name__)
        return None
    if field == "address":
        return shown_value(field, profile.get("address_line"))
    return shown_value(field, profile.get(field))


class ActionAskProfileConsent(Action):
    """The collection statement named by the backend for this change, then yes or no."""

    def name(self) -> str:
        return "action_ask_profile_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        change = tracker.get_slot(CHANGE_SLOT) or {}
        statement = change.get("statement") or {}
        field = change.get("field") or tracker.get_slot(FIELD_SLOT)
        dispatcher.utter_message(
            response="utter_ask_profile_consent",
            field_label=FIELD_LABELS.get(field or "", "details"),
            new_value=tracker.get_slot(VALUE_SLOT) or "-",
            statement_title=statement.get("title") or "",
            statement_version=statement.get("version") or "",
            statement_text=statement.get("text") or "",
        )
        return []


class ActionSubmitProfileUpdate(Action):
    """Applies the pending change on a yes; a no is recorded as declined. Either way the
    backend writes the consent answer."""

    def name(self) -> str:
        return "action_submit_profile_update"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [*clear_profile(), SlotSet(CODE_SLOT, None)]
        answer = tracker.get_slot(CONSENT_SLOT)
        if answer == ENDED:
            return [FAILED, *done]  # the reason was said
        token = user_token(tracker)
        change = tracker.get_slot(CHANGE_SLOT) or {}
        field = change.get("field") or tracker.get_slot(FIELD_SLOT) or ""
        label = FIELD_LABELS.get(field, "details")
        if token is None or not change.get("change_id"):
            if tracker.get_slot(CODE_SLOT) not in STOPPED:
                dispatcher.utter_message(response="utter_profile_not_verified")
            return [FAILED, *done]
        consent = answer == YES
        payload = {
            "consent": consent,
            "statement_version": (change.get("statement") or {}).get("version") or "",
            "channel": "chat",
            "conversation_id": tracker.sender_id,
        }
        try:
            decided = await crm_client.get_client().decide_profile_change(
                str(change["change_id"]), payload, user_token=token
            )
        except (crm_client.Conflict, crm_client.NotFound, crm_client.InvalidRequest) as exc:
            logger.info("profile change not decided: %s", type(exc).__name__)
            if not consent:
                # No answer was recorded (the change had gone), but nothing changed either.
                dispatcher.utter_message(response="utter_profile_nothing_changed")
                return [DONE, *done]
            statement_changed = "collection statement" in str(exc)
            dispatcher.utter_message(
                response="utter_profile_statement_changed"
                if statement_changed
                else "utter_profile_change_expired",
                field=field or "profile",
            )
            return [FAILED, *done]
        except crm_client.NotAuthorized:
            return [FAILED, *done, *sign_in_refused(dispatcher, tracker)]
        except crm_client.BackendError as exc:
            logger.warning("profile change not decided: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_profile_backend_down")
            return [FAILED, *done]
        if decided.get("status") == "applied":
            dispatcher.utter_message(
                response="utter_profile_updated",
                field_label=label,
                new_value=shown_value(field, decided.get("new_masked"))
                or tracker.get_slot(VALUE_SLOT),
            )
        else:
            dispatcher.utter_message(response="utter_profile_update_declined")
        return [DONE, *done]


class ActionStopProfileUpdate(Action):
    def name(self) -> str:
        return "action_stop_profile_update"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_profile_stopped")
        return [*clear_profile(), SlotSet(CODE_SLOT, None)]
