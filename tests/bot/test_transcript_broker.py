"""The transcript broker runs inside Rasa's Python 3.10 environment, so these tests drive it
there (a subprocess of .venv-rasa taking commands on stdin) against a real backend served by
uvicorn on a free port, started and stopped to play "backend down" and "backend back"."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select

from crm_backend import migrate
from crm_backend.config import Settings
from crm_backend.main import create_app
from crm_backend.models import TranscriptEntry

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
EMAIL = "cheung.wai.kit@example.com"
RASA_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "PYTHONWARNINGS": "ignore",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}

DRIVER = """
import asyncio, json, logging, sys
from rasa.utils.endpoints import EndpointConfig
from bot.transcript_broker import TranscriptBroker

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

def status(broker):
    files = broker.spool.files()
    return {
        "files": len(files),
        "spooled": sum(int(f.stem.rsplit("-", 1)[1]) for f in files),
        "buffer": len(broker._buffer),
        "delivered": broker.delivered_events,
        "rejected": broker.rejected_events,
        "dropped": broker.spool.dropped_events,
    }

async def main():
    config = json.loads(sys.argv[1])
    broker = await TranscriptBroker.from_endpoint_config(
        EndpointConfig(url=config["url"], **config["options"])
    )
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command["op"] == "publish":
            for event in command["events"]:
                broker.publish(event)
        elif command["op"] == "wait":
            deadline = loop.time() + command.get("timeout", 60)
            while loop.time() < deadline:
                now = status(broker)
                if all(now[key] == value for key, value in command["until"].items()):
                    break
                await asyncio.sleep(0.05)
        elif command["op"] == "close":
            await broker.close()
        print(json.dumps(status(broker)), flush=True)

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Backend:
    """The real app on a real port, in a thread, that can go down and come back."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            assert time.monotonic() < deadline, "backend did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = self._thread = None

    def rows(self, sender: str) -> list[TranscriptEntry]:
        with self.app.state.session_factory() as session:
            return list(
                session.scalars(
                    select(TranscriptEntry)
                    .where(TranscriptEntry.sender_id == sender)
                    .order_by(TranscriptEntry.occurred_at, TranscriptEntry.id)
                )
            )

    def count(self) -> int:
        with self.app.state.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(TranscriptEntry)) or 0)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    var_dir = tmp_path_factory.mktemp("var")
    url = f"sqlite:///{var_dir / 'crm.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(
        environment="test",
        var_dir=var_dir,
        database_url=url,
        signing_key=secrets.token_urlsafe(32),
        service_token=secrets.token_urlsafe(32),
        rasa_token=secrets.token_urlsafe(32),
        followup_interval_seconds=0,
        retention_interval_hours=0,
        report_refresh_hour=-1,
    )
    from crm_backend.privacy import get_scrubber

    get_scrubber().scrub("warm up for Chan Tai Man")  # load the model before timing anything
    server = Backend(settings)
    yield server
    server.stop()
    server.app.state.engine.dispose()


class Broker:
    """A TranscriptBroker in a .venv-rasa process, driven line by line."""

    def __init__(self, backend: Backend, spool: Path, log: Path, **options: Any) -> None:
        options = {
            "spool_dir": str(spool),
            "flush_interval": 0.05,
            "backoff_initial": 0.1,
            "backoff_max": 0.5,
            "timeout": 10,
            **options,
        }
        self.log = log
        env = {**os.environ, **RASA_ENV, "CRM_SERVICE_TOKEN": backend.settings.service_token}
        self._stderr = log.open("ab")
        self.process = subprocess.Popen(
            [str(RASA_PYTHON), "-c", DRIVER, json.dumps({"url": backend.url, "options": options})],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            cwd=ROOT, env=env,
        )  # fmt: skip

    def send(self, op: str, **fields: Any) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, self.log.read_text()[-3000:]
        reply: dict[str, int] = json.loads(line)
        return reply

    def publish(self, events: list[dict[str, Any]]) -> dict[str, int]:
        return self.send("publish", events=events)

    def wait(self, timeout: float = 60, **until: int) -> dict[str, int]:
        status = self.send("wait", until=until, timeout=timeout)
        assert all(status[key] == value for key, value in until.items()), status
        return status

    def close(self) -> dict[str, int]:
        status = self.send("close")
        self.process.communicate(timeout=30)  # closes stdin and stdout, waits for the exit
        self._stderr.close()
        return status


@pytest.fixture
def brokers(backend: Backend) -> Iterator[list[Broker]]:
    started: list[Broker] = []
    yield started
    for broker in started:
        if broker.process.poll() is None:
            broker.process.kill()
        broker.process.communicate()
        broker._stderr.close()
    backend.stop()


def start_broker(brokers: list[Broker], backend: Backend, tmp_path: Path, **options: Any) -> Broker:
    broker = Broker(backend, tmp_path / "spool", tmp_path / "broker.log", **options)
    brokers.append(broker)
    return broker


def chat(sender: str, count: int, start: float | None = None) -> list[dict[str, Any]]:
    """``count`` user and bot messages as Rasa publishes them, token in the metadata."""
    t = start or time.time()
    events: list[dict[str, Any]] = []
    for index in range(count):
        kind = "user" if index % 2 == 0 else "bot"
        events.append(
            {"sender_id": sender, "event": kind, "timestamp": t + index / 1000,
             "text": f"message {index}, mail me at {EMAIL}",
             "metadata": {"token": "header.payload-secret-token.signature"},
             "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                            "entities": [{"value": EMAIL}], "metadata": {"token": "x"}}}
        )  # fmt: skip
    return events


def test_backend_down_spools_to_disk_and_backend_back_delivers_each_event_once(
    backend, brokers, tmp_path
):
    sender = uuid.uuid4().hex
    broker = start_broker(brokers, backend, tmp_path, batch_size=10)
    events = chat(sender, 29)
    events.append(
        {"sender_id": sender, "event": "slot", "timestamp": time.time() + 1,
         "name": "session_started_metadata",
         "value": {"token": "header.payload-secret-token.signature"}}
    )  # fmt: skip
    broker.publish(events)
    broker.wait(buffer=0, spooled=30)

    files = sorted((tmp_path / "spool").glob("*.json"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    spooled = "".join(f.read_text() for f in files)
    assert "secret-token" not in spooled and '"metadata"' not in spooled  # trimmed first
    assert '"entities"' not in spooled
    assert backend.rows(sender) == []

    backend.start()
    status = broker.wait(files=0, buffer=0, delivered=30)
    assert status["dropped"] == status["rejected"] == 0
    rows = backend.rows(sender)
    assert len(rows) == 30
    assert [r.text for r in rows[:29]] == [
        f"message {i}, mail me at <EMAIL_ADDRESS>" for i in range(29)
    ]
    assert (rows[29].name, rows[29].value, rows[29].value_withheld) == (
        "session_started_metadata", None, True,
    )  # fmt: skip

    # with the backend up, events go straight through, nothing touches the disk
    broker.publish(chat(sender, 4, start=time.time() + 100))
    broker.wait(buffer=0, delivered=34)
    assert not list((tmp_path / "spool").glob("*.json"))
    assert len(backend.rows(sender)) == 34
    broker.close()
    assert "secret-token" not in broker.log.read_text() and EMAIL not in broker.log.read_text()


def test_a_batch_delivered_twice_is_stored_once(backend, brokers, tmp_path):
    """A crash between the backend's answer and the file's removal, or two Rasa processes
    sharing a spool, resends a batch: the ingest's event key keeps one copy."""
    sender = uuid.uuid4().hex
    broker = start_broker(brokers, backend, tmp_path, batch_size=5)
    broker.publish(chat(sender, 10))
    broker.wait(buffer=0, spooled=10)
    for original in sorted((tmp_path / "spool").glob("*.json")):
        copy = original.with_name(original.name.replace("-", "-9", 1))  # later, same events
        shutil.copy(original, copy)
    broker.wait(spooled=20)
    before = backend.count()

    backend.start()
    broker.wait(files=0, buffer=0, delivered=20)
    assert len(backend.rows(sender)) == 10
    assert backend.count() == before + 10
    broker.close()


