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

from crm_backend.privacy.recognizers.catalogue import BRANDS, MALLS
from crm_backend.privacy.recognizers.common_words import COMMON_CAPITALISED_WORDS
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
    "customer_no": r"\bC[0-9]{6,9}\b",
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
    # A number named for what it is: "order 73822729", "Invoice no. 94204136", "receipt #...".
    # Customers drop the ORD- prefix; such numbers can look like phone numbers.
    "labelled_number": (
        r"\b(?:order|ord|invoice|inv|receipt|tracking|waybill|serial|transaction|txn|ref"
        r"|reference|refund\s+reference|member(?:ship)?|points|sku|item|model|ticket|case)"
        r"(?:\s+(?:no\.?|number|num|code|id|ref))?(?:\s+is)?\s*[:#]?\s*"
        r"[A-Z]{0,3}[0-9](?:[0-9-]{4,18}[0-9])\b"
    ),
}
# Place, mall and brand names: only a detection lying wholly inside one is dropped ("Tsui" of
# Tsim Sha Tsui); a name detection that runs into a brand is dropped too ("Dyson Bluetooth").
PLACE_PATTERN = rf"(?<!\w){names_pattern(DISTRICTS + MALLS)}(?!\w)"
BRAND_PATTERN = rf"(?<!\w){names_pattern(BRANDS)}(?!\w)"
PATTERNS = {**REFERENCE_PATTERNS, "place": PLACE_PATTERN, "brand": BRAND_PATTERN}

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
_BRAND_RE = re.compile(BRAND_PATTERN)  # case matters: "Sharp" the brand, "sharp" the word
_DATE_RE = re.compile(REFERENCE_PATTERNS["date"], re.IGNORECASE)
_NOT_LATIN = re.compile(r"[^\x00-\u024f\s]")
_NAME_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_SPACY_RECOGNIZER = "SpacyRecognizer"
# Upper-case words in staff notes that are not names ("Blocked IP"); "Ip" is a surname.
ACRONYMS = frozenset(
    ["IP", "ID", "HKID", "SMS", "OTP", "PIN", "API", "URL", "FPS", "CS", "VIP", "CCTV", "QR",
     "IBAN", "SKU", "HK", "HKD", "USD", "RMB", "TV", "UK", "US", "AM", "PM", "OK", "FAQ", "PS",
     "ETA", "SLA", "ASAP", "PLS", "FYI", "NT", "CMP", "ORD", "LED", "USB", "GPS", "PDF", "DOA"]
)  # fmt: skip
# Kinds whose own check (a check digit, a checksum) outranks the allow-list: a bracketless
# HKID "C3945489" is also shaped like a customer number.
_VALIDATED_KINDS = ("ADDRESS", "HKID")

Span = tuple[int, int]


def reference_spans(text: str) -> list[Span]:
    return [match.span() for match in _REFERENCE_RE.finditer(text)]


def place_spans(text: str) -> list[Span]:
    return [match.span() for match in _PLACE_RE.finditer(text)]


def brand_spans(text: str) -> list[Span]:
    return [match.span() for match in _BRAND_RE.finditer(text)]


_EMAIL_LIKE = re.compile(r"(?<![^\s@])[^\s@]{0,254}@\S{0,254}")
_CANDIDATE = re.compile(r"(?<![\w@.])[^\W\d_][\w'\u2019-]*(?![\w@])")


def name_candidates(text: str) -> bool:
    """True when ``text`` holds a word spaCy could read as a name: a capitalised word with no
    digit that is not a common word, an acronym, or inside a reference, e-mail address, place,
    mall or brand name. Without one, spaCy's NER need not run (the pattern recognizers still
    do)."""
    holes = sorted(
        [*reference_spans(text), *place_spans(text), *brand_spans(text)]
        + ([match.span() for match in _EMAIL_LIKE.finditer(text)] if "@" in text else [])
    )
    for match in _CANDIDATE.finditer(text):
        word = match.group()
        if not word[0].isupper() or any(char.isdigit() for char in word):
            continue
        if word.lower().replace("\u2019", "'") in COMMON_CAPITALISED_WORDS or word in ACRONYMS:
            continue
        start, end = match.span()
        if any(hole_start <= start and end <= hole_end for hole_start, hole_end in holes):
            continue
        return True
    return False


def implausible_name(text: str, result: RecognizerResult) -> bool:
    """A PERSON detection that cannot be a name: it holds a digit ("Chrome 120"), every word is
    a common word ("Email", "Admin"), or spaCy's English model read it in a script that is not
    Latin ("仲未到"; Chinese names have their own recognizer)."""
    value = text[result.start : result.end]
    if any(char.isdigit() for char in value):
        return True
    words = _NAME_WORD.findall(value)
    if not words or all(
        word.lower() in COMMON_CAPITALISED_WORDS or word in ACRONYMS for word in words
    ):
        return True
    metadata = result.recognition_metadata or {}
    return metadata.get("recognizer_name") == _SPACY_RECOGNIZER and bool(_NOT_LATIN.search(value))


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


_NOT_PERSONAL_IPS = frozenset(("127.0.0.1", "0.0.0.0", "::1", "::"))  # noqa: S104


def allowed(text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop detections inside references, prices, dates, place, mall and brand names
    (addresses kept), names that cannot be names, and phone numbers that run into a date."""
    references = reference_spans(text)
    brands = brand_spans(text)
    protected = references + place_spans(text) + brands
    dates: list[Span] | None = None
    kept: list[RecognizerResult] = []
    for result in results:
        if result.entity_type in _VALIDATED_KINDS:
            kept.append(result)
        elif any(start <= result.start and result.end <= end for start, end in protected):
            continue
        elif result.entity_type == "PERSON":
            if implausible_name(text, result):
                continue
            # A brand starts a product name ("Dyson Bluetooth"): what follows it is not a name.
            end_at = min(
                (start for start, end in brands if result.start <= start < result.end),
                default=result.end,
            )
            holes = [*references, *((start, end) for start, end in brands if end > result.start)]
            if end_at == result.end and not any(
                start < result.end and result.start < end for start, end in holes
            ):
                kept.append(result)
                continue
            # "Order ORD-00012345" tagged as a name: keep only the name-like remainder.
            for start, end in subtract((result.start, end_at), holes):
                fragment = text[start:end]
                if has_name_word(fragment):
                    start += len(fragment) - len(fragment.lstrip(" ,.;:-"))
                    end -= len(fragment) - len(fragment.rstrip(" ,.;:-"))
                    kept.append(type(result)(result.entity_type, start, end, result.score))
        elif result.entity_type == "PHONE_NUMBER":
            # "booked for 24 Jan 2026 1300": the year and the time read as "2026 1300".
            if dates is None:
                dates = [match.span() for match in _DATE_RE.finditer(text)]
            if not any(start < result.end and result.start < end for start, end in dates):
                kept.append(result)
        elif result.entity_type == "IP_ADDRESS":
            # The machine's own loopback and "any" addresses identify no one (server logs).
            if text[result.start : result.end] not in _NOT_PERSONAL_IPS:
                kept.append(result)
        else:
            kept.append(result)
    return kept
