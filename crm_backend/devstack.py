"""Start, watch and stop the three processes: backend, action server, Rasa.

Used by ``make run`` (through ``crm run``), the end-to-end tests and the benchmark, so all
three start the stack the same way.

Each process's stdout and stderr reach ``var/log/<name>.log`` only through the scrubber: a
thread per process here reads its output pipe and writes scrubbed lines (``crm scrub``'s
streaming code), so prints and third-party output that bypass logging are scrubbed too, even
Rasa's debug output. The three threads share this process's one scrubber (one spaCy model in
memory rather than one per ``crm scrub`` process). ``CRM_LOG_LEVEL`` (debug, info, warning;
default info) sets the three servers' log level.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from crm_backend.config import DEFAULT_RABBITMQ_QUEUE, DEFAULT_RABBITMQ_URL
from crm_backend.logged_process import LogPump, spawn_logged
from crm_backend.paths import PROJECT_ROOT
from crm_backend.secret_files import load_or_create_secret

APP_BIN = PROJECT_ROOT / ".venv" / "bin"
RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin"
MODEL_PATH = PROJECT_ROOT / "models" / "crm.tar.gz"

# Rasa 3.6 would otherwise phone home and print TensorFlow noise.
RASA_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}
LOG_LEVELS = ("debug", "info", "warning")
# rasa and rasa-sdk take the same level flags; no flag is their default, INFO.
_RASA_LEVEL_FLAGS = {"debug": ["--debug"], "info": [], "warning": ["--quiet"]}
PUMP_JOIN_SECONDS = 10.0


def _log_level_from_env() -> str:
    level = os.environ.get("CRM_LOG_LEVEL", "info").strip().lower()
    if level not in LOG_LEVELS:
        raise ValueError(f"CRM_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    return level


@dataclass
class StackConfig:
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    backend_port: int = int(os.environ.get("CRM_BACKEND_PORT", "8000"))
    actions_port: int = int(os.environ.get("CRM_ACTIONS_PORT", "5055"))
    rasa_port: int = int(os.environ.get("CRM_RASA_PORT", "5005"))
    model_path: Path = MODEL_PATH
    extra_env: dict[str, str] = field(default_factory=dict)
    log_level: str = field(default_factory=_log_level_from_env)  # debug, info or warning

    def __post_init__(self) -> None:
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}")

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def backend_url(self) -> str:
        return f"http://127.0.0.1:{self.backend_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def rasa_token(self) -> str:
        """The token Rasa's HTTP API is started with; the backend gets the same one (it
        reads CRM_RASA_TOKEN, else the same secret file)."""
        return (
            self.extra_env.get("CRM_RASA_TOKEN")
            or os.environ.get("CRM_RASA_TOKEN")
            or load_or_create_secret(self.var_dir / "secrets", "rasa_token")
        )


HTTP_ENDPOINTS = "bot/endpoints.yml"
RABBITMQ_ENDPOINTS = "bot/endpoints-rabbitmq.yml"


def endpoints_file(env: Mapping[str, str]) -> str:
    """Rasa's endpoints: the HTTP transcript broker, or Rasa's Pika broker feeding the
    backend's consumer when CRM_EVENT_BROKER=rabbitmq."""
    broker = env.get("CRM_EVENT_BROKER", "http")
    if broker not in ("http", "rabbitmq"):
        raise ValueError("CRM_EVENT_BROKER must be http or rabbitmq")
    return RABBITMQ_ENDPOINTS if broker == "rabbitmq" else HTTP_ENDPOINTS


@dataclass
class _Process:
    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes]
    pump: LogPump

    def wait_for_log(self) -> None:
        """The pump ends when the output pipe closes (every process of the group has exited)."""
        self.pump.join(PUMP_JOIN_SECONDS)


