"""A uniquely named PostgreSQL database for one benchmark run, dropped afterwards (the
benchmarks import this beside them: they run as ``python bench/NAME.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def postgres_database(admin_url: str, prefix: str = "crm_bench") -> Iterator[str]:
    """The URL of a new database on the server ``admin_url`` names."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    parsed = make_url(admin_url)
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
