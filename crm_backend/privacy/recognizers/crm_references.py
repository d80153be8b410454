"""What is never personal data and must survive scrubbing (the allow-list).

Complaint refs (CMP-000123), order numbers (ORD-00012345), customer numbers (C000123), SKUs
(SKU-ELE-00012), prices (HK$1,299, $599, HKD 80), dates (3 Oct 2026, 2026-10-03, 03/10/2026)
and shop or district names on their own ("the Mong Kok shop"). This is not a Presidio
recognizer: the scrubber drops detections that fall inside these spans (an address keeps its
district) and trims a detected name that ran into a reference ("Order ORD-00012345").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crm_backend.privacy.recognizers.places import DISTRICTS, names_pattern

if TYPE_CHECKING:
    from presidio_analyzer import RecognizerResult

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"[0-9]{1,2}(?:st|nd|rd|th)?"

# Structured references: a detected name that runs into one of these is trimmed.
REFERENCE_PATTERNS = {
    "complaint_ref": r"\bCMP-[0-9]{6,9}\b",
    "order_no": r"\bORD-[0-9]{6,10}\b",
    "customer_no": r"\bC[0-9]{6}\b",
    "sku": r"\bSKU-[A-Z]{3}-[0-9]{5}\b",
    "price": (
        r"(?:\bHK\$|\bHKD\s?|\bUS\$|\$)\s?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?\b"
        r"|\b[0-9]+(?:\.[0-9]{1,2})?\s?(?:HKD|dollars)\b"
    ),
    "date": (
        rf"\b{_DAY}\s+{_MONTH}\b\.?(?:,?\s+[0-9]{{4}}\b)?"
        rf"|\b{_MONTH}\.?\s+{_DAY}\b(?:,?\s+[0-9]{{4}}\b)?"
        r"|\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b|\b[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}\b"
    ),
}
# Place names: only a detection lying wholly inside one is dropped ("Tsui" of Tsim Sha Tsui).
PLACE_PATTERN = rf"\b{names_pattern(DISTRICTS)}\b"
PATTERNS = {**REFERENCE_PATTERNS, "place": PLACE_PATTERN}

# Words a name detection may keep after trimming a reference that are not names.
NON_NAME_WORDS = frozenset(
    [
        "order",
        "orders",
        "complaint",
        "complaints",
        "ref",
        "reference",
        "customer",
        "sku",
        "item",
        "product",
        "no",
        "number",
        "cost",
        "costs",
        "costing",
        "paid",
        "price",
        "on",
        "at",
        "for",
        "of",
        "the",
        "and",
        "hk",
        "hkd",
    ]
)

_REFERENCE_RE = re.compile("|".join(REFERENCE_PATTERNS.values()), re.IGNORECASE)
_PLACE_RE = re.compile(PLACE_PATTERN, re.IGNORECASE)

Span = tuple[int, int]


def reference_spans(text: str) -> list[Span]:
    return [match.span() for match in _REFERENCE_RE.finditer(text)]


def place_spans(text: str) -> list[Span]:
    return [match.span() for match in _PLACE_RE.finditer(text)]


def subtract(span: Span, holes: list[Span]) -> list[Span]:
    """The parts of ``span`` not covered by any of ``holes``."""
    pieces = [span]
    for hole_start, hole_end in holes:
        next_pieces: list[Span] = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                next_pieces.append((start, end))
                continue
            if start < hole_start:
                next_pieces.append((start, hole_start))
            if hole_end < end:
                next_pieces.append((hole_end, end))
        pieces = next_pieces
    return pieces


def has_name_word(fragment: str) -> bool:
    """True when a fragment left after trimming still holds a word that could be a name."""
    words = re.findall(r"[^\W\d_][\w'\u2019-]*", fragment)
    return any(word.lower() not in NON_NAME_WORDS for word in words)


def allowed(text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop detections inside references, prices, dates and place names (addresses kept)."""
    references = reference_spans(text)
    protected = references + place_spans(text)
    kept: list[RecognizerResult] = []
    for result in results:
        if result.entity_type == "ADDRESS":
            kept.append(result)
        elif any(start <= result.start and result.end <= end for start, end in protected):
            continue
        elif result.entity_type == "PERSON" and references:
            # "Order ORD-00012345" tagged as a name: keep only the name-like remainder.
            for start, end in subtract((result.start, result.end), references):
                fragment = text[start:end]
                if has_name_word(fragment):
                    start += len(fragment) - len(fragment.lstrip(" ,.;:-"))
                    end -= len(fragment) - len(fragment.rstrip(" ,.;:-"))
                    kept.append(type(result)(result.entity_type, start, end, result.score))
        else:
            kept.append(result)
    return kept
