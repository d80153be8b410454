"""HMAC-signed, expiring links: for what is fetched without a bearer token (a data copy
sent by email, a report download or chart image shown in the chat)."""

from __future__ import annotations

import hashlib
import hmac

from crm_backend.config import Settings


def sign(settings: Settings, subject: str, expires: int) -> str:
    message = f"{subject}.{expires}".encode()
    return hmac.new(settings.signing_key.encode(), message, hashlib.sha256).hexdigest()


def signature_ok(settings: Settings, subject: str, expires: int, signature: str) -> bool:
    expected = sign(settings, subject, expires)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
