"""Staff working their complaint queue in the staff console chat: the shared pieces.

Reading what staff type (complaint references, the text after "note on CMP-..:", who to
assign to, which status), who is asking, how backend refusals are worded, and the base
class of the staff actions. The actions themselves are in ``staff_complaint_queue.py``
(lists, one complaint) and ``staff_complaint_work.py`` (assign, notes, status changes).
"""

from __future__ import annotations

import abc
import logging
import re
from typing import Any

import jwt
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.conversation import user_token

logger = logging.getLogger(__name__)

# Slots (domain.yml, "staff console slots").
REF_SLOT = "staff_complaint_ref"  # the complaint this staff member works on now
VERSION_SLOT = "staff_complaint_version"  # its version when the bot last read or changed it
PENDING_SLOT = "staff_pending"  # "note" or "resolve" while the bot asks for that text
NOTE_SLOT = "staff_note"  # the text asked for

NOTE_MAX_CHARS = 4000  # the backend's limit for a note (and a resolution)

_REF = re.compile(r"(?<![A-Za-z0-9])CMP[-\s#]?(\d{6,9})(?![0-9])", re.I)
# Something meant as a reference that is not one: "CMP-123", "cmp 12345x".
_LOOSE_REF = re.compile(r"(?<![A-Za-z0-9])CMP(?:[-\s#]?[0-9][0-9A-Za-z]*|-\S*|\b)", re.I)
# Up to a separator after the reference: "resolve CMP-1 with resolution: ...", "note - ...".
_SEPARATOR = re.compile(r"^\s*((?:[\w']+\s*){0,3}?)[:\-\u2013\u2014]+\s*")
_LEAD_WORDS = frozenset(
    ("with", "as", "a", "an", "the", "note", "notes", "resolution", "resolved", "comment",
     "saying", "reason", "text", "is", "was", "that", "done", "fixed", "sorted")
)  # fmt: skip
# "resolve CMP-1 with a refund to the card", "... as no fault found".
_WITH = re.compile(r"^\s*(?:with|as)\b\s*", re.I)
_FILLER = frozenset(
    ("please", "pls", "plz", "now", "thanks", "thx", "thank you", "asap", "for me", "it", "ok",
     "resolved", "as resolved", "done")
)  # fmt: skip
_ASSIGNEE = re.compile(r"\bto\s+(?:the\s+)?([A-Za-z][A-Za-z0-9._-]{0,63})", re.I)
_ME = frozenset(("me", "myself", "i", "mine", "self"))

# The backend's transition actions, from the status value the NLU extracts ...
STATUS_ACTIONS = {
    "acknowledged": "acknowledge",
    "in_progress": "start",
    "awaiting_customer": "await_customer",
    "resolved": "resolve",
    "closed": "close",
    "reopened": "reopen",
}
# ... or from words in the message (checked in this order).
_STATUS_WORDS = (
    ("reopen", re.compile(r"\bre-?open", re.I)),
    ("await_customer", re.compile(r"\b(a?wait|pending|on hold)", re.I)),
    ("start", re.compile(r"\b(in[ -]?progress|wip|working|start)", re.I)),
    ("acknowledge", re.compile(r"\b(ack|acknowledged?|acknowledging|seen)\b", re.I)),
    ("resolve", re.compile(r"\bresolv", re.I)),
    ("close", re.compile(r"\bclos(e|ed|ing)\b", re.I)),
)


def reference_in(text: str) -> str | None:
    """``CMP-000123`` from "show cmp 000123", "CMP-000123" ..."""
    match = _REF.search(text)
    return f"CMP-{match.group(1)}" if match else None


def malformed_reference_in(text: str) -> str | None:
    """What the staff member typed as a reference, if it is not a valid one."""
    if _REF.search(text):
        return None
    match = _LOOSE_REF.search(text)
    return match.group(0).strip() if match else None


def free_text(text: str) -> str | None:
    """The note or resolution in "note on CMP-000123: called customer" (after the
    reference and a colon or dash); without a reference, what follows the first colon."""
    match = _REF.search(text)
    if match:
        rest = text[match.end() :]
    elif ":" in text:
        rest = text.split(":", 1)[1]
    else:
        return None
    separator = _SEPARATOR.match(rest)
    if separator and set(separator.group(1).casefold().split()) <= _LEAD_WORDS:
        rest = rest[separator.end() :]
    else:
        rest = _WITH.sub("", rest, count=1)
    rest = rest.strip()
    if not rest.strip(" .!?") or rest.casefold().strip(" .!?") in _FILLER:
        return None
    return rest


def text_after_colon(text: str) -> str | None:
    """The note in "mark CMP-000123 in progress: photos received"."""
    match = _REF.search(text)
    start = match.end() if match else 0
    colon = text.find(":", start)
    if colon < 0:
        return None
    rest = text[colon + 1 :].strip()
    return rest if rest.strip(" .!?") else None


def command_part(text: str) -> str:
    """The message up to the free text: "mark CMP-1 in progress" of "...: photos came"."""
    match = _REF.search(text)
    start = match.end() if match else 0
    colon = text.find(":", start)
    return text if colon < 0 else text[:colon]


def assignee_in(text: str, entity: str | None) -> str | None:
    """The colleague's username in "assign CMP-000123 to cs.supervisor"; None means
    "me" (also when nobody is named: "take CMP-000123")."""
    match = _ASSIGNEE.search(command_part(text))
    name = match.group(1) if match else entity
    if not name:
        return None
    name = name.strip().rstrip(".,!?").lower()
    return None if name in _ME else name


