"""Settings from the environment (prefix ``CRM_``), with run-time generated secrets."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_backend.paths import PROJECT_ROOT
from crm_backend.secret_files import load_or_create_secret

_PLACEHOLDERS = {"", "changeme", "changethis", "secret", "test"}
# RabbitMQ on the development machines; the stack passes the same values to Rasa's broker.
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_RABBITMQ_QUEUE = "crm_transcript_events"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    signing_key: str = ""
    service_token: str = ""
    staff_token_minutes: int = Field(default=480, ge=1, le=24 * 60)
    customer_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    token_issuer: str = "hk-retail-crm"  # noqa: S105  (a name, not a secret)
    # Where customers reach the backend: the base of links sent to them (data exports).
    public_url: str = "http://127.0.0.1:8000"
    # Rasa's HTTP API, for pushing follow-ups into live conversations.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    # Rasa as the browser reaches it (the /chat and /staff pages' socket.io); empty = rasa_url.
    rasa_public_url: str = ""
    # The demo page's "sign in as a demo customer": hands out a customer token to anyone, so
    # it is off unless asked for (the dev stack of `make run` and the tests turn it on) and
    # never on in production.
    demo_sign_in: bool = False
    # How often the backend runs the complaint workflows by itself; 0 turns it off.
    followup_interval_seconds: int = Field(default=60, ge=0)
    # How often the backend applies the retention policy by itself; 0 turns it off.
    retention_interval_hours: int = Field(default=24, ge=0)
    # Hong Kong hour at which the backend pre-calculates the report snapshots; -1 = off.
    report_refresh_hour: int = Field(default=3, ge=-1, le=23)
    # How Rasa's events reach the transcript ingest: "http" (Rasa's TranscriptBroker posts to
    # /api/v1/conversations/events) or "rabbitmq" (Rasa's Pika broker; the backend consumes).
    event_broker: Literal["http", "rabbitmq"] = "http"
    rabbitmq_url: str = DEFAULT_RABBITMQ_URL
    rabbitmq_queue: str = Field(default=DEFAULT_RABBITMQ_QUEUE, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _fill_defaults_and_refuse_placeholders(self) -> Settings:
        secrets_dir = self.var_dir / "secrets"
        if not self.database_url:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            self.database_url = f"sqlite:///{self.var_dir / 'crm.sqlite3'}"
        for name in ("signing_key", "service_token", "rasa_token"):
            value = getattr(self, name)
            if not value:
                setattr(self, name, load_or_create_secret(secrets_dir, name))
            elif self.environment == "production" and value.lower() in _PLACEHOLDERS:
                raise ValueError(f"CRM_{name.upper()} is a placeholder; set a real secret")
        if self.environment == "production":
            if self.demo_sign_in:
                raise ValueError("CRM_DEMO_SIGN_IN must be off in production")
            for name in ("signing_key", "service_token"):
                if len(getattr(self, name)) < 32:
                    raise ValueError(f"CRM_{name.upper()} must be at least 32 characters")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
