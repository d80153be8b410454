"""Hong Kong street addresses: "Flat 5, 12/F, Block B, Harbour View Garden, 23 Nathan Road".

An address is a run of parts separated by commas or spaces: flat/room, floor (12/F), block or
tower, a building or estate name (... Garden, Mansion, Court, or any capitalised name), a
street (... Road, Street, Avenue, Lane, Path, Terrace) with or without a number, and a district.
A run counts only when it holds a digit and either a numbered street or at least two parts, so
a district on its own ("the Mong Kok shop") or a lone "room 3" is not an address. Lower-case
input works; common small words ("the", "on", "minutes") never form a street or building name.
"""

from __future__ import annotations

from typing import Any

import regex as re
from presidio_analyzer import Pattern, RecognizerResult

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer
from crm_backend.privacy.recognizers.places import DISTRICTS, names_pattern

_REGION = r"(?:hong\s+kong|kowloon|kln|new\s+territories|hk|hksar)\b|n\.\s?t\.?(?!\w)"

_STOP = (
    r"(?:the|a|an|and|or|on|in|at|of|to|for|from|by|with|near|into|my|your|our|his|her|their|its"
    r"|this|that|these|those|is|was|are|were|be|been|it|i|we|you|he|she|they|me|us|them|go|went"
    r"|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|times?|items?|pieces?|pcs|boxes"
    r"|dollars?|hkd|percent)"
)
_WORD = rf"(?!{_STOP}\b)[a-z][a-z'\u2019-]*"
_NAME = rf"(?:{_WORD}\s+){{1,5}}"
# Inside a numbered street's name a few small words may appear ("On Ning Road", "Tai Po On
# Road"); the first word still may not be one, so "40 minutes on the road" stays text.
_LOOSE_STOP = (
    r"(?:the|a|an|and|or|at|in|for|from|by|with|than|my|your|our|his|her|their|this|that"
    r"|is|was|are|were|i|we|you|he|she|they|it|minutes?|mins?|hours?|days?|weeks?|months?|years?|times?|items?|boxes|dollars?)"
)
_LOOSE_WORD = rf"(?!{_LOOSE_STOP}\b)[a-z][a-z'\u2019-]*"
_NUMBERED_NAME = rf"{_WORD}\s+(?:{_LOOSE_WORD}\s+){{0,5}}"
_NUMBER = r"[0-9]{1,4}[a-z]?(?:\s?-\s?[0-9]{1,4}[a-z]?)?"
_STREET_TYPE = (
    r"(?:(?:road|street|avenue|lane|path|terrace|drive|crescent|boulevard|circuit|praya|rise"
    r"|walk|way)\b|(?:rd|st|ave)\b\.?)(?:\s+(?:central|east|west|north|south)\b)?"
)
_BUILDING_TYPE = (
    r"(?:building|bldg|mansion|court|gardens?|estate|centre|center|tower|plaza"
    r"|house(?!\s*[0-9])|villa"
    r"|villas|heights|terrace|place|square|city|garden|chuen|tsuen|village|shing|hills?"
    r"|shores?|island|horizons?|towers|apartments?|residence|lodge)\b"
)

_FLAT = (
    r"(?:(?:flat|room|rm|unit|suite|house)\s*(?:[a-z]?[0-9]{1,4}[a-z]?\b|[a-z]\b)"
    r"|no\.?\s*[0-9]{1,4}[a-z]?\b)"
)
_FLOOR = (
    r"(?:(?:[0-9]{1,3}|g|ug|lg)\s?/\s?f\b|[0-9]{1,3}(?:st|nd|rd|th)\s+(?:floor|fl)\b"
    r"|ground\s+floor)\.?"
)
_BLOCK = r"(?:block|blk|tower|twr|phase)\s*[a-z0-9]{1,3}\b"
_STREET_NUMBERED = rf"{_NUMBER}(?:\s*,)?\s+{_NUMBERED_NAME}{_STREET_TYPE}"
_STREET = rf"{_NAME}{_STREET_TYPE}"
_BUILDING = rf"{_NAME}{_BUILDING_TYPE}(?:\s+[0-9]{{1,2}}\b(?!\s*/))?"  # "Millennium City 1"
_DISTRICT = rf"(?:{names_pattern(DISTRICTS)}\b|{_REGION})"

# A capitalised name between the other parts: an estate without a Garden/Court suffix.
_PROPER_NAME = r"(?-i:[A-Z][a-z'\u2019-]+(?:\s+[A-Z][a-z'\u2019-]+){0,3})\b"
_SEPARATOR = r"(?:\s*,\s*|\s+)"
# Any name (lower-case input: "blk 7, ocean shores, 75 kwun tong road") between commas, after
# another part and before a flat, floor, block, building or street.
_STRONG = rf"(?:{_FLAT}|{_FLOOR}|{_BLOCK}|{_STREET_NUMBERED}|{_BUILDING}|{_STREET})"
_BETWEEN = rf"(?<=,\s*){_WORD}(?:\s+{_WORD}){{0,3}}(?=\s*,\s*{_STRONG})"
_PART = (
    rf"(?:{_FLAT}|{_FLOOR}|{_BLOCK}|{_STREET_NUMBERED}|{_BUILDING}|{_STREET}|{_DISTRICT}"
    rf"|{_PROPER_NAME}|{_BETWEEN})"
)

PATTERNS = [
    Pattern(
        "HK address (flat, floor, block, building, street, district)",
        rf"(?<![\w/$.,-])(?<![$]\s){_PART}(?:{_SEPARATOR}{_PART})*",
        0.6,
    ),
]

CONTEXT = ["address", "live", "living", "deliver", "delivery", "home", "flat", "地址"]

_FLAGS = re.IGNORECASE | re.MULTILINE
_PART_RE = re.compile(_PART, _FLAGS)
_STREET_NUMBERED_RE = re.compile(rf"(?<![\w/$.,-]){_STREET_NUMBERED}", _FLAGS)


_ANY_DIGIT_RE = re.compile(r"[0-9]")
_GROUND_FLOOR_RE = re.compile(r"\b(?:g|ug|lg)\s?/\s?f\b|ground\s+floor", _FLAGS)


def is_address(text: str) -> bool:
    """True when a matched run is an address: a digit (or a ground floor, "G/F") and a numbered
    street or two parts."""
    if not any(char.isdigit() for char in text) and not _GROUND_FLOOR_RE.search(text):
        return False
    if _STREET_NUMBERED_RE.search(text):
        return True
    return len(_PART_RE.findall(text)) >= 2


class HkAddressRecognizer(ModulePatternRecognizer):
    """Hong Kong street addresses, reported as ``ADDRESS``."""

    ENTITY = "ADDRESS"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT
    REGEX_FLAGS = _FLAGS

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> list[RecognizerResult]:
        # is_address needs a digit or a ground floor: without either, skip the long pattern.
        if not _ANY_DIGIT_RE.search(text) and not _GROUND_FLOOR_RE.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)

    def invalidate_result(self, pattern_text: str) -> bool:
        return not is_address(pattern_text)
