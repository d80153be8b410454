"""Hong Kong phone numbers: eight digits starting 2, 3, 5, 6, 7, 8 or 9.

Written "9123 4567", "9123-4567", "91234567", "+852 9123 4567", "(852) 9123-4567",
"852-91234567". Digits glued to a letter, a hyphen, a slash or a currency sign are not a
phone number ("ORD-20000001", "HK$91234567"), nor is a run inside a longer number
(a card number). Eight bare digits that read as a date (20261003) only count with a phone
word nearby ("call me on 20261003").
"""

from __future__ import annotations

from presidio_analyzer import Pattern

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer

# Not glued to a word, a ref's hyphen, a path or a price; not the tail of a longer number.
# ASCII classes, not \w: Chinese text runs straight into numbers ("電話9123 4567").
_LEFT = r"(?<![A-Za-z0-9_+/$-])(?<!\d[\s.-])"
_RIGHT = r"(?![A-Za-z0-9_/-])(?![\s.-]?\d)"
_COUNTRY_CODE = r"(?:(?:\+|00)\s?852|\(\s?\+?852\s?\)|852)[\s-]?"
_COMPACT_DATE = r"20[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"

PATTERNS = [
    Pattern(
        "HK phone (country code)",
        rf"{_LEFT}{_COUNTRY_CODE}[235-9][0-9]{{3}}[\s-]?[0-9]{{4}}{_RIGHT}",
        0.7,
    ),
    Pattern("HK phone (grouped)", rf"{_LEFT}[235-9][0-9]{{3}}[\s-][0-9]{{4}}{_RIGHT}", 0.5),
    Pattern(
        "HK phone (eight digits)",
        rf"{_LEFT}(?!{_COMPACT_DATE}{_RIGHT})[235-9][0-9]{{7}}{_RIGHT}",
        0.4,
    ),
    # Below the scrubber's threshold unless a context word lifts it.
    Pattern("HK phone (eight digits, date-like)", rf"{_LEFT}{_COMPACT_DATE}{_RIGHT}", 0.1),
]

CONTEXT = [
    "phone",
    "tel",
    "mobile",
    "cell",
    "call",
    "contact",
    "whatsapp",
    "sms",
    "number",
    "reach",
    "電話",
]


class HkPhoneRecognizer(ModulePatternRecognizer):
    """Hong Kong local and +852 numbers, reported as ``PHONE_NUMBER``."""

    ENTITY = "PHONE_NUMBER"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT
