"""Starts the real backend, action server and Rasa server once per database kind."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crm_backend.db import make_engine, make_session_factory
from crm_backend.devstack import MODEL_PATH, Stack, StackConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Conversation:
    """One chat over Rasa's REST channel, as the web page would hold it."""

    rasa_url: str
    sender: str
    token: str | None = None

    def say(self, text: str) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.token:
            body["metadata"] = {"token": self.token}
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def texts(self, text: str) -> str:
        """Everything the bot answered, joined, for asserting on content."""
        return "\n".join(m.get("text", "") for m in self.say(text))


@dataclass
class RunningStack:
    stack: Stack
    config: StackConfig
    database_url: str
    engine: Engine

    def conversation(self, token: str | None = None) -> Conversation:
        return Conversation(self.config.rasa_url, f"e2e-{uuid.uuid4().hex}", token)

    def session(self) -> Session:
        """A session on the stack's database, to check what the conversation stored."""
        return make_session_factory(self.engine)()


@pytest.fixture(scope="session")
def running_stack(database, tmp_path_factory) -> Iterator[RunningStack]:
    assert MODEL_PATH.exists(), "train the Rasa model first (make train)"
    var_dir = tmp_path_factory.mktemp(f"stack-{database.kind}")
    config = StackConfig(
        var_dir=var_dir,
        database_url=database.url,
        backend_port=free_port(),
        actions_port=free_port(),
        rasa_port=free_port(),
        extra_env={"CRM_RASA_TOKEN": uuid.uuid4().hex},
    )
    stack = Stack(config)
    stack.start()
    engine = make_engine(database.url)
    try:
        yield RunningStack(stack, config, database.url, engine)
    finally:
        engine.dispose()
        stack.stop()
