"""Presidio's libphonenumber recognizer for region HK, run only where it adds something.

``phonenumbers.PhoneNumberMatcher`` is the slowest recognizer per message. Hong Kong's own
numbers, in every format, are ``hk_phone.py``'s (a regex), so the matcher is only handed text
with an international prefix ("+44 ...", "0044 ...") and at least seven digits.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

CONTEXT = PhoneRecognizer.CONTEXT
MIN_DIGITS = 7
_DIGIT_RUN = re.compile(rf"(?:[0-9][\s().+-]{{0,3}}){{{MIN_DIGITS}}}")
_INTERNATIONAL = re.compile(r"(?:\+|(?<![0-9])00)\s?\(?[1-9]")


class HkRegionPhoneRecognizer(PhoneRecognizer):
    """libphonenumber numbers (region HK, and any ``+country`` number), as ``PHONE_NUMBER``."""

    def __init__(self) -> None:
        # The default regions (US, GB, DE, ...) read order numbers and dates as phones.
        super().__init__(supported_regions=("HK",))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        if not _INTERNATIONAL.search(text) or not _DIGIT_RUN.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts)
