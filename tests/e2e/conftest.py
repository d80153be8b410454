"""Starts the real backend, action server and Rasa server once per database kind."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crm_backend.db import make_engine, make_session_factory
from crm_backend.devstack import APP_BIN, MODEL_PATH, Stack, StackConfig


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


class SocketChat:
    """One chat over Rasa's socket.io channel, as the web widget holds it: bot messages
    arrive as they are sent, including ones the backend pushes without the user typing."""

    def __init__(self, rasa_url: str, token: str | None = None) -> None:
        import socketio  # the test-only client

        self.session_id = uuid.uuid4().hex
        self.token = token
        self._received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._client = socketio.Client(reconnection=False)
        confirmed = threading.Event()
        self._client.on("bot_uttered", self._received.put)
        self._client.on("session_confirm", lambda *_: confirmed.set())
        self._client.connect(rasa_url, transports=["websocket"], wait_timeout=10)
        self._client.emit("session_request", {"session_id": self.session_id})
        assert confirmed.wait(10), "Rasa did not confirm the socket.io session"

    def send(self, text: str) -> None:
        custom = {"token": self.token} if self.token else {}
        self._client.emit(
            "user_uttered",
            {"message": text, "session_id": self.session_id, "customData": custom},
        )

    def texts(self, text: str, *, quiet_for: float = 1.5, timeout: float = 60) -> str:
        """Send, then collect what the bot says until it has been quiet for a moment."""
        self.send(text)
        return "\n".join(m.get("text", "") for m in self.collect(quiet_for, timeout))

    def collect(self, quiet_for: float = 1.5, timeout: float = 60) -> list[dict[str, Any]]:
        messages = [self._received.get(timeout=timeout)]
        while True:
            try:
                messages.append(self._received.get(timeout=quiet_for))
            except queue.Empty:
                return messages

    def wait_for(self, predicate: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self._received.get(timeout=left)
            if predicate(message):
                return message
        raise TimeoutError("the expected bot message did not arrive")

    def close(self) -> None:
        self._client.disconnect()


@dataclass
class RunningStack:
    stack: Stack
    config: StackConfig
    database_url: str
    engine: Engine

    def conversation(self, token: str | None = None) -> Conversation:
        return Conversation(self.config.rasa_url, f"e2e-{uuid.uuid4().hex}", token)

    def socket_chat(self, token: str | None = None) -> SocketChat:
        return SocketChat(self.config.rasa_url, token)

    def session(self) -> Session:
        """A session on the stack's database, to check what the conversation stored."""
        return make_session_factory(self.engine)()

    def run_followups(self, as_of: str) -> dict[str, Any]:
        """``crm followups run --as-of`` against this stack (pushing into its Rasa); the
        command's JSON summary."""
        env = {
            **os.environ,
            "CRM_DATABASE_URL": self.database_url,
            "CRM_VAR_DIR": str(self.config.var_dir),
            "CRM_RASA_URL": self.config.rasa_url,
            "CRM_RASA_TOKEN": self.config.rasa_token(),
        }
        done = subprocess.run(
            [str(APP_BIN / "crm"), "followups", "run", "--as-of", as_of],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return summary


@contextmanager
def _started_stack(database_url: str, var_dir: Path, **config: Any) -> Iterator[RunningStack]:
    """The three processes on ``database_url`` with their own ``var_dir`` and free ports;
    ``config`` sets further StackConfig fields (``log_level="debug"``)."""
    assert MODEL_PATH.exists(), "train the Rasa model first (make train)"
    stack_config = StackConfig(
        var_dir=var_dir,
        database_url=database_url,
        backend_port=free_port(),
        actions_port=free_port(),
        rasa_port=free_port(),
        # The tests run the workflows themselves (crm followups run --as-of).
        extra_env={"CRM_RASA_TOKEN": uuid.uuid4().hex, "CRM_FOLLOWUP_INTERVAL_SECONDS": "0"},
        **config,
    )
    stack = Stack(stack_config)
    stack.start()
    engine = make_engine(database_url)
    try:
        yield RunningStack(stack, stack_config, database_url, engine)
    finally:
        engine.dispose()
        stack.stop()


@pytest.fixture(scope="session")
def start_stack() -> Any:
    """For a module that needs a stack of its own (its own database or log level):
    ``with start_stack(url, var_dir, log_level="debug") as running: ...``."""
    return _started_stack


@pytest.fixture(scope="session")
def running_stack(database, tmp_path_factory) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp(f"stack-{database.kind}")
    with _started_stack(database.url, var_dir) as running:
        yield running
