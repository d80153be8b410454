"""The RabbitMQ path of the transcript, against the real RabbitMQ on 127.0.0.1:5672: Rasa's
Pika broker (bot/endpoints-rabbitmq.yml) publishes, the backend's consumer stores scrubbed
entries. Each test has its own queue (and exchange), deleted afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crm_backend.main import create_app
from crm_backend.models import TranscriptEntry
from crm_backend.services.transcript_consumer import TranscriptConsumer
from crm_backend.services.transcripts import event_key_secret

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
EMAIL = "lam.ka.yan@example.org"
PHONE = "9234 5617"


@pytest.fixture
async def queue() -> AsyncIterator[str]:
    """A queue (and an exchange of the same name) of this test only, deleted afterwards."""
    name = f"crm_test_transcripts_{uuid.uuid4().hex[:12]}"
    yield name
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        for delete in ("queue_delete", "exchange_delete"):
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await getattr(channel, delete)(name)
        channel = await connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(name, passive=True)


def rasa_events(sender: str, token: str) -> list[dict]:
    t = time.time()
    return [
        {"sender_id": sender, "event": "session_started", "timestamp": t, "metadata": {}},
        {"sender_id": sender, "event": "user", "timestamp": t + 1,
         "text": f"my email is {EMAIL} and phone {PHONE}", "metadata": {"token": token},
         "parse_data": {"intent": {"name": "update_profile", "confidence": 0.9},
                        "metadata": {"token": token}},
         "input_channel": "socketio", "message_id": uuid.uuid4().hex},
        {"sender_id": sender, "event": "slot", "timestamp": t + 2, "name": "identity_contact",
         "value": EMAIL},
        {"sender_id": sender, "event": "slot", "timestamp": t + 3, "name": "feedback_text",
         "value": f"call {PHONE}"},
        {"sender_id": sender, "event": "bot", "timestamp": t + 4,
         "text": f"I'll send a code to {EMAIL}.", "metadata": {"utter_action": "utter_code_sent"}},
    ]  # fmt: skip


async def publish(queue: str, bodies: list[bytes]) -> None:
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True)
        for body in bodies:
            message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await channel.default_exchange.publish(message, routing_key=queue)


async def queue_depth(queue: str) -> int:
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        return int(declared.declaration_result.message_count or 0)


async def wait_for_rows(session, sender: str, count: int, timeout: float = 60.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        session.rollback()
        rows = list(
            session.scalars(
                select(TranscriptEntry)
                .where(TranscriptEntry.sender_id == sender)
                .order_by(TranscriptEntry.occurred_at, TranscriptEntry.id)
            )
        )
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)


def assert_scrubbed(rows: list, token: str) -> None:
    stored = json.dumps([[r.event_type, r.name, r.text, r.value] for r in rows])
    for value in (EMAIL, PHONE, token):
        assert value not in stored
    by_name = {r.name: r for r in rows}
    assert by_name["identity_contact"].value is None and by_name["identity_contact"].value_withheld
    assert json.loads(by_name["feedback_text"].value) == "call <PHONE_NUMBER>"
    assert by_name["update_profile"].text == "my email is <EMAIL_ADDRESS> and phone <PHONE_NUMBER>"
    assert by_name["utter_code_sent"].text == "I'll send a code to <EMAIL_ADDRESS>."


async def test_consumer_stores_scrubbed_entries_once_and_rejects_garbage(
    app, session, headers, queue
):
    consumer = TranscriptConsumer(
        url=RABBITMQ_URL,
        queue=queue,
        session_factory=app.state.session_factory,
        secret=event_key_secret(app.state.settings.signing_key),
        batch_wait=0.05,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(consumer.ready.wait(), 30)
        sender = uuid.uuid4().hex
        token = headers.customer_token("C000003")
        events = rasa_events(sender, token)
        bodies = [json.dumps(event).encode() for event in events]
        # a redelivered event, and two messages that are not Rasa events
        await publish(queue, [*bodies, bodies[1], b"\xff not json", b'{"event": "user"}'])
        rows = await wait_for_rows(session, sender, len(events))
        assert len(rows) == len(events)
        assert_scrubbed(rows, token)
        deadline = time.monotonic() + 30
        while (consumer.rejected < 2 or await queue_depth(queue)) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert consumer.rejected == 2
        assert await queue_depth(queue) == 0  # all acknowledged or rejected
        await asyncio.sleep(0.5)
        assert len(await wait_for_rows(session, sender, 0)) == len(events)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


RASA_PUBLISHER = """
import asyncio, json, sys
from rasa.core.brokers.broker import EventBroker
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.events import BotUttered, SessionStarted, SlotSet, UserUttered

