"""Action tests run against the real backend app, in process (httpx ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import crm_client

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


@pytest.fixture
async def backend(app, settings) -> AsyncIterator[crm_client.CrmClient]:  # type: ignore[no-untyped-def]
    client = crm_client.CrmClient(
        "http://backend.test", settings.service_token, transport=httpx.ASGITransport(app=app)
    )
    crm_client.use_client(client)
    yield client
    crm_client.use_client(None)
    await client.aclose()


@pytest.fixture
async def backend_down() -> AsyncIterator[crm_client.CrmClient]:
    # Nothing listens on the discard port: every call fails to connect.
    client = crm_client.CrmClient("http://127.0.0.1:9", "irrelevant", retry_delays=(0.0,))
    crm_client.use_client(client)
    yield client
    crm_client.use_client(None)
    await client.aclose()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    *,
    text: str = "",
    intent: str = "inform",
    entities: dict[str, str] | None = None,
    slots: dict[str, Any] | None = None,
    candidates: dict[str, Any] | None = None,
    token: str | None = None,
    sender_id: str = "conversation-under-test",
    active_loop: str | None = "complaint_form",
) -> Tracker:
    """A tracker as the action server receives it; ``candidates`` are slots the form just
    extracted from the latest message (they are what a validator validates)."""
    candidates = candidates or {}
    events = [{"event": "user", "text": text}] + [
        {"event": "slot", "name": name, "value": value} for name, value in candidates.items()
    ]
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.98},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": {"token": token} if token else {},
    }
    return Tracker(
        sender_id,
        {**(slots or {}), **candidates},
        latest_message,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


@pytest.fixture
def tracker_factory() -> Callable[..., Tracker]:
    return make_tracker


@pytest.fixture
def said(dispatcher: CollectingDispatcher) -> Callable[[], list[str | None]]:
    """The response names the action sent, in order."""
    return lambda: [message.get("response") for message in dispatcher.messages]
