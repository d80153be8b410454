"""Capitalised words that are never part of a name: sentence openers and function words.

Shared by the scrubber's pre-check (a text whose only capitalised words are these is not
analysed) and the name recognizer (these never start or continue a name), so the two agree.
Plain Python, no Presidio import: the pre-check runs before anything is loaded.
"""

from __future__ import annotations

COMMON_CAPITALISED_WORDS = frozenset((
    "i", "i'm", "i've", "i'd", "i'll", "a", "an", "the", "my", "our", "we", "you", "your", "it",
    "it's", "its", "this", "that", "these", "those", "there", "then", "they", "he", "she", "his",
    "her", "hi", "hello", "hey", "dear", "thanks", "thank", "please", "yes", "no", "not", "ok",
    "okay", "sorry", "what", "when", "where", "why", "how", "who", "which", "can", "could",
    "would", "should", "is", "are", "was", "were", "do", "does", "did", "have", "has", "had",
    "if", "and", "but", "so", "also", "just", "still", "after", "before", "today", "yesterday",
    "tomorrow", "in", "on", "at", "for", "to", "from", "with", "as", "all", "any", "some", "one",
    "two", "very", "really", "now", "again",
))  # fmt: skip