async def main():
    case = json.load(sys.stdin)
    endpoints = AvailableEndpoints.read_endpoints("bot/endpoints-rabbitmq.yml")
    broker = await EventBroker.create(endpoints.event_broker)
    assert type(broker).__name__ == "PikaEventBroker", type(broker)
    events = [
        SessionStarted(),
        UserUttered(case["text"], intent={"name": "update_profile", "confidence": 0.9},
                    parse_data={"intent": {"name": "update_profile", "confidence": 0.9},
                                "entities": [], "metadata": {"token": case["token"]}},
                    metadata={"token": case["token"]}, input_channel="socketio"),
        SlotSet("identity_contact", case["email"]),
        SlotSet("feedback_text", case["feedback"]),
        BotUttered(case["bot"], metadata={"utter_action": "utter_code_sent"}),
    ]
    for event in events:
        body = {"sender_id": case["sender"]}
        body.update(event.as_dict())
        broker.publish(body)
    await asyncio.gather(*broker._background_tasks)
    await broker.close()
    print(len(events))

asyncio.run(main())
"""


def run_rasa_publisher(queue: str, case: dict[str, str]) -> int:
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
        "CRM_RABBITMQ_HOST": "127.0.0.1",
        "CRM_RABBITMQ_PORT": "5672",
        "CRM_RABBITMQ_USERNAME": "guest",
        "CRM_RABBITMQ_PASSWORD": "guest",
        "CRM_RABBITMQ_QUEUE": queue,
        "CRM_RABBITMQ_EXCHANGE": queue,
    }
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", RASA_PUBLISHER],
        input=json.dumps(case), capture_output=True, text=True, cwd=ROOT, env=env, timeout=180,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.strip().splitlines()[-1])


async def test_rasa_pika_broker_feeds_the_backend_consumer_started_by_the_lifespan(
    settings, session, headers, queue
):
    """Rasa's own Pika broker, configured by bot/endpoints-rabbitmq.yml, publishes; the
    backend started with CRM_EVENT_BROKER=rabbitmq consumes from its lifespan."""
    sender = uuid.uuid4().hex
    token = headers.customer_token("C000004")
    case = {
        "sender": sender,
        "token": token,
        "email": EMAIL,
        "text": f"my email is {EMAIL} and phone {PHONE}",
        "feedback": f"call {PHONE}",
        "bot": f"I'll send a code to {EMAIL}.",
    }
    published = await asyncio.to_thread(run_rasa_publisher, queue, case)
    assert published == 5
    assert await queue_depth(queue) == 5  # durable queue, persistent messages, waiting

    rabbit_settings = settings.model_copy(
        update={"event_broker": "rabbitmq", "rabbitmq_url": RABBITMQ_URL, "rabbitmq_queue": queue}
    )
    application = create_app(rabbit_settings)
    try:
        with TestClient(application):
            rows = await wait_for_rows(session, sender, published)
            assert len(rows) == published
            assert_scrubbed(rows, token)
            assert [r.event_type for r in rows] == [
                "session_started",
                "user",
                "slot",
                "slot",
                "bot",
            ]
            consumer = application.state.transcript_consumer
            deadline = time.monotonic() + 30
            while await queue_depth(queue) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert await queue_depth(queue) == 0
            assert consumer.stored == published
    finally:
        application.state.engine.dispose()


async def test_the_http_setting_starts_no_consumer(settings):
    application = create_app(settings)
    try:
        with TestClient(application):
            assert settings.event_broker == "http"
            assert not hasattr(application.state, "transcript_consumer")
    finally:
        application.state.engine.dispose()
