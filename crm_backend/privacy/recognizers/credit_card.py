"""Payment card numbers (Luhn-checked): Presidio's recognizer plus Mastercard's 2-series.

Presidio's pattern starts a card number with 1, 3, 4, 5 or 6, so Mastercard numbers issued
from 2221 to 2720 since 2017 ("2223 9113 9608 3730") were never found. The 2-series pattern is
added; both are validated with Presidio's Luhn check (``validate_result``). Word boundaries are
ASCII ones, so a number written straight after Chinese text is found too.
"""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer


def _ascii_boundaries(regex: str) -> str:
    """Presidio's ``\\b`` fails between Chinese text and digits ("卡號4111..."): use ASCII."""
    if regex.startswith(r"\b"):
        regex = r"(?<![A-Za-z0-9])" + regex[2:]
    if regex.endswith(r"\b"):
        regex = regex[:-2] + r"(?![A-Za-z0-9])"
    return regex


PATTERNS = [
    *(Pattern(p.name, _ascii_boundaries(p.regex), p.score) for p in CreditCardRecognizer.PATTERNS),
    Pattern(
        "Mastercard 2-series (weak)",
        r"(?<![A-Za-z0-9])(?:222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)"
        r"[- ]?[0-9]{4}[- ]?[0-9]{4}[- ]?[0-9]{4}(?![A-Za-z0-9])",
        0.3,
    ),
]
CONTEXT = CreditCardRecognizer.CONTEXT


class CardRecognizer(CreditCardRecognizer):
    """Luhn-valid card numbers, reported as ``CREDIT_CARD``."""

    def __init__(self) -> None:
        super().__init__(patterns=PATTERNS, context=CONTEXT)
