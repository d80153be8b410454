"""An empty database of either kind for tests that need their own: a SQLite file, or a
uniquely named PostgreSQL database on the local server, dropped afterwards. PostgreSQL being
down fails the test; it never skips. A plain module (tests/ is on the path, as for
log_guard), so any test module can import it without reaching into a conftest."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def empty_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """The URL of a new, empty database (``kind`` is "sqlite" or "postgres")."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / 'crm.sqlite3'}"
        return
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
