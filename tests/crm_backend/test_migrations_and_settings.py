from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import crm_backend.models  # noqa: F401
from crm_backend import migrate
from crm_backend.config import Settings
from crm_backend.db import Base, make_engine

TABLES = {
    "customer",
    "staff",
    "product",
    "order",
    "order_line",
    "complaint",
    "complaint_event",
    "consent",
    "profile_change",
    "audit_log_entry",
    "outbox_message",
    "callback_request",
}


def test_migrated_schema_matches_the_models(database):
    engine = make_engine(database.url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_again(fresh_sqlite_url):
    migrate.upgrade(fresh_sqlite_url)
    migrate.downgrade(fresh_sqlite_url, "base")
    engine = make_engine(fresh_sqlite_url)
    with engine.connect() as conn:
        assert not TABLES & set(inspect(conn).get_table_names())
    migrate.upgrade(fresh_sqlite_url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
    engine.dispose()


def test_settings_generate_secrets_and_default_to_sqlite_under_var(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    monkeypatch.delenv("CRM_SIGNING_KEY", raising=False)
    settings = Settings(var_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    assert (tmp_path / "secrets" / "signing_key").read_text().strip() == settings.signing_key
    assert Settings(var_dir=tmp_path).signing_key == settings.signing_key


def test_settings_read_the_crm_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite:////tmp/elsewhere.sqlite3")
    monkeypatch.setenv("CRM_STAFF_TOKEN_MINUTES", "15")
    settings = Settings(var_dir=tmp_path)
    assert settings.database_url == "sqlite:////tmp/elsewhere.sqlite3"
    assert settings.staff_token_minutes == 15


@pytest.mark.parametrize("name", ["signing_key", "service_token"])
@pytest.mark.parametrize("secret", ["changeme", "short-secret"])
def test_production_refuses_placeholder_or_short_secrets(tmp_path, name, secret):
    strong = {"signing_key": "s" * 40, "service_token": "t" * 40}
    with pytest.raises(ValueError, match=f"CRM_{name.upper()}"):
        Settings(var_dir=tmp_path, environment="production", **{**strong, name: secret})
