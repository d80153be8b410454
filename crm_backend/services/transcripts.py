"""The durable record of a chat: Rasa tracker events in, redacted transcript entries out.

What an entry keeps (everything else in a Rasa event is dropped):

- ``user``: the scrubbed text and the intent name (no entities, no ranking, no metadata);
  the answer to a form's question for a withheld slot (a new name, a contact, a code) is
  withheld whole, as ``<ANSWER WITHHELD>``;
- ``bot``: the scrubbed text and the response name (``utter_...``, the one metadata key read);
- ``slot``: the slot name and its value as JSON with every string scrubbed, or the name only
  (``value_withheld``) for slots that hold personal values, one-time codes or tokens:
  the slots named in ``data/transcript_policy.json`` and any whose name matches its pattern;
- ``action`` (but not the ever-repeated ``action_listen``), ``active_loop``:
  the name; ``session_started`` and ``restart``: the type and time only.

Other event types are acknowledged and skipped. Message metadata (where the user's token
travels) is never stored, nor is Rasa's ``session_started_metadata`` slot (a copy of it);
anything shaped like a JWT left in free text, and the signature of a signed link, becomes
``<TOKEN>``.

A sender id is stored as given: Rasa's channels make it a random id (the socket.io session),
and complaints link to it as their ``conversation_id``.

Replays are harmless: each event gets ``event_key``, an HMAC-SHA256 (keyed from the signing
key, so the key cannot be used to test guesses of the personal text it covers) of its sender,
type, timestamp and content, unique in the table; a batch delivered twice stores once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_backend.models import TranscriptEntry
from crm_backend.paths import DATA_DIR
from crm_backend.privacy.secrets_in_text import redact_secrets
from crm_backend.schemas.transcript import (
    IngestResult,
    RasaEvent,
)

KEPT_TYPES = frozenset(
    {"user", "bot", "slot", "action", "active_loop", "session_started", "restart"}
)
SKIPPED_ACTIONS = frozenset({"action_listen"})
# Slots stored by name only, shared with the Rasa-side broker (it drops them before sending).
_POLICY = json.loads((DATA_DIR / "transcript_policy.json").read_text(encoding="utf-8"))
WITHHELD_SLOTS = frozenset(_POLICY["withheld_slots"])
WITHHELD_SLOT_PATTERN = re.compile(_POLICY["withheld_slot_pattern"], re.IGNORECASE)
MAX_TEXT = 10_000  # longer messages are cut (at a space) before scrubbing
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The user's answer when the form had asked for a withheld slot (see _Questions).
WITHHELD_ANSWER = "<ANSWER WITHHELD>"
REQUESTED_SLOT = "requested_slot"
MAX_SLOT_DEPTH = 20
WITHHELD_VALUE = "<WITHHELD>"


def event_key_secret(signing_key: str) -> bytes:
    """The HMAC key for event keys, derived so it is never the signing key itself."""
    return hmac.new(signing_key.encode(), b"transcript-event-key", hashlib.sha256).digest()


def slot_withheld(name: str) -> bool:
    return name in WITHHELD_SLOTS or bool(WITHHELD_SLOT_PATTERN.search(name))


def event_key(secret: bytes, event: RasaEvent) -> str:
    intent = event.parse_data.intent.name if event.parse_data and event.parse_data.intent else None
    payload = json.dumps(
        [event.sender_id, event.event, repr(float(event.timestamp)), event.name, event.text,
         event.value, intent],
        sort_keys=True, default=str,  # ASCII: any text, even a lone surrogate, encodes
    )  # fmt: skip
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def storable(text: str) -> str:
    """``text`` as every database stores it: lone surrogates and NUL (binary garbage typed or
    pasted into the chat) become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    head = text[:MAX_TEXT]
    space = head.rfind(" ", MAX_TEXT // 2)
    return head[:space] if space > 0 else head


class _Texts:
    """Collects the strings of a batch so the scrubber sees them in one ``scrub_many``."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> int:
        self.items.append(redact_secrets(_cut(storable(text))))
        return len(self.items) - 1

    def scrubbed(self) -> list[str]:
        if not self.items:
            return []
        from crm_backend.privacy import get_scrubber  # loads the NLP model on first use only

        return get_scrubber().scrub_many(self.items)


# A slot value with each string replaced by the index of its text in _Texts.
@dataclass
class _Slot:
    template: Any


def _collect(value: Any, texts: _Texts, depth: int = 0) -> Any:
    if depth > MAX_SLOT_DEPTH:  # no slot of ours nests this deep: keep only that it was there
        return WITHHELD_VALUE
    if isinstance(value, str):
        return _Slot(texts.add(value))
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 100_000:
        return _Slot(texts.add(str(value)))  # long numbers may be phone or card numbers
    if isinstance(value, list):
        return [_collect(item, texts, depth + 1) for item in value]
    if isinstance(value, dict):
        return {storable(str(key)): _collect(item, texts, depth + 1) for key, item in value.items()}
    return value


def _fill(template: Any, scrubbed: Sequence[str]) -> Any:
    if isinstance(template, _Slot):
        return scrubbed[template.template]
    if isinstance(template, list):
        return [_fill(item, scrubbed) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, scrubbed) for key, item in template.items()}
    return template


def _kept(event: RasaEvent) -> bool:
    if event.event not in KEPT_TYPES:
        return False
    return not (event.event == "action" and event.name in SKIPPED_ACTIONS)


def _entry_name(event: RasaEvent) -> str | None:
    if event.event == "user":
        intent = event.parse_data.intent if event.parse_data else None
        return intent.name if intent else None
    if event.event == "bot":
        response = (event.metadata or {}).get("utter_action")
        return storable(response)[:128] if isinstance(response, str) else None
    if event.event in ("action", "slot", "active_loop"):
        return event.name
    return None


class _Questions:
    """Which slot each conversation's form is asking for as the events go by (Rasa's
    ``requested_slot``), so that the answer to a question for a personal value (a new name,
    an address, a contact, a one-time code) is withheld whole: the scrubber cannot know that
    a bare "Quillon Vexbridge" is a name. ``asked_before`` tells what was being asked when
    the batch starts (an earlier batch's events are already stored)."""

    def __init__(self, asked_before: Callable[[str], str | None]) -> None:
        self._asking: dict[str, str | None] = {}
        self._asked_before = asked_before

    def see(self, event: RasaEvent) -> None:
        if event.event == "slot" and event.name == REQUESTED_SLOT:
            self._asking[event.sender_id] = event.value if isinstance(event.value, str) else None

    def personal_answer(self, event: RasaEvent) -> bool:
        if event.event != "user":
            return False
        if event.sender_id not in self._asking:
            self._asking[event.sender_id] = self._asked_before(event.sender_id)
        slot = self._asking[event.sender_id]
        return slot is not None and slot_withheld(slot)


def build_rows(
    events: Iterable[RasaEvent],
    *,
    secret: bytes,
    asked_before: Callable[[str], str | None] = lambda _sender_id: None,
) -> list[dict[str, Any]]:
    """The rows to store for ``events``: kept types only, one per event key, scrubbed."""
    texts = _Texts()
    questions = _Questions(asked_before)
    pending: list[tuple[dict[str, Any], Any, Any]] = []
    seen: set[str] = set()
    for event in events:
        questions.see(event)
        if not _kept(event):
            continue
        key = event_key(secret, event)
        if key in seen:
            continue
        seen.add(key)
        row: dict[str, Any] = {
            "event_key": key,
            "sender_id": event.sender_id,
            "event_type": event.event,
            "occurred_at": datetime.fromtimestamp(event.timestamp, UTC),
            "name": _entry_name(event),
            "value_withheld": False,
        }
        text = texts.add(event.text) if event.event in ("user", "bot") and event.text else None
        if text is not None and questions.personal_answer(event):
            row["text"], text = WITHHELD_ANSWER, None
        value = None
        if event.event == "slot":
            if event.name and slot_withheld(event.name):
                row["value_withheld"] = True
            else:
                value = _collect(event.value, texts)
        pending.append((row, text, value))
    scrubbed = texts.scrubbed()
    now = datetime.now(UTC)
    rows = []
    for row, text, value in pending:
        if text is not None:
            row["text"] = scrubbed[text]
        else:
            row.setdefault("text", None)
        slot_value = row["event_type"] == "slot" and not row["value_withheld"]
        # A slot reset is stored as JSON null; other events have no value (SQL NULL).
        row["value"] = (
            json.dumps(_fill(value, scrubbed), ensure_ascii=False) if slot_value else None
        )
        row["received_at"] = now
        rows.append(row)
    return rows


def ingest_events(*, session: Session, events: Sequence[RasaEvent], secret: bytes) -> IngestResult:
    """Store the transcript entries of ``events``; events already stored are left alone.
    The caller commits."""
    rows = build_rows(
        events, secret=secret, asked_before=lambda sender: _asked_before(session, sender)
    )
    kept = sum(1 for event in events if _kept(event))
    stored = 0
    if rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(TranscriptEntry)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["event_key"])
            .returning(TranscriptEntry.id)
        )
        stored = len(session.execute(statement).all())
    return IngestResult(
        received=len(events), stored=stored, duplicates=kept - stored, skipped=len(events) - kept
    )


def _asked_before(session: Session, sender_id: str) -> str | None:
    """The slot the conversation's form was asking for at its last stored event."""
    stored = session.scalar(
        select(TranscriptEntry.value)
        .where(
            TranscriptEntry.sender_id == sender_id,
            TranscriptEntry.event_type == "slot",
            TranscriptEntry.name == REQUESTED_SLOT,
        )
        .order_by(TranscriptEntry.occurred_at.desc(), TranscriptEntry.id.desc())
        .limit(1)
    )
    value = json.loads(stored) if stored else None
    return value if isinstance(value, str) else None
