"""Hong Kong Identity Card numbers: A123456(3), AB123456(9), with or without brackets.

The check digit is validated (Presidio's ``uk_nhs_recognizer.py`` pattern): weights 9..2 over
the two letter positions and six digits, a single-letter number padded with a space worth 36,
A=10 .. Z=35; check = (11 - sum % 11) % 11, written 'A' when it is 10. A number whose check
digit is wrong is not reported.
"""

from __future__ import annotations

from presidio_analyzer import Pattern

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer

PATTERNS = [
    Pattern(
        "HKID (with or without brackets)",
        # ASCII classes, not \w: Chinese text runs straight into the number ("身份證A123456(3)").
        r"(?<![A-Za-z0-9_-])[A-Z]{1,2}[0-9]{6}\s?(?:\(\s?[0-9A]\s?\)|[0-9A](?![A-Za-z0-9_-]))",
        0.5,
    ),
]

CONTEXT = ["hkid", "identity", "id", "card", "身份證"]

_SPACE_VALUE = 36


def _char_value(char: str) -> int:
    if char == " ":
        return _SPACE_VALUE
    if char.isdigit():
        return int(char)
    return ord(char) - ord("A") + 10


def hkid_check_digit(prefix: str) -> str:
    """Check character for one or two letters followed by six digits (e.g. "A123456" -> "3")."""
    body = prefix.upper().rjust(8)  # a single-letter number is padded with a space
    total = sum(
        _char_value(char) * weight for char, weight in zip(body, range(9, 1, -1), strict=True)
    )
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def is_valid_hkid(value: str) -> bool:
    """True when ``value`` (brackets and spaces allowed) carries the right check digit."""
    compact = "".join(char for char in value.upper() if char not in " ()")
    letters = len(compact) - 7
    if letters not in (1, 2) or not compact[:letters].isalpha() or not compact.isascii():
        return False
    if not compact[letters:-1].isdigit():
        return False
    return hkid_check_digit(compact[:-1]) == compact[-1]


class HkidRecognizer(ModulePatternRecognizer):
    """HKID numbers with a valid check digit, reported as ``HKID``."""

    ENTITY = "HKID"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_hkid(pattern_text)