def status_action_in(text: str, status_value: str | None) -> str | None:
    if status_value in STATUS_ACTIONS:
        return STATUS_ACTIONS[status_value]
    command = _REF.sub(" ", command_part(text))
    return next((action for action, words in _STATUS_WORDS if words.search(command)), None)


def token_kind(token: str) -> str | None:
    """The kind a token claims to be ("staff", "customer", "complaint").

    Read without checking the signature, for choosing words only: a customer asking for
    the staff queue is told where it is, rather than shown their own records in a staff
    layout. The backend checks every token on every call and decides all access.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    kind = claims.get("kind")
    return kind if isinstance(kind, str) else None


def safe(text: str) -> str:
    """Free text made safe for a response template (Rasa gives up on "0[" in the result)."""
    return text.replace("0[", "0 [")


def shorten(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def response_text(domain: DomainDict, name: str) -> str | None:
    """The first unconditional text of a domain response, to build one message of many
    lines with the domain's wording; None when the action server was not sent the domain."""
    variations = (domain.get("responses") or {}).get(name) or []
    for variation in variations:
        if isinstance(variation, dict) and not variation.get("condition") and "text" in variation:
            return str(variation["text"])
    return None


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render_lines(domain: DomainDict, name: str, rows: list[dict[str, Any]]) -> str | None:
    template = response_text(domain, name)
    if template is None:
        return None
    try:
        return "\n".join(template.format_map(_Blank(row)) for row in rows)
    except (ValueError, IndexError):  # a template that is not a plain format string
        return None


def say_lines(
    dispatcher: CollectingDispatcher,
    domain: DomainDict,
    *,
    response: str,
    line_response: str,
    rows: list[dict[str, Any]],
    buttons: list[dict[str, Any]] | None = None,
    **values: Any,
) -> None:
    """One message (``response`` with a ``{lines}`` variable) made of one line per row in
    ``line_response``'s wording; without the domain, one message per line after it."""
    lines = render_lines(domain, line_response, rows)
    dispatcher.utter_message(response=response, lines=lines or "", buttons=buttons, **values)
    if lines is None:
        for row in rows:
            dispatcher.utter_message(response=line_response, **row)


class StaffAction(Action, abc.ABC):
    """A staff console action: answers non-staff callers itself, maps backend refusals
    to words, and leaves the "asking for text" state on every outcome but a question."""

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    async def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        token: str,
    ) -> list[EventType]: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        token = user_token(tracker)
        if token is None or token_kind(token) in ("customer", "complaint"):
            dispatcher.utter_message(response="utter_staff_only")
            return clear_pending()
        try:
            return await self.act(dispatcher, tracker, domain, token)
        except crm_client.BackendError as exc:
            say_failure(dispatcher, exc, tracker.get_slot(REF_SLOT), action=self.name())
            return clear_pending()


def clear_pending() -> list[EventType]:
    return [SlotSet(PENDING_SLOT, None), SlotSet(NOTE_SLOT, None)]


def target_reference(dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
    """The complaint a message is about: the one it names, else the one being worked on.
    Says what is wrong (and returns None) for a malformed or missing reference."""
    text = tracker.latest_message.get("text") or ""
    entity = next(tracker.get_latest_entity_values("complaint_ref"), None)
    reference = reference_in(text) or (reference_in(entity) if entity else None)
    if reference:
        return reference
    typed = malformed_reference_in(text)
    if typed:
        dispatcher.utter_message(response="utter_staff_bad_reference", typed=safe(typed))
        return None
    current = tracker.get_slot(REF_SLOT)
    # A message without any reference ("note: called again") is about the current one.
    if isinstance(current, str) and reference_in(current):
        return current
    dispatcher.utter_message(response="utter_staff_which_complaint")
    return None


def say_failure(
    dispatcher: CollectingDispatcher,
    exc: crm_client.BackendError,
    reference: str | None,
    *,
    action: str,
    assignee: str = "",
) -> None:
    reference = reference or ""
    if isinstance(exc, crm_client.NotAuthorized):
        dispatcher.utter_message(response="utter_staff_sign_in_expired")
    elif isinstance(exc, crm_client.Forbidden):
        dispatcher.utter_message(response="utter_staff_forbidden")
    elif isinstance(exc, crm_client.NotFound):
        dispatcher.utter_message(response="utter_staff_complaint_not_found", reference=reference)
    elif isinstance(exc, crm_client.Conflict):
        dispatcher.utter_message(
            response="utter_staff_not_allowed", reference=reference, reason=safe(str(exc))
        )
    elif isinstance(exc, crm_client.InvalidRequest) and exc.field == "assignee":
        dispatcher.utter_message(response="utter_staff_unknown_assignee", assignee=safe(assignee))
    elif isinstance(exc, crm_client.InvalidRequest) and exc.field in ("note", "resolution"):
        if "at most" in exc.reason or "too long" in exc.reason:
            dispatcher.utter_message(
                response="utter_staff_text_too_long", max_chars=f"{NOTE_MAX_CHARS:,}"
            )
        else:
            dispatcher.utter_message(response="utter_staff_text_refused", reason=safe(exc.reason))
    elif isinstance(exc, crm_client.InvalidRequest):
        dispatcher.utter_message(response="utter_staff_text_refused", reason=safe(exc.reason))
    else:
        logger.warning("%s failed: %s", action, type(exc).__name__)
        dispatcher.utter_message(response="utter_staff_backend_down")