def test_the_spool_is_bounded_and_drops_the_oldest_with_a_counted_warning(
    backend, brokers, tmp_path
):
    sender = uuid.uuid4().hex
    broker = start_broker(brokers, backend, tmp_path, batch_size=5, spool_max_files=3)
    t0 = time.time()
    for round_ in range(5):
        broker.publish(chat(sender, 5, start=t0 + round_ * 10))
        broker.wait(buffer=0, spooled=min(5 * (round_ + 1), 15))
    status = broker.wait(files=3, spooled=15, dropped=10)
    log = broker.log.read_text()
    assert "dropped the 5 oldest events; 10 dropped since start" in log
    assert EMAIL not in log

    backend.start()
    broker.wait(files=0, buffer=0, delivered=15)
    rows = backend.rows(sender)
    assert len(rows) == 15  # the newest three batches; the two oldest were dropped
    assert min(r.occurred_at for r in rows).timestamp() == pytest.approx(t0 + 20)
    assert status["delivered"] == 0
    broker.close()


def test_events_buffered_at_shutdown_survive_a_restart(backend, brokers, tmp_path):
    sender = uuid.uuid4().hex
    # a long flush interval keeps the events in memory until close
    first = start_broker(brokers, backend, tmp_path, flush_interval=30, batch_size=100)
    first.publish(chat(sender, 7))
    status = first.close()
    assert status["buffer"] == 0 and status["spooled"] == 7

    backend.start()
    second = start_broker(brokers, backend, tmp_path)  # Rasa started again
    second.wait(files=0, delivered=7)
    assert len(backend.rows(sender)) == 7
    second.close()