class Stack:
    """The three processes, started in dependency order and stopped together."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._processes: list[_Process] = []
        self._stopped: dict[str, list[str]] = {}

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(RASA_ENV)
        env["CRM_VAR_DIR"] = str(self.config.var_dir)
        if self.config.database_url:
            env["CRM_DATABASE_URL"] = self.config.database_url
        env["CRM_BACKEND_URL"] = self.config.backend_url
        # Links sent to customers point at this backend unless a public address is set.
        env.setdefault("CRM_PUBLIC_URL", self.config.backend_url)
        # The demo page's customer sign-in: this stack is the development one.
        env.setdefault("CRM_DEMO_SIGN_IN", "true")
        env["CRM_RASA_URL"] = self.config.rasa_url
        env["ACTION_ENDPOINT_URL"] = f"{self.config.actions_url}/webhook"
        env["SANIC_HOST"] = "127.0.0.1"
        env.update(self.config.extra_env)
        if endpoints_file(env) == RABBITMQ_ENDPOINTS:
            # Rasa's Pika broker wants host, port and credentials apart; the backend's
            # consumer reads the URL. Rasa refuses to start with any ${...} unset.
            amqp = urlsplit(env.setdefault("CRM_RABBITMQ_URL", DEFAULT_RABBITMQ_URL))
            env.setdefault("CRM_RABBITMQ_QUEUE", DEFAULT_RABBITMQ_QUEUE)
            env["CRM_RABBITMQ_HOST"] = amqp.hostname or "127.0.0.1"
            env["CRM_RABBITMQ_PORT"] = str(amqp.port or 5672)
            env["CRM_RABBITMQ_USERNAME"] = unquote(amqp.username or "guest")
            env["CRM_RABBITMQ_PASSWORD"] = unquote(amqp.password or "guest")
            env.setdefault("CRM_RABBITMQ_EXCHANGE", "rasa-exchange")
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        popen, pump = spawn_logged(name, argv, self.config.log_dir / f"{name}.log", env=env)
        self._processes.append(_Process(name, argv, popen, pump))

    def start(self, timeout: float = 240.0) -> None:
        cfg = self.config
        env = self._env()
        try:
            self._spawn(
                "backend",
                [
                    str(APP_BIN / "uvicorn"),
                    "crm_backend.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(cfg.backend_port),
                    "--no-access-log",
                    "--log-level",
                    cfg.log_level,
                ],
                env,
            )
            self._spawn(
                "actions",  # rasa-sdk reads its bind address from SANIC_HOST (default: all)
                [
                    str(APP_BIN / "python"),
                    "-m",
                    "crm_backend.action_server",  # rasa_sdk's main with log scrubbing
                    "--actions",
                    "actions",
                    "--port",
                    str(cfg.actions_port),
                    *_RASA_LEVEL_FLAGS[cfg.log_level],
                ],
                env,
            )
            self._spawn(
                "rasa",
                [
                    str(RASA_BIN / "rasa"),
                    "run",
                    "--enable-api",
                    "--auth-token",
                    cfg.rasa_token(),
                    "--port",
                    str(cfg.rasa_port),
                    "--interface",
                    "127.0.0.1",
                    "--model",
                    str(cfg.model_path),
                    "--endpoints",
                    endpoints_file(env),
                    "--credentials",
                    "bot/credentials.yml",
                    "--cors",
                    cfg.backend_url,
                    *_RASA_LEVEL_FLAGS[cfg.log_level],
                ],
                env,
            )
            deadline = time.monotonic() + timeout
            self._wait_for("backend", f"{cfg.backend_url}/healthz", deadline)
            self._wait_for("actions", f"{cfg.actions_url}/health", deadline)
            self._wait_for("rasa", f"{cfg.rasa_url}/status?token={cfg.rasa_token()}", deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_for(self, name: str, url: str, deadline: float) -> None:
        process = self._process(name)
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {process.popen.returncode}; "
                    f"see {self.config.log_dir / (name + '.log')}"
                )
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{name} did not become healthy; see {self.config.log_dir}")

    def stop_process(self, name: str) -> None:
        """Stop one process (tests use this to see the others cope with its absence)."""
        process = self._process(name)
        _signal_group(process.popen.pid, signal.SIGTERM)
        process.popen.wait(timeout=15)
        process.wait_for_log()
        self._processes.remove(process)
        self._stopped[name] = process.argv

    def start_process(self, name: str, health_url: str, timeout: float = 60.0) -> None:
        """Start again a process that ``stop_process`` stopped, and wait until it is healthy."""
        self._spawn(name, self._stopped.pop(name), self._env())
        self._wait_for(name, health_url, time.monotonic() + timeout)

    def _process(self, name: str) -> _Process:
        return next(p for p in self._processes if p.name == name)

    def pids(self) -> dict[str, int]:
        return {p.name: p.popen.pid for p in self._processes}

    def failed(self) -> list[str]:
        return [p.name for p in self._processes if p.popen.poll() is not None]

    def stop(self, grace: float = 10.0) -> None:
        for process in reversed(self._processes):
            if process.popen.poll() is None:
                _signal_group(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self._processes:
            try:
                process.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
        for process in self._processes:
            process.wait_for_log()
        self._processes.clear()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def run_until_interrupted(*, train: bool = True) -> None:
    """``make run``: prepare the database and model, start everything, wait for Ctrl-C."""
    from crm_backend.cli import demo_staff_file

    if train:
        subprocess.run(["bash", "bot/train_if_changed.sh"], cwd=PROJECT_ROOT, check=True)  # noqa: S607
    if not MODEL_PATH.exists():
        sys.exit(f"no Rasa model at {MODEL_PATH}; run `make train`")
    for step in (["db", "upgrade"], ["seed", "--if-empty"]):
        subprocess.run([str(APP_BIN / "crm"), *step], cwd=PROJECT_ROOT, check=True)  # noqa: S603
    config = StackConfig()
    stack = Stack(config)
    print("starting backend, action server and Rasa (logs in var/log/) ...", flush=True)
    stack.start()
    print(_banner(config, demo_staff_file()), flush=True)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    # Explicit handlers: a shell that starts us in the background leaves SIGINT ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    try:
        while not stopping:
            if dead := stack.failed():
                print(f"stopped: {', '.join(dead)} exited; see {config.log_dir}", flush=True)
                break
            time.sleep(1)
    finally:
        print("stopping ...", flush=True)
        stack.stop()


def _banner(config: StackConfig, staff_file: Path) -> str:
    import json

    lines = [
        "",
        "HK Retail CRM is running. Ctrl-C stops everything.",
        f"  customer chat   {config.backend_url}/chat   (a demo shop page; demo sign-in button)",
        f"  staff console   {config.backend_url}/staff",
        f"  backend API     {config.backend_url}/api/v1   (OpenAPI: {config.backend_url}/docs)",
        f"  health          {config.backend_url}/healthz",
        f"  Rasa REST       {config.rasa_url}/webhooks/rest/webhook",
        f"  Rasa HTTP API   {config.rasa_url}  (token in var/secrets/rasa_token)",
        f"  action server   {config.actions_url}/health",
        f"  logs            {config.log_dir}/",
        "",
        "Demo staff sign-ins (on /staff, or POST /api/v1/auth/staff/login):",
    ]
    if staff_file.exists():
        for row in json.loads(staff_file.read_text(encoding="utf-8")):
            lines.append(f"  {row['username']:<20} {row['password']:<16} {row['department']}")
    else:
        lines.append("  (none recorded; create one with `crm staff add`)")
    lines += [
        "Demo customer token: .venv/bin/crm token customer C000001",
        f"Try it: curl -s -XPOST localhost:{config.rasa_port}/webhooks/rest/webhook "
        """-H 'content-type: application/json' """
        """-d '{"sender":"demo","message":"I want to complain"}'""",
        "",
    ]
    return "\n".join(lines)
