"""Rasa event broker that feeds the CRM backend's redacted transcripts.

Configured in ``bot/endpoints.yml``::

    event_broker:
      type: bot.transcript_broker.TranscriptBroker
      url: ${CRM_BACKEND_URL}

Rasa calls ``publish`` on its event loop for every tracker event. ``publish`` only trims the
event and appends it to a memory buffer; a background task posts batches to
``POST /api/v1/conversations/events`` with the service token (``CRM_SERVICE_TOKEN``, else
``$CRM_VAR_DIR/secrets/service_token``, read again after a 401 or while it is missing).

When the backend cannot take a batch (down, 5xx, 429, 401/403), the batch goes to an on-disk
spool (``$CRM_VAR_DIR/spool/transcripts/``, one JSON file per batch, mode 600) and delivery
is retried with exponential backoff, oldest file first; while the spool is not empty, new
batches join it so they arrive in order. A file is deleted only after the backend accepted
it, so a crash between the two resends it, and the ingest's event key stores it once. The
spool is bounded (``spool_max_mb``, ``spool_max_files``): past the bound the oldest files are
dropped, and every drop is logged as a warning with counts (never contents). A batch the
backend rejects as malformed (400/413/422) cannot succeed later and is dropped the same way;
a 400 or 422 batch is halved until the bad events are alone, so only they are lost.

What is sent and spooled is already trimmed: message metadata (where the user's token
travels) is dropped except the response name, ``parse_data`` keeps the intent name only, and
the values of the slots ``crm_backend/data/transcript_policy.json`` withholds are dropped. The
spool still holds raw chat text until delivery: its directory is owner-only (700, files 600)
and a file is gone once delivered.
"""

import asyncio
import contextlib
import json
import logging
import os
import random
import re
import time
from collections import deque
from pathlib import Path
from typing import Any, Deque, Dict, List, Optional, Text

import aiohttp
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.transcript_spool import Spool

logger = logging.getLogger(__name__)

INGEST_PATH = "/api/v1/conversations/events"
DEFAULT_URL = "http://127.0.0.1:8000"
MAX_BATCH = 500  # the ingest's limit
# Top-level fields the transcript ingest reads; the rest (entities, buttons, policy, ...)
# never leaves the Rasa process.
KEPT_FIELDS = ("sender_id", "event", "timestamp", "text", "name", "value")
KEPT_METADATA = ("utter_action",)
# Slots whose value never leaves Rasa, not even into the spool: the policy the backend's
# ingest applies too (personal values, codes, tokens, Rasa's copy of the session metadata).
_POLICY = json.loads(
    (
        Path(__file__).resolve().parents[1] / "crm_backend" / "data" / "transcript_policy.json"
    ).read_text(encoding="utf-8")
)
WITHHELD_SLOTS = frozenset(_POLICY["withheld_slots"])
WITHHELD_SLOT_PATTERN = re.compile(_POLICY["withheld_slot_pattern"], re.IGNORECASE)


def slot_withheld(name: Text) -> bool:
    return name in WITHHELD_SLOTS or bool(WITHHELD_SLOT_PATTERN.search(name))


RETRYABLE = {401, 403, 404, 408, 409, 425, 429}  # and every 5xx


def trim_event(event: Dict[Text, Any]) -> Dict[Text, Any]:
    """The part of a Rasa event the transcript needs; never the metadata's token."""
    trimmed = {key: event[key] for key in KEPT_FIELDS if key in event}
    if event.get("event") == "slot" and slot_withheld(str(event.get("name"))):
        trimmed.pop("value", None)
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict) and isinstance(parse_data.get("intent"), dict):
        trimmed["parse_data"] = {"intent": {"name": parse_data["intent"].get("name")}}
    metadata = event.get("metadata")
    if isinstance(metadata, dict):
        kept = {key: metadata[key] for key in KEPT_METADATA if key in metadata}
        if kept:
            trimmed["metadata"] = kept
    return trimmed


def read_service_token() -> Optional[str]:
    """``CRM_SERVICE_TOKEN``, else the file the backend creates (as the actions read it)."""
    token = os.environ.get("CRM_SERVICE_TOKEN")
    if token:
        return token
    path = var_dir() / "secrets" / "service_token"
    try:
        return path.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def var_dir() -> Path:
    return Path(os.environ.get("CRM_VAR_DIR") or Path(__file__).resolve().parents[1] / "var")


