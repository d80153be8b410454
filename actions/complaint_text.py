"""Reading customers' typed answers: categories, order numbers, "no order", stories."""

from __future__ import annotations

import re

MAX_DESCRIPTION_CHARS = 2000

# Words customers use for each category, for answers typed instead of tapped.
_CATEGORY_WORDS = {
    "product_quality": ("quality", "broken", "faulty", "defect", "damaged item", "not working",
                        "stopped working", "product"),
    "delivery": ("deliver", "shipping", "courier", "parcel", "late", "arrive", "sf express"),
    "service": ("service", "staff", "rude", "shop", "store", "attitude", "sales"),
    "billing": ("bill", "charge", "payment", "price", "overcharg", "invoice", "octopus", "card"),
    "refund": ("refund", "money back", "return"),
    "other": ("other", "something else", "else"),
}  # fmt: skip
_NO_ORDER = re.compile(r"^(no|none|nope|n/?a|skip|no order|don'?t have( one)?|not sure)\W*$", re.I)
_ORDER_NO = re.compile(r"\bord[\s-]?(\d{8})\b", re.I)
# Words of "I want to make a complaint" itself, which say nothing about what happened.
_REQUEST_WORDS = frozenset((
    "i", "i'd", "i'm", "im", "want", "wanna", "would", "like", "to", "make", "a", "an", "file",
    "lodge", "raise", "submit", "report", "complain", "complaint", "complaints", "about", "my",
    "can", "how", "do", "please", "pls", "need", "have", "hi", "hello", "there", "is", "it",
    "this", "the", "one", "some",
))  # fmt: skip


def category_from_text(text: str) -> str | None:
    text = text.casefold().strip()
    if text in _CATEGORY_WORDS:
        return text
    for category, words in _CATEGORY_WORDS.items():
        if any(word in text for word in words):
            return category
    return None


def order_no_from_text(text: str) -> str | None:
    """``ORD-00012345`` from "ord 00012345", "my order ORD-00012345 was late" ..."""
    match = _ORDER_NO.search(text)
    return f"ORD-{match.group(1)}" if match else None


def means_no_order(text: str) -> bool:
    return bool(_NO_ORDER.match(text.strip()))


def says_what_happened(text: str) -> bool:
    """Whether a message tells a story, beyond asking to complain."""
    words = re.findall(r"[\w']+", text.casefold())
    details = [word for word in words if word not in _REQUEST_WORDS]
    return len(details) >= 3 and len(text) <= MAX_DESCRIPTION_CHARS
