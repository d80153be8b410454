"""Reading 1-5 ratings as customers type them: "2", "two", "4 stars", "5/5", "⭐⭐⭐"."""

from __future__ import annotations

import re

SKIP = "skip"
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
}  # fmt: skip
_NUMBER = r"(\d+|one|two|three|four|five|[一二兩三四五])"
# The number first (after "I'd give it" and the like), then an optional scale, then
# optionally a few words of comment: "3 - it was ok", "2, nobody called me back".
_RATING = re.compile(
    r"^(?:(?:rating|score)\s*[:=]?\s*|(?:i'?d\s+|i\s+would\s+)?(?:give|rate)\s+(?:it|you|you\s+guys|us)?\s*)?"
    + _NUMBER
    + r"\s*(?:(?:/|out\s+of)\s*(?:5|five)\b|stars?\b|pts?\b|points?\b|分)?"
    + r"(?:\s*$|\s*[-,.!:;)(]|\s+\D)",
    re.IGNORECASE,
)
_STARS = re.compile("^(?:[⭐★*]\ufe0f?\\s*){1,9}$")
_SKIP = re.compile(
    r"^(?:/?skip|skip it|skip this|no rating|no thanks|rather not( say)?|pass|n/?a|none|no|nope|"
    r"nah|dont want to rate|don'?t want to|唔使|不用)\W*$",
    re.IGNORECASE,
)


def parse_rating(text: str) -> int | None:
    """The 1-5 rating in a reply, or None ("seven", "10", "meh", "6/10")."""
    text = (text or "").strip()
    if _STARS.match(text):
        count = len(text.replace("\ufe0f", "").replace(" ", ""))
        return count if 1 <= count <= 5 else None
    match = _RATING.match(text)
    if not match:
        return None
    word = match.group(1).casefold()
    number = _NUMBER_WORDS.get(word) if not word.isdigit() else int(word)
    if number is None or not 1 <= number <= 5:
        return None
    # "4/10" is not a 4 out of 5, and "2.5" is not a whole number.
    if re.match(r"^\D*\d+\s*(?:/\s*(?!5\b)\d+|\.\d)", text):
        return None
    return number


def means_skip(text: str) -> bool:
    return bool(_SKIP.match((text or "").strip()))