class TranscriptBroker(EventBroker):
    def __init__(
        self,
        url: Text,
        spool: Spool,
        *,
        batch_size: int = 100,
        flush_interval: float = 0.5,
        timeout: float = 10.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        max_memory_events: int = 10_000,
    ) -> None:
        super().__init__()
        self.url = url.rstrip("/") + INGEST_PATH
        self.spool = spool
        self.batch_size = max(1, min(int(batch_size), MAX_BATCH))
        self.flush_interval = float(flush_interval)
        self.timeout = float(timeout)
        self.backoff_initial = float(backoff_initial)
        self.backoff_max = float(backoff_max)
        self.max_memory_events = int(max_memory_events)
        self.delivered_events = 0
        self.rejected_events = 0
        self._buffer: Deque[Dict[Text, Any]] = deque()
        self._token: Optional[str] = None
        self._session: Optional[aiohttp.ClientSession] = None
        self._task: Optional[asyncio.Task[None]] = None
        self._wake: Optional[asyncio.Event] = None
        self._closing = False
        self._failures = 0
        self._retry_at = 0.0

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig,
        event_loop: Optional[asyncio.AbstractEventLoop] = None,
    ) -> "TranscriptBroker":
        options = dict(broker_config.kwargs)
        directory = options.pop("spool_dir", None)
        spool = Spool(
            Path(directory) if directory else var_dir() / "spool" / "transcripts",
            max_bytes=int(float(options.pop("spool_max_mb", 50)) * 1024 * 1024),
            max_files=int(options.pop("spool_max_files", 10_000)),
        )
        url = broker_config.url or os.environ.get("CRM_BACKEND_URL") or DEFAULT_URL
        broker = cls(url, spool, **options)
        broker.start()
        return broker

    def start(self) -> None:
        """Start the delivery task on the running loop (Rasa's)."""
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    def publish(self, event: Dict[Text, Any]) -> None:
        """Called by Rasa on its event loop: O(1), no I/O."""
        self._buffer.append(trim_event(event))
        if len(self._buffer) > self.max_memory_events:
            # Only when the spool cannot be written either (disk full): keep the newest.
            self._buffer.popleft()
            self.spool.dropped_events += 1
            logger.warning(
                "transcript broker: memory buffer full; dropped an event (%d dropped since start)",
                self.spool.dropped_events,
            )
        if self._task is None or self._task.done():
            self.start()
        if len(self._buffer) >= self.batch_size and self._wake is not None:
            self._wake.set()

    def is_ready(self) -> bool:
        return self._task is not None and not self._task.done()

    async def close(self) -> None:
        """Deliver what is buffered if the backend answers quickly, else spool it."""
        self._closing = True
        if self._task is not None:
            if self._wake is not None:
                self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.timeout + 5)
            except asyncio.TimeoutError:  # noqa: UP041  (not the builtin on Python 3.10)
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._buffer:
            await asyncio.to_thread(self._spill)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(asyncio.TimeoutError):  # not the builtin on Python 3.10
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            self._wake.clear()
            try:
                await self._cycle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep delivering; a bug here must not stop the transcript
                logger.error("transcript broker: delivery cycle failed (%s)", type(exc).__name__)
                self._schedule_retry()
            if self._closing:
                return

    async def _cycle(self) -> None:
        spooled = await asyncio.to_thread(self.spool.files)
        if self._buffer and (spooled or time.monotonic() < self._retry_at):
            await asyncio.to_thread(self._spill)  # behind what is already waiting, in order
            spooled = await asyncio.to_thread(self.spool.files)
        if time.monotonic() < self._retry_at or (self._closing and self._failures):
            return
        for path in spooled:
            events = await asyncio.to_thread(self.spool.load, path)
            if events is None:
                continue
            if not await self._deliver(events):
                return
            await asyncio.to_thread(self.spool.remove, path)
        while self._buffer:
            batch = self._take()
            try:
                delivered = await self._deliver(batch)
            except BaseException:  # cancelled at close, or a bug: the batch is not lost
                await asyncio.to_thread(self.spool.put, batch)
                raise
            if not delivered:
                await asyncio.to_thread(self.spool.put, batch)
                await asyncio.to_thread(self._spill)
                return

    def _take(self) -> List[Dict[Text, Any]]:
        count = min(self.batch_size, len(self._buffer))
        return [self._buffer.popleft() for _ in range(count)]

    def _spill(self) -> None:
        """Move the memory buffer to the spool (blocking; run in a thread or at close)."""
        while self._buffer:
            batch = self._take()
            try:
                self.spool.put(batch)
            except OSError as exc:
                self._buffer.extendleft(reversed(batch))
                logger.error("transcript spool not writable (%s)", type(exc).__name__)
                return

    async def _deliver(self, events: List[Dict[Text, Any]]) -> bool:
        """True when the backend took the batch (or refused it for good); False to retry."""
        status = await self._post(events)  # None: no answer; 0: no service token yet
        if status and 200 <= status < 300:
            self.delivered_events += len(events)
            self._failures = 0
            self._retry_at = 0.0
            return True
        if status and status < 500 and status not in RETRYABLE:
            if status in (400, 422) and len(events) > 1:
                # Halve until the malformed events are alone: only those are dropped.
                middle = len(events) // 2
                return await self._deliver(events[:middle]) and await self._deliver(events[middle:])
            self.rejected_events += len(events)
            logger.error(
                "transcript broker: the backend refused a batch of %d events (HTTP %d); "
                "dropped (%d since start)",
                len(events), status, self.rejected_events,
            )  # fmt: skip
            return True
        if status in (401, 403):
            self._token = None  # read it again: the backend may have made a new one
        self._schedule_retry()
        logger.warning(
            "transcript broker: backend unavailable (%s); %d events waiting, retry in %.1fs",
            f"HTTP {status}" if status else "no service token" if status == 0 else "no answer",
            len(events) + len(self._buffer),
            max(self._retry_at - time.monotonic(), 0.0),
        )
        return False

    def _schedule_retry(self) -> None:
        delay = min(self.backoff_initial * (2**self._failures), self.backoff_max)
        self._failures += 1
        self._retry_at = time.monotonic() + delay * random.uniform(0.8, 1.2)  # noqa: S311

    async def _post(self, events: List[Dict[Text, Any]]) -> Optional[int]:
        token = self._token or read_service_token()
        if token is None:
            return 0
        self._token = token
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(
                self.url,
                data=json.dumps({"events": events}).encode(),
                headers={"X-Service-Token": token, "Content-Type": "application/json"},
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):  # noqa: UP041  (3.10)
            return None
