"""International phone numbers written with a country code: "+44 7700 900123", "+1 (415) 555-0132".

Presidio's phone recognizer (libphonenumber) only reports numbers valid in its metadata, so a
number in a range it does not know (new mobile ranges, the +44 7700 900xxx drama range, a
Macau number it calls invalid) is left in the text. A leading "+", a country code and 7 to 13
further digits in groups is a phone number in a customer message whatever libphonenumber says.
Hong Kong's own +852 numbers are ``hk_phone.py``'s.
"""

from __future__ import annotations

from presidio_analyzer import Pattern

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer

PATTERNS = [
    Pattern(
        "International number (+country code)",
        r"(?<![\w+])\+(?!852)[1-9][0-9]{0,2}(?:[\s.-]?\(?[0-9]{1,5}\)?){2,6}(?![\w-])",
        0.5,
    ),
]

CONTEXT = ["phone", "tel", "mobile", "call", "whatsapp", "number", "overseas"]

MIN_DIGITS = 9
MAX_DIGITS = 15


class IntlPhoneRecognizer(ModulePatternRecognizer):
    """``+country code`` numbers outside Hong Kong, reported as ``PHONE_NUMBER``."""

    ENTITY = "PHONE_NUMBER"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT

    def validate_result(self, pattern_text: str) -> bool:
        return MIN_DIGITS <= sum(char.isdigit() for char in pattern_text) <= MAX_DIGITS
