"""Shared fixtures: a migrated, seeded database on SQLite and on PostgreSQL, the app, clients."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import log_guard
import pytest
from databases import empty_database
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from crm_backend import migrate
from crm_backend.config import Settings
from crm_backend.db import make_engine
from crm_backend.demo_data import DEMO_STAFF, seed_database
from crm_backend.main import create_app
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.tokens import Principal, issue_token

SEED_NOW = datetime(2026, 11, 1, tzinfo=UTC)
# The demo accounts' roles, as the seed creates them.
DEMO_ROLES = {username: StaffRole(role) for username, _dept, role, _name in DEMO_STAFF}


@dataclass
class SeededDatabase:
    url: str
    kind: str
    demo_staff: dict[str, tuple[str, str]]  # username -> (department, password)


def _migrate_and_seed(url: str, kind: str, **sizes: int) -> SeededDatabase:
    migrate.upgrade(url)
    engine = make_engine(url)
    sizes = {"customers": 60, "orders": 400, "complaints": 25, **sizes}
    summary = seed_database(engine, seed=11, now=SEED_NOW, **sizes)  # type: ignore[arg-type]
    log_guard.remember(engine)
    engine.dispose()
    staff = {username: (dept, password) for username, dept, password in summary.demo_staff}
    return SeededDatabase(url=url, kind=kind, demo_staff=staff)


def pytest_configure(config: pytest.Config) -> None:
    log_guard.install()


def _assert_no_personal_data_logged(url: str) -> None:
    engine = make_engine(url)
    try:
        leaks = log_guard.leaks(engine)
    finally:
        engine.dispose()
    assert not leaks, f"personal data reached log records (logger: kind): {leaks}"


def _seeded_database(
    kind: str, tmp_path_factory: pytest.TempPathFactory, **sizes: int
) -> Iterator[SeededDatabase]:
    """A database for a session or a module; before it goes, the log records of the run so
    far are checked for the personal values it holds (tests/log_guard.py)."""
    with empty_database(kind, tmp_path_factory.mktemp(kind)) as url:
        yield _migrate_and_seed(url, kind, **sizes)
        _assert_no_personal_data_logged(url)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeededDatabase]:
    """One migrated and seeded database per backend for the whole session.

    PostgreSQL is not optional: if the server is down these tests fail rather than skip.
    """
    yield from _seeded_database(request.param, tmp_path_factory)


def _test_settings(url: str, var_dir: Path) -> Settings:
    return Settings(
        environment="test",
        var_dir=var_dir,
        database_url=url,
        signing_key=secrets.token_urlsafe(32),
        service_token=secrets.token_urlsafe(32),
        rasa_token=secrets.token_urlsafe(32),
        followup_interval_seconds=0,  # tests run the workflows themselves, as of chosen times
    )


@dataclass
class OwnStack:
    """A module's own database and app, for tests whose actions touch every row (the
    workflow runs escalate whatever is due), so they cannot share the session database."""

    database: SeededDatabase
    settings: Settings
    app: FastAPI
    headers: Headers


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def own_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnStack]:
    for seeded in _seeded_database(
        request.param, tmp_path_factory, customers=20, orders=60, complaints=0
    ):
        settings = _test_settings(seeded.url, tmp_path_factory.mktemp("var"))
        application = create_app(settings)
        try:
            yield OwnStack(seeded, settings, application, Headers(settings, seeded))
        finally:
            application.state.engine.dispose()


@pytest.fixture(scope="session")
def settings(database: SeededDatabase, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _test_settings(database.url, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def app(settings: Settings):  # type: ignore[no-untyped-def]
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session(app) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session] = app.state.session_factory
    with factory() as db_session:
        yield db_session


class Headers:
    """Request headers for each kind of caller, signed with the test settings."""

    def __init__(self, settings: Settings, database: SeededDatabase) -> None:
        self._settings = settings
        self._database = database

    def principal(self, principal: Principal) -> dict[str, str]:
        token, _ = issue_token(self._settings, principal)
        return {"Authorization": f"Bearer {token}"}

    def customer_token(self, customer_no: str) -> str:
        """The bare token, as the chat page puts it in the message metadata."""
        token, _ = issue_token(self._settings, Principal(kind="customer", subject=customer_no))
        return token

    def customer(self, customer_no: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.customer_token(customer_no)}"}

    def staff(self, username: str) -> dict[str, str]:
        department, _ = self._database.demo_staff[username]
        role = DEMO_ROLES[username]
        return self.principal(
            Principal(kind="staff", subject=username, department=Department(department), role=role)
        )

    def service(self) -> dict[str, str]:
        return {"X-Service-Token": self._settings.service_token}


@pytest.fixture
def headers(settings: Settings, database: SeededDatabase) -> Headers:
    return Headers(settings, database)


@pytest.fixture
def fresh_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
