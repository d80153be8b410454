"""Tokens and link secrets are replaced in logs, ``crm scrub`` and transcripts alike."""

from __future__ import annotations

import pytest

from crm_backend.privacy.log_filter import scrub_lines
from crm_backend.privacy.secrets_in_text import redact_secrets

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDMDAwMDAxIn0.abcDEF123_-xyz"
SIGNATURE = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Bearer {JWT}", "Bearer <TOKEN>"),
        (f'{{"token": "{JWT}"}}', '{"token": "<TOKEN>"}'),
        (f"/r.csv?q=x&expires=1&signature={SIGNATURE}", "/r.csv?q=x&expires=1&signature=<TOKEN>"),
        (f"/status?token={SIGNATURE} 200", "/status?token=<TOKEN> 200"),
        # Not secrets: logger names, versions, references, ordinary assignments.
        ("crm_backend.services.followups done", "crm_backend.services.followups done"),
        ("rasa_sdk.executor v3.21.1 CMP-000123", "rasa_sdk.executor v3.21.1 CMP-000123"),
        ("retries=3 timeout=10", "retries=3 timeout=10"),
    ],
)  # fmt: skip
def test_secrets_are_replaced_and_nothing_else(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


def test_log_lines_lose_tokens_in_rasa_debug_json() -> None:
    line = f'slots: {{"verified_token": "{JWT}", "session_started_metadata": {{"token": "{JWT}"}}}}'
    (scrubbed,) = scrub_lines([line])
    assert JWT not in scrubbed and scrubbed.count("<TOKEN>") == 2
