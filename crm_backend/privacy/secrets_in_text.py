"""Credentials in free text: bearer tokens (JWTs) and the secret part of signed links. Not
personal data, but a key to it, so logs, ``crm scrub`` and transcripts replace them too."""

from __future__ import annotations

import re

TOKEN_PLACEHOLDER = "<TOKEN>"  # noqa: S105  (a placeholder, not a secret)
# A JWT's header and payload are base64url JSON objects, so both start "eyJ" ('{"').
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# The secret of a signed link (report downloads, data exports) or a token in a URL.
_LINK_SECRET = re.compile(r"(?i)\b(signature|token|auth_token)=[^&\s\"'<>]+")


def redact_secrets(text: str) -> str:
    if "eyJ" not in text and "=" not in text:  # the usual log line: nothing to do
        return text
    text = _LINK_SECRET.sub(rf"\1={TOKEN_PLACEHOLDER}", text)
    return _JWT.sub(TOKEN_PLACEHOLDER, text)