def test_only_malformed_events_are_dropped(backend, brokers, tmp_path):
    sender = uuid.uuid4().hex
    backend.start()
    broker = start_broker(brokers, backend, tmp_path, batch_size=8)
    events = chat(sender, 8)
    events[5]["sender_id"] = "x" * 300  # the ingest refuses it (422)
    broker.publish(events)
    status = broker.wait(buffer=0, delivered=7, rejected=1)
    assert status["files"] == 0
    assert len(backend.rows(sender)) == 7
    broker.close()
    assert "refused a batch of 1 events (HTTP 422)" in broker.log.read_text()


IMPORT_CHECK = """
import asyncio, os, sys
from rasa.core.brokers.broker import EventBroker
from rasa.core.utils import AvailableEndpoints

async def main():
    endpoints = AvailableEndpoints.read_endpoints("bot/endpoints.yml")
    broker = await EventBroker.create(endpoints.event_broker)
    print(type(broker).__module__, type(broker).__name__, broker.url, broker.spool.directory,
          broker.spool.max_files, broker.batch_size, broker.is_ready())
    await broker.close()

asyncio.run(main())
"""


def test_rasa_loads_the_broker_from_bot_endpoints_yml(tmp_path):
    """As ``rasa run --endpoints bot/endpoints.yml`` does, from the project root."""
    env = {
        **os.environ,
        **RASA_ENV,
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
        "CRM_BACKEND_URL": "http://127.0.0.1:9",
        "CRM_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", IMPORT_CHECK],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [
        "bot.transcript_broker", "TranscriptBroker",
        "http://127.0.0.1:9/api/v1/conversations/events",
        str(tmp_path / "spool" / "transcripts"), "10000", "100", "True",
    ]  # fmt: skip
