"""RabbitMQ path of the transcript (``CRM_EVENT_BROKER=rabbitmq``): Rasa's built-in Pika
event broker publishes every tracker event to a durable queue; this consumer feeds them to the
same ingest as the HTTP path (scrubbed, metadata dropped, idempotent).

A message is acknowledged only after its entry is committed, so a crash redelivers it and the
ingest's event key stores it once. A message that is not a Rasa event is rejected (not
requeued) and counted; its content is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from contextlib import suppress
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from anyio import to_thread
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from crm_backend.config import Settings
from crm_backend.db import transaction
from crm_backend.schemas.transcript import IngestResult, RasaEvent
from crm_backend.services.transcripts import event_key_secret, ingest_events

logger = logging.getLogger(__name__)

RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)


def parse_event(body: bytes) -> RasaEvent | None:
    try:
        return RasaEvent.model_validate(json.loads(body))
    # ValidationError text holds the input; RecursionError: JSON nested thousands deep.
    except (ValueError, ValidationError, TypeError, RecursionError):
        return None


class TranscriptConsumer:
    def __init__(
        self,
        *,
        url: str,
        queue: str,
        session_factory: sessionmaker[Session],
        secret: bytes,
        batch_size: int = 50,
        batch_wait: float = 0.2,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._url = url
        self._queue = queue
        self._session_factory = session_factory
        self._secret = secret
        self._batch_size = batch_size
        self._batch_wait = batch_wait
        self._retry_delays = tuple(retry_delays)
        parts = urlsplit(url)
        self._where = f"{parts.hostname}:{parts.port or 5672}"  # never the credentials
        self.ready = asyncio.Event()
        self.stored = 0
        self.rejected = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, session_factory: sessionmaker[Session]
    ) -> TranscriptConsumer:
        return cls(
            url=settings.rabbitmq_url,
            queue=settings.rabbitmq_queue,
            session_factory=session_factory,
            secret=event_key_secret(settings.signing_key),
        )

    def _delay(self, attempt: int) -> float:
        return self._retry_delays[min(attempt, len(self._retry_delays) - 1)]

    async def run(self) -> None:
        """Consume until cancelled, reconnecting while RabbitMQ is unreachable."""
        attempt = 0
        while True:
            try:
                connection = await aio_pika.connect_robust(self._url)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                delay = self._delay(attempt)
                attempt += 1
                logger.warning(
                    "transcript consumer: RabbitMQ at %s unreachable (%s); retrying in %.0fs",
                    self._where, type(exc).__name__, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
                continue
            attempt = 0
            try:
                await self._consume(connection)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                logger.warning(
                    "transcript consumer: lost RabbitMQ at %s (%s); reconnecting",
                    self._where, type(exc).__name__,
                )  # fmt: skip
                await asyncio.sleep(self._delay(0))
            finally:
                self.ready.clear()
                with suppress(Exception):
                    await connection.close()

    async def _consume(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._batch_size * 2)
        queue = await channel.declare_queue(self._queue, durable=True)
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(inbox.put)
        logger.info("transcript consumer: reading queue %s at %s", self._queue, self._where)
        self.ready.set()
        while True:
            batch = [await inbox.get()]
            while len(batch) < self._batch_size:
                try:
                    batch.append(await asyncio.wait_for(inbox.get(), self._batch_wait))
                except TimeoutError:
                    break
            await self._handle(batch)

    async def _handle(self, messages: list[AbstractIncomingMessage]) -> None:
        events: list[RasaEvent] = []
        accepted: list[AbstractIncomingMessage] = []
        for message in messages:
            event = parse_event(message.body)
            if event is None:
                self.rejected += 1
                logger.warning(
                    "transcript consumer: rejected a message that is not a Rasa event (%d so far)",
                    self.rejected,
                )
                await message.reject(requeue=False)
                continue
            events.append(event)
            accepted.append(message)
        if not events:
            return
        result = await self._ingest_with_retry(events)
        self.stored += result.stored
        for message in accepted:
            await message.ack()

    async def _ingest_with_retry(self, events: list[RasaEvent]) -> IngestResult:
        attempt = 0
        while True:
            try:
                return await to_thread.run_sync(self._ingest, events)
            except Exception as exc:  # the database may be restarting: keep the messages
                delay = self._delay(attempt)
                attempt += 1
                logger.error(
                    "transcript consumer: ingest failed (%s); retrying in %.0fs",
                    type(exc).__name__, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)

    def _ingest(self, events: list[RasaEvent]) -> IngestResult:
        with transaction(self._session_factory) as session:
            return ingest_events(session=session, events=events, secret=self._secret)
