"""Contacts unique to one test, for tests that make customers of their own."""

from __future__ import annotations

import secrets

from crm_backend.services.contacts import normalise_phone


def unique_hk_mobile() -> tuple[str, str]:
    """A valid Hong Kong mobile number (8 digits) unlikely to be on any other customer, and
    its E.164 form."""
    while True:
        digits = f"9{secrets.randbelow(10_000_000):07d}"
        e164 = normalise_phone(digits)
        if e164:
            return digits, e164
